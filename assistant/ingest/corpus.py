"""Find, read and clean corpus documents, keeping every line traceable to the original file.

A :class:`Document` keeps the text exactly as read (``lines``), so every chunk and every quote can
point back to a file and a 1-based line range. Cleaning happens when lines are *joined* (see
:func:`join_lines`): markup is stripped, words hyphenated across line breaks are rejoined and
whitespace is collapsed. Quote verification uses the very same function, so a quote is checkable
against the original lines.

Files are read as text with their layout kept where it carries meaning: Word and HTML tables and the
tables of a PDF become one tab-separated line per row (the chunker's tab tables), headings become
Markdown "#" lines, list items "- " lines (a Word list item that Word numbers keeps its number,
"1. …", see :class:`DocxNumbering`). A PDF is read with pdfplumber (its pages with pypdf where
pdfplumber fails): lines in a larger font or wholly in bold become "#" headings, the running header
and footer repeated on its pages are dropped; the lines are what the reader produced, and quotes are
checked against them.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.lang.councils import COUNCIL_NATIONAL, regional_council
from assistant.messages import INGEST_MESSAGES
from assistant.schema import Document
from assistant.settings import Settings
from assistant.text import join_lines

# A council by name: "Regionalt vårdkompetensråd X", "Regionala vårdkompetensrådet (i) X", "RVKR X";
# a region's name may join two names with a hyphen ("Stockholm-Gotland").
_REGION_NAME = r"([A-ZÅÄÖ][A-Za-zÅÄÖåäö]+(?:-[A-ZÅÄÖ][A-Za-zÅÄÖåäö]+)?)"
_REGIONAL_COUNCIL = re.compile(
    rf"(?i:\bregional[at]?\s+vårdkompetensråd(?:et)?)\s+(?:i\s+)?{_REGION_NAME}"
)
_RVKR = re.compile(rf"\bRVKR\s+{_REGION_NAME}")
# A healthcare region: "X sjukvårdsregion(en)", "Sjukvårdsregion X".
_HEALTHCARE_REGION = re.compile(
    r"\b([A-ZÅÄÖ][a-zåäö]+)\s+sjukvårdsregion(?:en)?\b|\b[Ss]jukvårdsregion(?:en)?\s+([A-ZÅÄÖ][a-zåäö]+)"
)
# Capitalised words before "sjukvårdsregion" that are no region's name ("Varje sjukvårdsregion …").
_NOT_REGIONS = {"Alla", "Annan", "Den", "Denna", "Det", "Egen", "En", "Ett", "Hela", "I", "Inom", "Någon", "Per",
                "Respektive", "Samma", "Samtliga", "Sex", "Varje", "Vilken", "Vår", "Er", "Sin"}
_NATIONAL_COUNCIL = re.compile(r"nationella vårdkompetensråd", re.IGNORECASE)
#: A vertical gap between two text lines of a PDF page larger than this many line heights is a paragraph break.
PDF_PARAGRAPH_GAP = 0.7
#: A PDF line whose font is at least this many times the body text's size is a heading (of at most
#: ``PDF_MAX_HEADING_WORDS`` words).
PDF_HEADING_SIZE_RATIO = 1.15
PDF_MAX_HEADING_WORDS = 20
#: A line that opens or closes at least this share of a PDF's pages is its running header or footer.
PDF_FURNITURE_SHARE = 0.5
#: A line wholly in bold of at most this many words is a heading, where at most this share of the text is bold.
PDF_MAX_BOLD_HEADING_WORDS = 12
PDF_MAX_BOLD_SHARE = 0.3
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_CID_BULLET = re.compile(r"^\s*\(cid:\d+\)\s*")
_CID = re.compile(r"\(cid:\d+\)")
_LIGATURES = re.compile("[\ufb00-\ufb06]")
# HTML elements whose text is not the page's content, and those that stand on lines of their own.
_HTML_DROPPED = {"script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "head", "nav",
                 "button", "select", "input", "textarea"}
_HTML_BLOCKS = {"address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "div", "dl",
                "dt", "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "hr", "html", "legend", "li",
                "main", "ol", "p", "pre", "section", "summary", "ul", "caption"}


# Parts of a page that are the site's, not the document's: landmark roles of menus, banners, search
# boxes and footers, and cookie/consent banners (by their id or class). Without <main>, a <footer>
# outside the document's <article> and a <header> without a top-level heading are the site's too.
_HTML_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "search"}
_HTML_CONSENT = re.compile(r"cookie|consent|gdpr|kakor|kakbanner", re.IGNORECASE)
_HTML_PAGE_ELEMENTS = {"html", "body", "main", "article"}


class DocumentError(Exception):
    """A document that cannot be read; the message is meant for the user."""


@dataclass(frozen=True)
class ReadLimits:
    """How much one document may make a reader do (``settings``: max_pdf_pages, max_docx_unpacked_bytes,
    max_document_chars). Each is checked as early as it can be: the pages before any text is extracted,
    the DOCX's unpacked size in its zip directory before it is parsed, the characters while reading."""

    max_pages: int | None = None
    max_docx_unpacked_bytes: int | None = None
    max_chars: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "ReadLimits":
        return cls(settings.max_pdf_pages, settings.max_docx_unpacked_bytes, settings.max_document_chars)

    def check_chars(self, count: int) -> None:
        if self.max_chars is not None and count > self.max_chars:
            raise DocumentError(INGEST_MESSAGES["too_many_chars"].format(limit=f"{self.max_chars:,}".replace(",", " ")))


NO_LIMITS = ReadLimits()


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


def _read_pdf(path: Path, limits: ReadLimits = NO_LIMITS) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise DocumentError("PDF-filen är krypterad och kan inte läsas.")
        count = len(reader.pages)  # the page tree only: nothing is extracted yet
        if limits.max_pages is not None and count > limits.max_pages:
            raise DocumentError(INGEST_MESSAGES["too_many_pages"].format(pages=count, limit=limits.max_pages))
        pages, chars = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            limits.check_chars(chars)  # stop reading as soon as the document is over the limit
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"PDF-filen kunde inte läsas ({type(exc).__name__}).") from exc
    # The pages are read again with pdfplumber, which sees the tables' cells and the font sizes.
    for number, text in _pdf_plumber_pages(path).items():
        if number < len(pages):
            pages[number] = text
    # Pages are separated by three empty lines, the same break the slide detector recognises.
    return "\n\n\n\n".join(drop_page_furniture(pages))


def _furniture_key(line: str) -> str:
    """A page's running header or footer compared across pages: page numbers and spacing ignored."""
    return re.sub(r"\d+", "#", " ".join(line.split())).lower()


def drop_page_furniture(pages: list[str]) -> list[str]:
    """Pages without their running header and footer: a first or last line that (its numbers aside)
    is also the first or last line of at least ``PDF_FURNITURE_SHARE`` of the pages, two at least
    ("Regionalt vårdkompetensråd Västra", "Handlingsplan 2026 – sida 2"). A table row is never one,
    nor a heading ("# Kapitel 3" atop each page). Pages with fewer than three lines of text do not count
    towards the share, but lose such a line too (a slide deck's title page: a title and the footer)."""
    if len(pages) < 2:
        return pages
    split = [page.split("\n") for page in pages]

    def ends(lines: list[str], least: int = 3) -> list[int]:
        """The first and last line of a page that has at least ``least`` lines of text."""
        filled = [k for k, line in enumerate(lines) if line.strip()]
        ends = filled[:1] + filled[-1:] if len(filled) >= least else []
        return [k for k in ends if "\t" not in lines[k] and not lines[k].startswith("#")]

    counts: dict[str, int] = {}
    for lines in split:
        for key in {_furniture_key(lines[k]) for k in ends(lines)}:
            counts[key] = counts.get(key, 0) + 1
    repeated = {key for key, count in counts.items() if count >= max(2, PDF_FURNITURE_SHARE * len(pages))}
    if not repeated:
        return pages
    out = []
    for lines in split:
        drop = {k for k in ends(lines, 2) if _furniture_key(lines[k]) in repeated}
        kept = [line for k, line in enumerate(lines) if k not in drop]
        while kept and not kept[0].strip():
            kept.pop(0)
        while kept and not kept[-1].strip():
            kept.pop()
        out.append("\n".join(kept))
    return out


def _table_cell(value: str | None) -> str:
    """A PDF table cell on one line: wrapped lines joined (and words hyphenated over them rejoined)."""
    return join_lines([pdf_glyphs(line) for line in (value or "").split("\n")])


def pdf_glyphs(text: str) -> str:
    """A PDF line in plain characters: the glyph codes pdfminer gives for characters a font does not
    map ("(cid:127)") dropped — one that opens the line is its list bullet ("• ") —, typographic
    ligatures spelt out ("speciﬁk" → "specifik") and soft hyphens dropped, except one that ends the
    line: that is a word broken over the line, written "-" so that joining the lines rejoins it."""
    if "(cid:" in text:
        text = _CID.sub("", _CID_BULLET.sub("• ", text))
    if _LIGATURES.search(text):
        text = _LIGATURES.sub(lambda match: unicodedata.normalize("NFKC", match.group(0)), text)
    if "\xad" in text:
        text = text.rstrip()
        text = text[:-1].replace("\xad", "") + "-" if text.endswith("\xad") else text.replace("\xad", "")
    return text


def _pdf_plumber_pages(path: Path) -> dict[int, str]:
    """Page index → text of every page of a PDF read with pdfplumber (tables: lines ruled as a table).

    Text lines outside the tables and the tables' rows are kept in reading order, top to bottom; a
    table is one tab-separated line per row with an empty line before and after it, so that the
    chunker reads it as a tab table (a header row repeated on a later page is a header there too).
    A line set in a font clearly larger than the body text is a heading ("#" by size, the largest
    first; a heading wrapped over lines is one line), and so is a short line wholly in bold where the
    body text is not bold. Each page is reduced to its lines (text, position, font size, bold) and
    released before the next is read, so a long PDF costs no more memory than its longest page.
    Empty when pdfplumber is missing or fails on the file: pypdf's text of every page is kept then."""
    try:
        import pdfplumber
    except ImportError:
        return {}
    found: dict[int, str] = {}
    sizes_seen: dict[float, int] = {}  # font size → characters outside the tables (the body text's size)
    bold_seen = [0, 0]  # characters in bold, all characters outside the tables
    pages: list[tuple[list, list[dict]]] = []
    try:
        with pdfplumber.open(str(path)) as pdf:
            for page in pdf.pages:
                # a ruled box around text is no table: a table has rows of at least two cells
                extracted = [(table.bbox, table.extract()) for table in page.find_tables()]
                tables = [(bbox, rows) for bbox, rows in extracted if max(map(len, rows), default=0) >= 2]
                pages.append((tables, [_pdf_line(line, sizes_seen, bold_seen) for line in _pdf_text_lines(page, tables)]))
                page.close()
        sizes = _pdf_heading_sizes(sizes_seen)
        bold = bold_seen[1] > 0 and bold_seen[0] <= PDF_MAX_BOLD_SHARE * bold_seen[1]
        for number, (tables, text_lines) in enumerate(pages):
            found[number] = "\n".join(_pdf_page_lines(text_lines, tables, sizes, bold))
    except Exception:  # pdfminer raises many kinds of errors on damaged files, which pypdf did read
        return {}
    return found


def _pdf_line(line: dict, sizes_seen: dict[float, int], bold_seen: list[int]) -> dict:
    """A pdfplumber text line as what the reader keeps of it: its text, position, median font size and
    whether it is wholly in bold; its characters are counted into ``sizes_seen`` and ``bold_seen``."""
    chars = [char for char in line.get("chars", []) if char.get("text", "").strip()]
    sizes = sorted(round(float(char.get("size") or 0.0), 1) for char in chars)
    bold = [bool(_BOLD_FONT.search(str(char.get("fontname", "")))) for char in chars]
    for size in sizes:
        sizes_seen[size] = sizes_seen.get(size, 0) + 1
    bold_seen[0] += sum(bold)
    bold_seen[1] += len(chars)
    return {"text": line["text"], "top": line["top"], "bottom": line["bottom"],
            "size": sizes[len(sizes) // 2] if sizes else 0.0, "bold": bool(chars) and all(bold)}


def _pdf_heading_sizes(counts: dict[float, int]) -> list[float]:
    """Font sizes of a PDF's headings, largest first: sizes at least ``PDF_HEADING_SIZE_RATIO`` times the
    body text's (the size most characters have; ``counts``: size → characters), at most three."""
    if not counts:
        return []
    body = max(counts, key=lambda size: counts[size])
    return sorted((size for size in counts if size >= PDF_HEADING_SIZE_RATIO * body), reverse=True)[:3]


def _line_heading_level(line: dict, sizes: list[float], bold: bool = False) -> int:
    """1, 2, 3 for a text line set in a heading size (``sizes``); with ``bold``, the next level for a
    short line set wholly in bold ("Regeringens beslut", "Skälen för regeringens beslut"); 0 for other lines."""
    text = line["text"].strip()
    if not line["size"] or len(text.split()) > PDF_MAX_HEADING_WORDS or text.endswith((".", ",", ";")):
        return 0  # a sentence in a larger font is no heading
    level = next((n for n, heading in enumerate(sizes, start=1) if line["size"] >= heading), 0)
    if not level and bold and line["bold"] and len(text.split()) <= PDF_MAX_BOLD_HEADING_WORDS and not text.endswith(":"):
        return len(sizes) + 1
    return level


def _pdf_text_lines(page, tables) -> list[dict]:
    """pdfplumber's text lines of a page outside its tables (``tables``: (bbox, extracted rows))."""
    boxes = [bbox for bbox, _ in tables]

    def outside_tables(obj) -> bool:
        if obj.get("object_type") != "char":
            return True
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    return (page.filter(outside_tables) if boxes else page).extract_text_lines()


_NOTE_MARKS = re.compile(r"^[\d\s*†‡,)]+$")


def _without_note_marks(text_lines: list[dict]) -> list[dict]:
    """The lines without those made only of footnote marks: digits in a smaller font raised above a line
    of text they belong to ("stor³ enligt rådet.¹²" gives a line "3 12" just above the sentence)."""
    def raised_over_text(mark: dict) -> bool:
        return any(line is not mark and line["size"] > mark["size"] and line["top"] < mark["bottom"] <= line["bottom"]
                   for line in text_lines)

    return [line for line in text_lines if not (_NOTE_MARKS.match(line["text"]) and raised_over_text(line))]


def _pdf_page_lines(text_lines: list[dict], tables, sizes: list[float] = (), bold: bool = False) -> list[str]:
    """A page's text lines (:func:`_pdf_line`, outside the tables) and table rows (``tables``: (bbox,
    extracted rows)) from top to bottom; lines in a heading size (``sizes``), or wholly in bold
    (``bold``), as Markdown headings."""
    blocks: list[tuple[float, int, object]] = [(line["top"], 0, line) for line in _without_note_marks(text_lines)]
    blocks += [(bbox[1], 1, (bbox, rows)) for bbox, rows in tables]
    lines: list[str] = []
    previous_bottom: float | None = None
    heading_level = 0
    for top, is_table, item in sorted(blocks, key=lambda block: (block[0], block[1])):
        if is_table:
            bbox, rows = item
            cells = ["\t".join(_table_cell(cell) for cell in row) for row in rows]
            lines += ["", *(row for row in cells if row.strip()), ""]
            previous_bottom, heading_level = bbox[3], 0
            continue
        height = max(item["bottom"] - item["top"], 1.0)
        gap = previous_bottom is not None and top - previous_bottom > PDF_PARAGRAPH_GAP * height
        level = _line_heading_level(item, list(sizes), bold)
        previous_level, previous_bottom = heading_level, item["bottom"]
        heading_level = level
        if level and previous_level == level and lines and lines[-1].startswith("#") and not gap:
            lines[-1] = f"{lines[-1]} {pdf_glyphs(item['text'])}"  # a heading wrapped over two lines
            continue
        if lines and lines[-1] and (gap or level or previous_level):
            lines.append("")
        text = pdf_glyphs(item["text"])
        lines.append(f"{'#' * level} {text}" if level else text)
    while lines and not lines[0]:
        lines.pop(0)
    return [line for k, line in enumerate(lines) if line or (k and lines[k - 1])]  # no double blank lines


def docx_unpacked_bytes(path: Path) -> int:
    """The size a DOCX (a zip file) unpacks to: the sum of its entries' sizes in the zip directory.

    Nothing is decompressed, so a small file that would unpack to gigabytes of XML costs nothing."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return sum(max(0, info.file_size) for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentError(f"DOCX-filen kunde inte läsas ({type(exc).__name__}).") from exc


def _read_docx(path: Path, limits: ReadLimits = NO_LIMITS) -> str:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if limits.max_docx_unpacked_bytes is not None:
        size = docx_unpacked_bytes(path)
        if size > limits.max_docx_unpacked_bytes:
            raise DocumentError(INGEST_MESSAGES["docx_unpacked_too_large"].format(
                size=_megabytes(size), limit=_megabytes(limits.max_docx_unpacked_bytes)))
    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, PackageNotFoundError) as exc:
        raise DocumentError(f"DOCX-filen kunde inte läsas ({type(exc).__name__}).") from exc
    lines: list[str] = []
    chars = 0
    styles: dict[str | None, str] = {}  # style id → name: python-docx scans every style per look-up
    numbering = DocxNumbering(document)
    titled = False  # a paragraph in the Title style came first: the headings stand below it
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = docx.text.paragraph.Paragraph(block, document)
            style_id = block.pPr.style if block.pPr is not None else None
            if style_id not in styles:
                style = paragraph.style
                styles[style_id] = (style.name or "") if style is not None else ""
            lines.append(_docx_paragraph(paragraph, styles[style_id], titled, numbering))
            titled = titled or _docx_title_style(styles[style_id]) and bool(paragraph.text.strip())
            chars += len(lines[-1]) + 1
            lines.append("")
        elif tag == "tbl":
            table = docx.table.Table(block, document)
            for row in table.rows:
                lines.append("\t".join(_docx_row(row)))
                chars += len(lines[-1]) + 1
            lines.append("")
        limits.check_chars(chars)  # stop as soon as the document is over the limit
    return "\n".join(lines)


def _docx_title_style(style: str) -> bool:
    return style.strip().lower() in ("title", "rubrik", "titel")  # Word's Title style, also in Swedish Word


def _docx_paragraph(paragraph, style: str, titled: bool = False, numbering: DocxNumbering | None = None) -> str:
    """A paragraph's text (``style``: its style's name); a heading as a Markdown heading, a list item
    as a "- " line, or with its number ("1. …", "a) …") where Word's numbering (``numbering``) numbers
    it. The Title style is the top level: below a title (``titled``) "Heading 1" is "##", so that the
    title stays in the section path of what follows."""
    text = paragraph.text
    lowered = style.lower()
    level = re.search(r"(\d+)$", style) if lowered.startswith(("heading", "rubrik")) else None
    if text.strip() and level:
        return f"{'#' * (int(level.group(1)) + titled)} {text}"
    if text.strip() and _docx_title_style(style):
        return f"# {text}"
    marker = numbering.marker(paragraph) if numbering is not None and text.strip() else None
    if marker:
        return f"{marker} {text.strip()}"
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if text.strip() and (numbered or lowered.startswith(("list", "liststycke", "punktlista", "numrerad lista"))):
        return f"- {text.strip()}"
    return text


_NUMBER_FORMATS_WITHOUT_NUMBER = frozenset({"bullet", "none"})
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))
#: Deepest list level Word defines (w:ilvl 0–8).
DOCX_MAX_LIST_LEVEL = 8


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letters(n: int) -> str:
    """1 → a, 26 → z, 27 → aa (as Word counts letters: the letter repeated)."""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


def _format_number(n: int, fmt: str) -> str:
    """A list counter in a Word number format (``w:numFmt``); decimal for formats not listed here."""
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n) if n > 0 else str(n)
    if fmt == "upperRoman":
        return _roman(n).upper() if n > 0 else str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


class DocxNumbering:
    """Word's list numbering of one document (its numbering part, ``word/numbering.xml``): whether a
    paragraph is numbered and its number as Word shows it.

    A paragraph is in a list by its own ``w:numPr`` or its style's (or a base style's); the list
    (``w:num``) refers to an abstract definition whose level (``w:ilvl``) gives the number format
    (``w:numFmt``: decimal, lowerLetter, upperRoman …, or bullet) and the text around the number
    (``w:lvlText`` "%1.", "%1)", "%1.%2."); a list's level override can set another start. Counters run
    per list through the document, a level restarting below a higher one, as Word counts them.
    """

    def __init__(self, document):
        self._levels: dict[str, dict[int, tuple[str, int, str]]] = {}  # numId → ilvl → (format, start, text)
        self._counters: dict[str, dict[int, int]] = {}
        self._style_lists: dict[str, tuple[str, int] | None] = {}  # style id → (numId, ilvl) of the style
        self._styles = document.styles.element  # CT_Styles: look-up by style id
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, ValueError, AttributeError):
            return  # no numbering part: list items stay "- " lines
        abstract = {a.get(_w("abstractNumId")): {_ilvl(lvl): _level(lvl) for lvl in a.findall(_w("lvl"))}
                    for a in root.findall(_w("abstractNum"))}
        for num in root.findall(_w("num")):
            ref = num.find(_w("abstractNumId"))
            levels = dict(abstract.get(ref.get(_w("val")) if ref is not None else None, {}))
            for override in num.findall(_w("lvlOverride")):
                ilvl = _ilvl(override)
                lvl = override.find(_w("lvl"))
                if lvl is not None:
                    levels[ilvl] = _level(lvl)
                start = override.find(_w("startOverride"))
                if start is not None and ilvl in levels:
                    levels[ilvl] = (levels[ilvl][0], _int(start.get(_w("val")), 1), levels[ilvl][2])
            self._levels[num.get(_w("numId"))] = levels

    def marker(self, paragraph) -> str | None:
        """"1.", "a)", "2.1." for a numbered paragraph, "-" for a bulleted one, None when Word's numbering
        does not say (no list, or a list this document does not define)."""
        found = self._list_of(paragraph)
        if found is None:
            return None
        num_id, ilvl = found
        levels = self._levels.get(num_id, {})
        if ilvl not in levels:
            return None
        fmt, start, text = levels[ilvl]
        counters = self._counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # "1." after "a)", "b)": the sub-list starts again below the next item
        if fmt in _NUMBER_FORMATS_WITHOUT_NUMBER:
            return "-"

        def number(match: re.Match) -> str:
            level = int(match.group(1)) - 1
            level_fmt, level_start, _ = levels.get(level, ("decimal", 1, ""))
            return _format_number(counters.get(level, level_start), level_fmt)

        marker = re.sub(r"%([1-9])", number, text).strip().lstrip("(")
        if not marker or not any(ch.isalnum() for ch in marker):
            return "-"
        # "1" alone would read as a section number ("1 Inledning"): a list number ends with "." or ")"
        return marker if marker.endswith((".", ")")) else f"{marker}."

    def _list_of(self, paragraph) -> tuple[str, int] | None:
        """(numId, ilvl) of the list a paragraph is in: its own numbering, else its style's; numId 0 is none."""
        p_pr = paragraph._p.pPr
        num_pr = p_pr.numPr if p_pr is not None else None
        style_list = self._style_list(p_pr.style if p_pr is not None else None)
        num_id = _val(num_pr.find(_w("numId"))) if num_pr is not None else None
        ilvl = _val(num_pr.find(_w("ilvl"))) if num_pr is not None else None
        if num_id is None and style_list is not None:
            num_id = style_list[0]
            ilvl = ilvl if ilvl is not None else str(style_list[1])
        if num_id is None or num_id == "0":
            return None
        return num_id, min(max(_int(ilvl, 0), 0), DOCX_MAX_LIST_LEVEL)

    def _style_list(self, style_id: str | None) -> tuple[str, int] | None:
        """(numId, ilvl) a paragraph style puts its paragraphs in, through the styles it is based on."""
        if style_id is None:
            return None  # the default paragraph style ("Normal") numbers nothing
        if style_id not in self._style_lists:
            found, seen, current = None, set(), style_id
            while current and current not in seen:  # a style based on itself (or in a ring) ends the search
                seen.add(current)
                style = self._styles.get_by_id(current)
                if style is None:
                    break
                p_pr = style.pPr
                num_pr = p_pr.numPr if p_pr is not None else None
                if num_pr is not None and _val(num_pr.find(_w("numId"))) is not None:
                    found = _val(num_pr.find(_w("numId"))), _int(_val(num_pr.find(_w("ilvl"))), 0)
                    break
                current = style.basedOn_val  # a style based on a list style is in its list
            self._style_lists[style_id] = found
        return self._style_lists[style_id]


_W_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _w(tag: str) -> str:
    return f"{{{_W_NAMESPACE}}}{tag}"


def _val(element) -> str | None:
    return element.get(_w("val")) if element is not None else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _ilvl(element) -> int:
    return min(max(_int(element.get(_w("ilvl")), 0), 0), DOCX_MAX_LIST_LEVEL)


def _level(lvl) -> tuple[str, int, str]:
    """(number format, start, level text) of a ``w:lvl``; a level without a format counts in decimals."""
    return (_val(lvl.find(_w("numFmt"))) or "decimal", _int(_val(lvl.find(_w("start"))), 1),
            _val(lvl.find(_w("lvlText"))) or "")


def _docx_row(row) -> list[str]:
    """A table row's cells on one line each; a cell spanning several columns fills the first of them
    and leaves the others empty (a vertically merged cell repeats in each row it spans)."""
    cells = [""] * (row.grid_cols_before or 0)
    previous = None
    for cell in row.cells:
        same = previous is not None and cell._tc is previous
        cells.append("" if same else re.sub(r"[\t\n\r]+", " ", cell.text))
        previous = cell._tc
    return cells + [""] * (row.grid_cols_after or 0)


def _html_text(node) -> str:
    return " ".join(node.get_text(" ").split())


def _read_html(path: Path) -> str:
    """An HTML page (saved from a browser) as lines: headings as "#" lines, list items as "- " (or
    "1. ") lines, each table row as one tab-separated line, paragraphs separated by an empty line;
    scripts, styles, navigation, form controls and hidden elements dropped, only the main content read
    where the page marks it. The page title heads the text when the page has no top-level heading."""
    from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

    soup = BeautifulSoup(decode_text(path.read_bytes()), "html.parser")
    title = soup.title.get_text(" ").strip() if soup.title else ""
    for element in soup.find_all(True):
        if element.decomposed:
            continue
        style = (element.get("style") or "").replace(" ", "").lower()
        if element.name in _HTML_DROPPED or element.has_attr("hidden") or "display:none" in style \
                or element.get("aria-hidden") == "true" or _html_site_furniture(element):
            element.decompose()
    lines: list[str] = []
    inline: list[str] = []

    def flush(blank: bool = True) -> None:
        for part in "".join(inline).split("\n"):
            text = " ".join(part.split())
            if text:
                lines.append(text)
        inline.clear()
        if blank and lines and lines[-1]:
            lines.append("")

    def walk(node, depth: int = 0) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                inline.append(re.sub(r"\s+", " ", str(child)))  # a line break in the source is a space
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name == "br":
                inline.append("\n")
            elif re.fullmatch(r"h[1-6]", name):
                flush()
                text = _html_text(child)
                if text:
                    lines.extend([f"{'#' * int(name[1])} {text}", ""])
            elif name == "table":
                flush()
                _html_table(child, lines)
            elif name == "dl" and child.find("dt") is not None:
                flush()
                _html_definitions(child, lines)
            elif name == "li":
                flush(blank=False)
                parent = child.find_parent(["ol", "ul"])
                marker = "- "
                if parent is not None and parent.name == "ol":
                    position = next((k for k, li in enumerate(parent.find_all("li", recursive=False)) if li is child), 0)
                    start = int(parent["start"]) if str(parent.get("start", "")).isdigit() else 1
                    marker = f"{start + position}. "
                inline.append(marker)
                walk(child, depth + 1)
                flush(blank=False)
            elif name in ("ul", "ol"):
                flush(blank=depth == 0)
                walk(child, depth)
                flush(blank=depth == 0)
            elif name == "pre":
                flush()
                lines.extend(line.rstrip() for line in child.get_text().split("\n"))
                lines.append("")
            elif name in _HTML_BLOCKS:
                flush()
                walk(child, depth)
                flush()
            else:
                walk(child, depth)

    # A page that marks its main content (<main>, role="main") is read from there: menus, skip links,
    # banners and footers around it are the site's, not the document's.
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    if main is None:
        for element in soup.find_all(["header", "footer"]):
            if not element.decomposed and element.find_parent("article") is None \
                    and (element.name == "footer" or element.find("h1") is None):
                element.decompose()
    walk(main if main is not None else soup)
    flush()
    if title and not any(line.startswith("# ") for line in lines):
        lines[:0] = [f"# {title}", ""]
    return "\n".join(lines)


def _html_site_furniture(element) -> bool:
    """Whether an element is the site's menu, banner, search box or footer by its landmark role, or a
    cookie/consent banner by its id or class (never the page's html, body, main or article)."""
    if element.name in _HTML_PAGE_ELEMENTS:
        return False
    if str(element.get("role") or "").lower() in _HTML_FURNITURE_ROLES:
        return True
    classes = element.get("class") or []
    names = " ".join([str(element.get("id") or ""), *(classes if isinstance(classes, list) else [str(classes)])])
    return bool(_HTML_CONSENT.search(names))


def _html_table(table, lines: list[str]) -> None:
    """Rows of an HTML table as tab-separated lines (a cell spanning columns is followed by empty cells,
    one spanning rows is repeated in the rows below); the caption on a line before them."""
    caption = table.find("caption")
    if caption is not None and _html_text(caption):
        lines += [_html_text(caption), ""]
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    pending: dict[int, tuple[str, int]] = {}  # column → (text, rows still spanned)
    out = []
    for tr in rows:
        cells: list[str] = []
        for cell in tr.find_all(["td", "th"], recursive=False):
            while len(cells) in pending:
                cells.append(_take_span(pending, len(cells)))
            text = re.sub(r"\s+", " ", cell.get_text(" ")).strip()
            span = int(cell.get("colspan", 1)) if str(cell.get("colspan", "1")).isdigit() else 1
            down = int(cell.get("rowspan", 1)) if str(cell.get("rowspan", "1")).isdigit() else 1
            if down > 1:
                pending[len(cells)] = (text, down - 1)
            cells.append(text)
            cells.extend([""] * (max(span, 1) - 1))
        while len(cells) in pending:
            cells.append(_take_span(pending, len(cells)))
        if any(cells):
            out.append("\t".join(cells))
    if out:
        if lines and lines[-1]:
            lines.append("")
        lines += out + [""]


def _html_definitions(dl, lines: list[str]) -> None:
    """A definition list (``<dl>``: a fact box, a contact card) as ``term: description`` lines, the
    labelled lines the chunker reads as a record; a term with several descriptions gets them all."""
    out: list[list[str]] = []
    for item in dl.find_all(["dt", "dd"]):
        if item.find_parent("dl") is not dl:
            continue  # a list nested in a description is read with it
        text = _html_text(item)
        if item.name == "dt":
            out.append([text.rstrip(" :"), ""])
        elif out and text:
            out[-1][1] = f"{out[-1][1]}; {text}" if out[-1][1] else text
        elif text:
            out.append(["", text])
    rendered = [f"{term}: {value}" if term and value else term or value for term, value in out]
    if rendered:
        if lines and lines[-1]:
            lines.append("")
        lines += [line for line in rendered if line] + [""]


def _take_span(pending: dict[int, tuple[str, int]], column: int) -> str:
    text, left = pending[column]
    if left <= 1:
        del pending[column]
    else:
        pending[column] = (text, left - 1)
    return text


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}" if size >= 10 * 1024 * 1024 else f"{size / (1024 * 1024):.1f}"


def read_text(path: Path, limits: ReadLimits = NO_LIMITS) -> str:
    """Text of a supported file within ``limits``; raises :class:`DocumentError` with a user-facing reason."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = _read_pdf(path, limits)
    elif suffix == ".docx":
        text = _read_docx(path, limits)
    elif suffix in (".html", ".htm"):
        text = _read_html(path)
    else:
        text = decode_text(path.read_bytes())
    limits.check_chars(len(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if not text.strip():
        raise DocumentError("Dokumentet innehåller ingen text.")
    return text


#: The title is a document's first top-level heading when one stands within this many opening lines.
TITLE_HEADING_LINES = 40


def infer_title(lines: list[str]) -> str:
    """The first top-level Markdown heading of the opening lines (below a letterhead, a running header),
    else the first non-empty line, cleaned (used when the catalog has no entry)."""
    heading = next((line for line in lines[:TITLE_HEADING_LINES] if re.match(r"#\s+\S", line)), None)
    if heading is not None:
        return join_lines([heading])[:200]
    for line in lines:
        clean = join_lines([line])
        if clean:
            return clean[:200]
    return ""


def _region_name(name: str) -> str:
    return name.capitalize() if name.isupper() and len(name) > 3 else name  # "SÖDRA" → "Södra"


def infer_council(text: str) -> str:
    """Council named in the opening of a document.

    The first regional one named wins: a council ("Regionalt vårdkompetensråd X", "Regionala
    vårdkompetensrådet (i) X", "RVKR X") or a healthcare region ("X sjukvårdsregion(en)") — a region
    only in a document that names a regional council, calls itself regional or names the region
    before the national council; else the national council."""
    head = join_lines(text.split("\n")[:40])
    named = [match for pattern in (_REGIONAL_COUNCIL, _RVKR) if (match := pattern.search(head))]
    council = min(named, key=lambda match: match.start()) if named else None
    region = next((match for match in _HEALTHCARE_REGION.finditer(head)
                   if (match.group(1) or match.group(2)) not in _NOT_REGIONS), None)
    if council and not (region and region.start() < council.start()):
        return regional_council(_region_name(council.group(1)))
    national = _NATIONAL_COUNCIL.search(head)
    if region and (council or re.search(r"regional", head[:300], re.IGNORECASE) or not national
                   or region.start() < national.start()):
        return regional_council(region.group(1) or region.group(2))
    if national:
        return COUNCIL_NATIONAL
    return ""


def infer_doc_type(title: str) -> str:
    """Document type from the title's first type word ("verksamhetsplan … med aktivitetsplan" → verksamhetsplan)."""
    lowered = title.lower()
    found = [(lowered.find(keyword), doc_type) for keyword, doc_type in (
        ("aktivitetsplan", "aktivitetsplan"), ("handlingsplan", "aktivitetsplan"), ("verksamhetsplan", "verksamhetsplan"),
        ("uppdrag", "regeringsuppdrag"), ("rapport", "rapport"),
    ) if keyword in lowered]
    return min(found)[1] if found else "dokument"


def read_document(path: Path, catalog: dict[str, dict] | None = None, limits: ReadLimits = NO_LIMITS) -> Document:
    """Read one file into a :class:`Document` with catalog or inferred metadata."""
    return document_from_text(path, read_text(path, limits), catalog)


_PERIOD = re.compile(r"\b((?:19|20)\d{2})(?:\s*[–-]\s*((?:19|20)\d{2}))?\b")


def infer_period(title: str) -> str:
    """The year or span of years a title names: "Aktivitetsplan 2026" → "2026", "… 2026-2028" → "2026–2028"."""
    match = _PERIOD.search(title or "")
    if not match:
        return ""
    return f"{match.group(1)}–{match.group(2)}" if match.group(2) else match.group(1)


def document_from_text(path: Path, text: str, catalog: dict[str, dict] | None = None) -> Document:
    """A :class:`Document` of a file whose text was read (:func:`read_text`, perhaps in another process)."""
    data = path.read_bytes()
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
        period=str(meta.get("period") or infer_period(title)),  # a file without catalog metadata: its title's years
        url=meta.get("url", ""),
        content_hash=content_hash(data),
        meta=meta,
    )
