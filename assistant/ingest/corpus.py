"""Find, read and clean corpus documents, keeping every line traceable to the original file.

A :class:`Document` keeps the text exactly as read (``lines``), so every chunk and every quote can
point back to a file and a 1-based line range. Cleaning happens when lines are *joined* (see
:func:`join_lines`): markup is stripped, words hyphenated across line breaks are rejoined and
whitespace is collapsed. Quote verification uses the very same function, so a quote is checkable
against the original lines.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from assistant.lang.councils import COUNCIL_NATIONAL, regional_council
from assistant.schema import Document
from assistant.settings import Settings
from assistant.text import join_lines

_REGIONAL_COUNCIL = re.compile(
    r"(?:Regionala?|regionala?)\s+vårdkompetensråd(?:et)?\s+(?:i\s+)?([A-ZÅÄÖ][a-zåäö]+)"
)

_HEALTHCARE_REGION = re.compile(
    r"\b([A-ZÅÄÖ][a-zåäö]+)\s+sjukvårdsregion|[Ss]jukvårdsregion\s+([A-ZÅÄÖ][a-zåäö]+)"
)


class DocumentError(Exception):
    """A document that cannot be read; the message is meant for the user."""


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_documents(corpus_dir: Path, settings: Settings) -> list[Path]:
    """All supported files under ``corpus_dir`` (sorted, hidden files and the catalog skipped)."""
    if not corpus_dir.is_dir():
        return []
    found = []
    for path in sorted(corpus_dir.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(corpus_dir).parts):
            continue
        if path.name == settings.catalog_file or path.suffix.lower() not in settings.supported_suffixes:
            continue
        found.append(path)
    return found


def load_catalog(corpus_dir: Path, settings: Settings) -> dict[str, dict]:
    """The catalog (file name → metadata); empty when missing or unreadable."""
    path = corpus_dir / settings.catalog_file
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = data.get("documents", data) if isinstance(data, dict) else {}
    return {name: meta for name, meta in entries.items() if isinstance(meta, dict)}


def decode_text(data: bytes) -> str:
    """Decode bytes of a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise DocumentError("PDF-filen är krypterad och kan inte läsas.")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"PDF-filen kunde inte läsas ({type(exc).__name__}).") from exc
    # Pages are separated by three empty lines, the same break the slide detector recognises.
    return "\n\n\n\n".join(pages)


def _read_docx(path: Path) -> str:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, PackageNotFoundError) as exc:
        raise DocumentError(f"DOCX-filen kunde inte läsas ({type(exc).__name__}).") from exc
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = docx.text.paragraph.Paragraph(block, document)
            text = paragraph.text
            style = (paragraph.style.name or "") if paragraph.style is not None else ""
            level = re.search(r"(\d+)$", style) if style.lower().startswith(("heading", "rubrik")) else None
            lines.append(f"{'#' * int(level.group(1))} {text}" if level and text.strip() else text)
            lines.append("")
        elif tag == "tbl":
            table = docx.table.Table(block, document)
            for row in table.rows:
                lines.append("\t".join(cell.text.replace("\n", " ") for cell in row.cells))
            lines.append("")
    return "\n".join(lines)


def read_text(path: Path) -> str:
    """Text of a supported file; raises :class:`DocumentError` with a user-facing reason."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = _read_pdf(path)
    elif suffix == ".docx":
        text = _read_docx(path)
    else:
        text = decode_text(path.read_bytes())
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise DocumentError("Dokumentet innehåller ingen text.")
    return text


def infer_title(lines: list[str]) -> str:
    """First non-empty line, cleaned (used when the catalog has no entry)."""
    for line in lines:
        clean = join_lines([line])
        if clean:
            return clean[:200]
    return ""


def infer_council(text: str) -> str:
    """Council named in the opening of a document (regional name, else the national council)."""
    head = join_lines(text.split("\n")[:40])
    match = _REGIONAL_COUNCIL.search(head)
    if match:
        return regional_council(match.group(1))
    if re.search(r"regional", head[:300], re.IGNORECASE):
        region = _HEALTHCARE_REGION.search(head)
        if region:
            return regional_council(region.group(1) or region.group(2))
    if re.search(r"nationella vårdkompetensråd", head, re.IGNORECASE):
        return COUNCIL_NATIONAL
    return ""


def infer_doc_type(title: str) -> str:
    """Document type from the title's first type word ("verksamhetsplan … med aktivitetsplan" → verksamhetsplan)."""
    lowered = title.lower()
    found = [(lowered.find(keyword), doc_type) for keyword, doc_type in (
        ("aktivitetsplan", "aktivitetsplan"), ("verksamhetsplan", "verksamhetsplan"),
        ("uppdrag", "regeringsuppdrag"), ("rapport", "rapport"),
    ) if keyword in lowered]
    return min(found)[1] if found else "dokument"


def read_document(path: Path, catalog: dict[str, dict] | None = None) -> Document:
    """Read one file into a :class:`Document` with catalog or inferred metadata."""
    data = path.read_bytes()
    text = read_text(path)
    lines = text.split("\n")
    meta = dict((catalog or {}).get(path.name, {}))
    title = meta.get("title") or infer_title(lines)
    return Document(
        path=path,
        source=path.name,
        lines=lines,
        title=title,
        council=meta.get("council") or infer_council(text),
        doc_type=meta.get("doc_type") or infer_doc_type(title),
        period=str(meta.get("period", "")),
        url=meta.get("url", ""),
        content_hash=content_hash(data),
        meta=meta,
    )
