"""The layouts set: questions on thirteen documents in layouts the seed corpus lacks, answered over the
seeds plus those documents.

The documents are in ``eval/layouts/`` (see eval/README.md) — government decisions (text; PDF with a
letterhead and bold headings), press releases (text; HTML with a fact box), an inquiry summary
(Markdown), activity plans as HTML, Markdown, Word tables and a PDF table over two pages, a government
report (DOCX with heading styles, key–value and question–answer tables), an annual report with a
drawn table (PDF), a slide deck (landscape PDF) and the minutes of a meeting (Markdown). DOCX and
PDF files are made here from ``*.docx.json`` / ``*.pdf.json`` specs with python-docx and reportlab. The questions, ``eval/questions_layouts.jsonl``, were written from the
documents before the assistant had seen them.

This script copies ``corpus/`` and those documents into a working folder, builds an index there with
``assistant ingest`` and runs ``assistant eval`` on the questions, so the main corpus and index are
never touched:

    .venv/bin/python eval/tools/layouts_eval.py [--out eval/layouts_report] [--no-baselines]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

ROOT = Path(__file__).resolve().parents[2]
LAYOUTS = ROOT / "eval" / "layouts"
QUESTIONS = ROOT / "eval" / "questions_layouts.jsonl"


def make_docx(spec: dict, path: Path) -> None:
    """A DOCX from ``spec``: a title, paragraphs and one table, or ``blocks`` in order (see :func:`_spec_blocks`)."""
    document = docx.Document()
    for kind, value in _spec_blocks(spec):
        if kind == "title":
            document.add_heading(value, level=0 if spec.get("title_style") == "Title" else 1)
        elif kind == "heading":
            document.add_heading(value["text"], level=value.get("level", 1))
        elif kind == "paragraph":
            document.add_paragraph(value)
        elif kind in ("bullets", "numbered"):
            for item in value:
                document.add_paragraph(item, style="List Bullet" if kind == "bullets" else "List Number")
        elif kind == "table":
            header, *rows = value["rows"]
            table = document.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, header):
                cell.text = text
            for row in rows:
                for cell, text in zip(table.add_row().cells, row):
                    cell.text = text  # a "\n" in a cell is a line break inside it
    document.save(path)


def _spec_blocks(spec: dict) -> list[tuple[str, object]]:
    """The blocks of a DOCX/PDF spec in order: ("title", text), then either ``spec["blocks"]`` — each
    {"heading": text, "level": n, "style": "bold" (PDF: bold body text)}, {"paragraph": text},
    {"bullets": [...]}, {"numbered": [...]}, {"table": rows, "widths": [...], "repeat_header": bool,
    "grid": bool}, {"page_break": true} or {"title": true} (where the title stands when ``title_first``
    is false, e.g. below a letterhead) — or the older form: ``paragraphs`` followed by one ``table``."""
    blocks: list[tuple[str, object]] = [("title", spec["title"])] if spec.get("title_first", True) else []
    if "blocks" not in spec:
        blocks += [("paragraph", text) for text in spec.get("paragraphs", [])]
        if spec.get("table"):
            blocks.append(("table", {"rows": spec["table"]}))
        return blocks
    for block in spec["blocks"]:
        if "heading" in block:
            blocks.append(("heading", {**block, "text": block["heading"], "level": block.get("level", 1)}))
        elif "title" in block:
            blocks.append(("title", spec["title"]))
        elif "table" in block:
            blocks.append(("table", {**block, "rows": block["table"]}))
        else:
            kind = next(key for key in ("paragraph", "bullets", "numbered", "page_break") if key in block)
            blocks.append((kind, block[kind]))
    return blocks


def make_pdf(spec: dict, path: Path) -> None:
    """A PDF from ``spec`` (see :func:`_spec_blocks`); a table may run over pages (its header row
    repeated there with ``repeat_header``), a cell's "\n" is a line break in it; ``running_header``
    and ``footer`` ("{page}" = the page number) are drawn on every page; ``landscape``: A4 on its side
    (a slide deck)."""
    pagesize = landscape(A4) if spec.get("landscape") else A4
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    cell_style = body.clone("cell", fontSize=9, leading=11)
    story = []
    for kind, value in _spec_blocks(spec):
        if kind == "title":
            story.append(Paragraph(escape(value), styles[spec.get("title_style", "Heading1")]))
        elif kind == "heading" and value.get("style") == "bold":
            story += [Spacer(1, 4), Paragraph(f"<b>{escape(value['text'])}</b>", body)]
        elif kind == "heading":
            story.append(Paragraph(escape(value["text"]), styles[f"Heading{min(value.get('level', 1) + 1, 4)}"]))
        elif kind == "paragraph":
            story += [Paragraph(escape(value).replace("\n", "<br/>"), body), Spacer(1, 6)]
        elif kind in ("bullets", "numbered"):
            for n, item in enumerate(value, start=1):
                story.append(Paragraph(f"{'•' if kind == 'bullets' else f'{n}.'} {escape(item)}", body))
            story.append(Spacer(1, 6))
        elif kind == "page_break":
            story.append(PageBreak())
        elif kind == "table":
            rows = [[Paragraph(escape(cell).replace("\n", "<br/>"), cell_style) for cell in row] for row in value["rows"]]
            table = Table(rows, colWidths=value.get("widths") or [190, 140, 170],
                          repeatRows=1 if value.get("repeat_header") else 0)
            grid = [("GRID", (0, 0), (-1, -1), 0.5, "black")] if value.get("grid", True) else []
            table.setStyle(TableStyle([*grid, ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story += [table, Spacer(1, 8)]

    def decorate(canvas, document) -> None:
        canvas.setFont("Helvetica", 8)
        if spec.get("running_header"):
            canvas.drawString(72, pagesize[1] - 40, spec["running_header"])
        if spec.get("footer"):
            canvas.drawRightString(pagesize[0] - 72, 30, spec["footer"].format(page=document.page))

    SimpleDocTemplate(str(path), pagesize=pagesize).build(story, onFirstPage=decorate, onLaterPages=decorate)


def build_corpus(folder: Path) -> Path:
    corpus = folder / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    for source in sorted(LAYOUTS.iterdir()):
        if source.name.endswith(".docx.json"):
            make_docx(json.loads(source.read_text(encoding="utf-8")), corpus / source.name.removesuffix(".json"))
        elif source.name.endswith(".pdf.json"):
            make_pdf(json.loads(source.read_text(encoding="utf-8")), corpus / source.name.removesuffix(".json"))
        else:
            shutil.copy2(source, corpus / source.name)
    return corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "eval" / "layouts_report"), help="folder for report.md and results.json")
    parser.add_argument("--no-baselines", action="store_true", help="skip the BM25/dense/llama-index baselines")
    parser.add_argument("--work", help="keep the corpus and index in this (new) folder instead of a temporary one")
    args = parser.parse_args(argv)
    assistant = Path(sys.executable).with_name("assistant")
    with tempfile.TemporaryDirectory(prefix="layouts-eval-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        corpus = build_corpus(work)
        env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(work / "index"),
               "ASSISTANT_DATABASE_URL": f"sqlite:///{work / 'app.db'}"}
        subprocess.run([str(assistant), "ingest"], env=env, check=True)
        command = [str(assistant), "eval", "--questions", str(QUESTIONS), "--out", args.out]
        if args.no_baselines:
            command.append("--no-baselines")
        return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    raise SystemExit(main())
