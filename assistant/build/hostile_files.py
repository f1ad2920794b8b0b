"""Hostile documents for the per-document limits, shared by the tests and ``bench/limits.py``.

* :func:`make_pdf`: a PDF with many small pages (reportlab, a ``dev`` dependency);
* :func:`make_docx_bomb`: a DOCX whose ``word/document.xml`` holds many megabytes of paragraphs but
  compresses to almost nothing (~300:1), the shape of a zip bomb.

Test and benchmark tooling only: the runtime never imports :mod:`assistant.build`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from reportlab.pdfgen import canvas

PARAGRAPH = "<w:p><w:r><w:t>Rådet ansvarar för kompetensförsörjningen i regionen.</w:t></w:r></w:p>"


def make_pdf(path: Path, pages: int) -> Path:
    """A PDF of ``pages`` pages with one sentence each."""
    pdf = canvas.Canvas(str(path))
    for number in range(pages):
        pdf.drawString(72, 720, f"Sida {number + 1}: Rådet ansvarar för kompetensförsörjningen.")
        pdf.showPage()
    pdf.save()
    return path


def make_docx_bomb(path: Path, xml_megabytes: int) -> Path:
    """A DOCX whose word/document.xml holds ``xml_megabytes`` MB of paragraphs (it compresses ~300:1)."""
    base = path.with_name("base-" + path.name)
    document = docx.Document()
    document.add_paragraph("Rådet ansvarar för kompetensförsörjningen.")
    document.save(base)
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                head, tail = data.decode("utf-8").split("<w:body>", 1)
                count = xml_megabytes * 1024 * 1024 // len(PARAGRAPH.encode("utf-8"))
                data = (head + "<w:body>" + PARAGRAPH * count + tail).encode("utf-8")
            target.writestr(item, data)
    base.unlink()
    return path
