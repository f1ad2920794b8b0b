"""Unit tests for assistant.corpus: cleaning, decoding, reading files and finding documents.

Fast and offline: no model, no network. Documents are read with
``read_document(path, load_catalog(corpus_dir, settings))`` exactly like ingest does.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from corpus_names import ALL_DOCS, CORPUS_DIR, MELLANSVERIGE, NATIONAL, PRESENTATION, SODRA, UPPDRAG

from assistant.ingest.corpus import (
    DocumentError,
    decode_text,
    find_documents,
    infer_council,
    infer_doc_type,
    infer_title,
    load_catalog,
    read_document,
    read_text,
)
from assistant.lang.councils import COUNCIL_NATIONAL
from assistant.text import join_lines, normalize_for_match, strip_markup


# ------------------------------------------------------------------------------ join_lines
@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # a word broken across a line break is rejoined
        (["verksam-", "hetsförlagd utbildning"], "verksamhetsförlagd utbildning"),
        (["Region Uppsala och Region Stock-", "holms placeringsverktyg"],
         "Region Uppsala och Region Stockholms placeringsverktyg"),
        (["arbeten för att få fler att återvända till vårdyr-", "ken, och i så fall"],
         "arbeten för att få fler att återvända till vårdyrken, och i så fall"),
        # trailing / leading whitespace around the break does not matter
        (["förord- ", "  ningen (2015:284)"], "förordningen (2015:284)"),
        # suspended compounds keep their hyphen and the space
        (["hälso-", "och sjukvården"], "hälso- och sjukvården"),
        (["kris-", "eller beredskap"], "kris- eller beredskap"),
        (["kommun-", "samt regionsjukvård"], "kommun- samt regionsjukvård"),
        (["barnmorskor i hälso-", "och sjukvården med fokus"], "barnmorskor i hälso- och sjukvården med fokus"),
        # an upper-case prefix keeps its hyphen: "AT-" + "föreskriften"
        (["översyn av AT-", "föreskriften, genomgång"], "översyn av AT-föreskriften, genomgång"),
        (["ökat antal VFU-", "platser i hela landet"], "ökat antal VFU-platser i hela landet"),
        # a next line starting with a capital is a new word, not a continuation
        (["hälso-", "Sjukvård"], "hälso- Sjukvård"),
        # a hyphen in the middle of a line is untouched
        (["allmän- (AT) och basnivå (BT)"], "allmän- (AT) och basnivå (BT)"),
        (["Eva-Lena och Ted"], "Eva-Lena och Ted"),
    ],
)
def test_join_lines_dehyphenation(lines, expected):
    assert join_lines(lines) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["<b>Verksamhetsförlagd utbildning i förnyelse</b>"], "Verksamhetsförlagd utbildning i förnyelse"),
        (["Text med<br/>radbrytning"], "Text medradbrytning"),
        (["## Aktivitetsplan 2026"], "Aktivitetsplan 2026"),
        (["#### Område 1. Verksamhetsförlagd utbildning i förnyelse"],
         "Område 1. Verksamhetsförlagd utbildning i förnyelse"),
        (["### *Omfattning av rådets verksamhet*"], "Omfattning av rådets verksamhet"),
        (["*kursiv*"], "kursiv"),
        (["**fet** text"], "fet text"),
        (["__understruken__"], "understruken"),
        # not emphasis: stars surrounded by spaces, underscores inside words, a bullet star
        (["a * b * c"], "a * b * c"),
        (["snake_case_word"], "snake_case_word"),
        (["* punkt i en lista"], "* punkt i en lista"),
        # a hashtag that is not a heading marker stays
        (["#vårdkompetens"], "#vårdkompetens"),
    ],
)
def test_join_lines_strips_markup(lines, expected):
    assert join_lines(lines) == expected


def test_join_lines_strips_several_emphasised_words_on_one_line():
    assert join_lines(["*Mål* och *aktivitet*"]) == "Mål och aktivitet"
    assert join_lines(["**VFU** och **AT**"]) == "VFU och AT"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("**1** Verksamhetsförlagd utbildning", "1 Verksamhetsförlagd utbildning"),
        ("Område *1* och *2*", "Område 1 och 2"),
    ],
)
def test_join_lines_strips_one_character_emphasis(line, expected):
    assert join_lines([line]) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Prioriterade områden\tAktivitet\t\tGenomförande"], "Prioriterade områden Aktivitet Genomförande"),
        (["  flera   mellanslag  ", "\t", "", "nästa\trad  "], "flera mellanslag nästa rad"),
        (["", "   ", "\t"], ""),
        ([], ""),
        (["rad ett", "rad två"], "rad ett rad två"),
        (["\u00a0hårt\u00a0mellanslag\u00a0"], "hårt mellanslag"),
    ],
)
def test_join_lines_collapses_whitespace(lines, expected):
    assert join_lines(lines) == expected


def test_strip_markup_keeps_plain_text():
    line = "Rådet avser att utbyta erfarenheter (VFU) – 2026."
    assert strip_markup(line) == line
    assert strip_markup("<b>Kris- och beredskap</b>\tRådet") == "Kris- och beredskap\tRådet"


def test_normalize_for_match_matches_join_lines():
    text = "Bevaka utvecklingen på nationell nivå gällande verksam-\nhetsförlagd utbildning \n"
    assert normalize_for_match(text) == "Bevaka utvecklingen på nationell nivå gällande verksamhetsförlagd utbildning"
    assert normalize_for_match(text) == join_lines(text.split("\n"))
    # case is kept
    assert normalize_for_match("Rådet  RÅDET") == "Rådet RÅDET"


# ----------------------------------------------------------------------------- decode_text
SWEDISH = "Vårdkompetensrådet möts i Göteborg – ÅÄÖ åäö"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(SWEDISH.encode("utf-8"), id="utf-8"),
        pytest.param(b"\xef\xbb\xbf" + SWEDISH.encode("utf-8"), id="utf-8-bom"),
        pytest.param(SWEDISH.encode("utf-16"), id="utf-16-native-bom"),
        pytest.param(b"\xff\xfe" + SWEDISH.encode("utf-16-le"), id="utf-16-le-bom"),
        pytest.param(b"\xfe\xff" + SWEDISH.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(SWEDISH.encode("cp1252"), id="cp1252"),
    ],
)
def test_decode_text_encodings(data):
    assert decode_text(data) == SWEDISH


def test_decode_text_latin1():
    text = "Södra sjukvårdsregionen, hälso- och sjukvård"
    assert decode_text(text.encode("latin-1")) == text


def test_decode_text_bom_is_not_kept():
    assert not decode_text(b"\xef\xbb\xbfRubrik").startswith("\ufeff")
    assert not decode_text("Rubrik".encode("utf-16")).startswith("\ufeff")


def test_read_text_normalises_line_endings_and_nul(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_bytes("rad ett\r\nrad två\rrad tre\x00\n".encode("utf-8"))
    assert read_text(path) == "rad ett\nrad två\nrad tre\n"


def test_read_document_latin1_file(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Regionala vårdkompetensrådet Mellansverige\nÖvergripande mål\n".encode("latin-1"))
    doc = read_document(path)
    assert doc.lines[:2] == ["Regionala vårdkompetensrådet Mellansverige", "Övergripande mål"]


def test_read_document_utf16_file(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_bytes("Nationella vårdkompetensrådet\r\nFokusområden 2026\r\n".encode("utf-16"))
    doc = read_document(path)
    assert doc.lines[:2] == ["Nationella vårdkompetensrådet", "Fokusområden 2026"]
    assert doc.council == COUNCIL_NATIONAL


# ---------------------------------------------------------------------------- read_document
def test_read_document_with_catalog_entry(corpus_docs):
    doc = corpus_docs[SODRA]
    path = CORPUS_DIR / SODRA
    assert doc.source == SODRA
    assert doc.path == path
    assert doc.title.startswith("Regionala vårdkompetensrådets verksamhetsplan 2026–2028")
    assert doc.council == "RVKR Södra"
    assert doc.doc_type == "verksamhetsplan"
    assert doc.period == "2026–2028"
    assert doc.url == ""
    assert doc.meta["council"] == "RVKR Södra"
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.text == path.read_text(encoding="utf-8")
    assert doc.lines == path.read_text(encoding="utf-8").split("\n")


def test_catalog_metadata_for_every_document(corpus_docs):
    assert sorted(corpus_docs) == ALL_DOCS
    assert corpus_docs[NATIONAL].council == COUNCIL_NATIONAL
    assert corpus_docs[MELLANSVERIGE].council == "RVKR Mellansverige"
    assert corpus_docs[MELLANSVERIGE].url.startswith("https://www.sjukvardsregionmellansverige.se/")
    assert corpus_docs[PRESENTATION].doc_type == "presentation"
    assert corpus_docs[UPPDRAG].doc_type == "regeringsuppdrag"
    assert corpus_docs[UPPDRAG].period == "2023–2024"


def test_span_text_is_one_based_inclusive_and_cleaned(corpus_docs):
    doc = corpus_docs[NATIONAL]
    # lines 4-5: "... står att läsa i förord-" / "ningen (2015:284) ..."
    span = doc.span_text(4, 5)
    assert span.startswith("Nationella vårdkompetensrådets arbete utgår från rådets uppdrag")
    assert "förordningen (2015:284)" in span
    assert doc.span_text(1, 2) == "Nationella vårdkompetensrådets verksamhetsplan 2026"


@pytest.mark.parametrize(
    ("name", "title", "council", "doc_type", "period"),
    [
        # the title names both plan kinds; the first one ("verksamhetsplan … med aktivitetsplan") wins, and
        # its first span of years is the period
        (SODRA, "Regionala vårdkompetensrådets verksamhetsplan 2026–2028 med aktivitetsplan för 2026",
         "RVKR Södra", "verksamhetsplan", "2026–2028"),
        (MELLANSVERIGE, "Regionalt vårdkompetensråd Mellansverige", "RVKR Mellansverige", "dokument", ""),
        (NATIONAL, "Nationella vårdkompetensrådets verksamhetsplan", COUNCIL_NATIONAL, "verksamhetsplan", ""),
    ],
)
def test_read_document_without_catalog_infers_metadata(tmp_path, name, title, council, doc_type, period):
    path = tmp_path / "okänd_plan.txt"
    shutil.copyfile(CORPUS_DIR / name, path)
    doc = read_document(path, {})
    assert doc.source == "okänd_plan.txt"
    assert doc.title == title
    assert doc.council == council
    assert doc.doc_type == doc_type
    assert doc.period == period and doc.url == "" and doc.meta == {}
    assert read_document(path).title == title  # catalog=None behaves like an empty catalog


def test_read_document_catalog_entry_only_fills_what_it_has(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text("# Regionala vårdkompetensrådet i Norrland\n\nAktivitetsplan för 2027.\n", encoding="utf-8")
    doc = read_document(path, {"plan.md": {"title": "Aktivitetsplan 2027", "period": 2027}})
    assert doc.title == "Aktivitetsplan 2027"
    assert doc.council == "RVKR Norrland"  # inferred, the entry has no council
    assert doc.doc_type == "aktivitetsplan"  # inferred from the catalog title
    assert doc.period == "2027"
    # an entry for another file is ignored
    other = read_document(path, {"annan.md": {"title": "Fel"}})
    assert other.title == "Regionala vårdkompetensrådet i Norrland"


def test_infer_doc_type_prefers_the_head_noun():
    title = "Regionala vårdkompetensrådets verksamhetsplan 2026–2028 med aktivitetsplan för 2026"
    assert infer_doc_type(title) == "verksamhetsplan"


@pytest.mark.parametrize(
    ("text", "council"),
    [
        ("# Regionala vårdkompetensrådet Västra Götaland\n", "RVKR Västra"),
        ("Aktivitetsplan\nRegionalt vårdkompetensråd i Stockholm-Gotland\nRegionala vårdkompetensrådet i Stockholm\n",
         "RVKR Stockholm-Gotland"),  # a region's name of two names
        ("Regional plan för kompetensförsörjning i Norra sjukvårdsregionen\n", "RVKR Norra"),
        ("Verksamhetsplan för Nationella vårdkompetensrådet\n", COUNCIL_NATIONAL),
        ("En helt annan text om skolan.\n", ""),
    ],
)
def test_infer_council(text, council):
    assert infer_council(text) == council


def test_infer_title_and_doc_type():
    assert infer_title(["", "   ", "## <b>Aktivitetsplan 2026</b>", "Text"]) == "Aktivitetsplan 2026"
    assert infer_title(["", " "]) == ""
    assert len(infer_title(["x" * 500])) == 200
    assert infer_doc_type("Aktivitetsplan 2026 Regionala vårdkompetensrådet") == "aktivitetsplan"
    assert infer_doc_type("Nationella vårdkompetensrådets verksamhetsplan 2026") == "verksamhetsplan"
    assert infer_doc_type("Regeringsuppdrag om en nationell plan") == "regeringsuppdrag"
    assert infer_doc_type("Pandemin och kompetensförsörjningen – rapport") == "rapport"
    assert infer_doc_type("Protokoll") == "dokument"


# ------------------------------------------------------------------------------------ DOCX
def _make_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Regionala vårdkompetensrådet Väst aktivitetsplan 2027", level=1)
    document.add_paragraph("Rådet beslutar om aktiviteter inom hälso- och sjukvården.")
    table = document.add_table(rows=3, cols=4)
    rows = [
        ("Aktivitet", "Ansvarig", "Tidplan", "Uppföljning"),
        ("Kartlägga VFU-platser", "Arbetsutskottet", "Q2 2027", "Q1 2028"),
        ("Anordna en konferens\nom handledning", "Rådet", "Q4 2027", "Q1 2028"),
    ]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    document.add_heading("Uppföljning", level=2)
    document.save(str(path))


def test_read_docx_heading_paragraph_and_table(tmp_path):
    path = tmp_path / "plan.docx"
    _make_docx(path)
    doc = read_document(path)
    non_blank = [line for line in doc.lines if line.strip()]
    assert non_blank == [
        "# Regionala vårdkompetensrådet Väst aktivitetsplan 2027",
        "Rådet beslutar om aktiviteter inom hälso- och sjukvården.",
        "Aktivitet\tAnsvarig\tTidplan\tUppföljning",
        "Kartlägga VFU-platser\tArbetsutskottet\tQ2 2027\tQ1 2028",
        "Anordna en konferens om handledning\tRådet\tQ4 2027\tQ1 2028",  # cell line break → space
        "## Uppföljning",
    ]
    # table rows are consecutive lines (no blank between them)
    header = doc.lines.index("Aktivitet\tAnsvarig\tTidplan\tUppföljning")
    assert "\t" in doc.lines[header + 1] and "\t" in doc.lines[header + 2]
    assert doc.title == "Regionala vårdkompetensrådet Väst aktivitetsplan 2027"
    assert doc.council == "RVKR Väst"
    assert doc.doc_type == "aktivitetsplan"
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def _numbered_list(document, num_id: str, levels: list[tuple[str, str]], start_override: int | None = None,
                   abstract_id: str | None = None) -> None:
    """A list definition in the document's numbering part: an abstract definition with ``levels``
    ((numFmt, lvlText) per level) unless ``abstract_id`` names one, and a list ``num_id`` using it."""
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    numbering = document.part.numbering_part.element
    if abstract_id is None:
        abstract_id = f"9{num_id}"
        lvls = "".join(f'<w:lvl w:ilvl="{n}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
                       for n, (fmt, text) in enumerate(levels))
        numbering.insert(0, parse_xml(f'<w:abstractNum {w} w:abstractNumId="{abstract_id}">{lvls}</w:abstractNum>'))
    override = (f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{start_override}"/></w:lvlOverride>'
                if start_override else "")
    numbering.append(parse_xml(f'<w:num {w} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{override}</w:num>'))


def _list_item(document, text: str, num_id: str, ilvl: int = 0):
    """A paragraph in the "List Paragraph" style (as Word writes list items) numbered by its own w:numPr."""
    paragraph = document.add_paragraph(text, style="List Paragraph")
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = ilvl
    num_pr.get_or_add_numId().val = int(num_id)
    return paragraph


def test_docx_numbered_lists_keep_their_numbers(tmp_path):
    """Word's numbering decides: a numbered list item keeps its number ("1.", "a)", "5." where the list
    starts at 5), a bulleted one is a "- " line; numbers follow the list's own count and levels."""
    import docx

    document = docx.Document()
    document.add_heading("Regeringsbeslut om handledning", level=1)
    document.add_paragraph("Regeringen beslutar att")
    _numbered_list(document, "41", [("decimal", "%1."), ("lowerLetter", "%2)")])
    _numbered_list(document, "42", [], start_override=5, abstract_id="941")
    _numbered_list(document, "43", [("bullet", "•")])
    _numbered_list(document, "44", [("upperRoman", "%1")])
    _list_item(document, "ge Socialstyrelsen i uppdrag att kartlägga handledningen,", "41")
    _list_item(document, "i kommunerna,", "41", 1)
    _list_item(document, "i regionerna,", "41", 1)
    _list_item(document, "avsätta 20 miljoner kronor för uppdraget.", "41")
    _list_item(document, "i hemsjukvården", "41", 1)
    document.add_paragraph("Därutöver beslutar regeringen att")
    _list_item(document, "rådet ska redovisa arbetet.", "42")
    _list_item(document, "Bakgrund till beslutet", "43")
    _list_item(document, "Första delen", "44")
    _list_item(document, "Andra delen", "44")
    document.add_paragraph("Utbildningen ges i två steg", style="List Number")  # numbered by its style
    document.add_paragraph("Punkt i stilens punktlista", style="List Bullet")
    path = tmp_path / "beslut.docx"
    document.save(str(path))

    doc = read_document(path)
    assert [line for line in doc.lines if line.strip()] == [
        "# Regeringsbeslut om handledning",
        "Regeringen beslutar att",
        "1. ge Socialstyrelsen i uppdrag att kartlägga handledningen,",
        "a) i kommunerna,",
        "b) i regionerna,",
        "2. avsätta 20 miljoner kronor för uppdraget.",
        "a) i hemsjukvården",  # a sub-list starts again under the next item
        "Därutöver beslutar regeringen att",
        "5. rådet ska redovisa arbetet.",  # the list's override starts it at 5
        "- Bakgrund till beslutet",
        "I. Första delen",  # "%1" alone gets a full stop: no section number "I Första delen"
        "II. Andra delen",
        "1. Utbildningen ges i två steg",
        "- Punkt i stilens punktlista",
    ]


def test_docx_style_based_on_a_numbered_style_is_numbered(tmp_path):
    """A paragraph style of the document's own, based on "List Number", numbers its paragraphs too."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    style = document.styles.add_style("Beslutspunkt", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["List Number"]
    for text in ("Rådet inrättar en arbetsgrupp.", "Kansliet bereder frågan."):
        document.add_paragraph(text, style="Beslutspunkt")
    path = tmp_path / "beslut.docx"
    document.save(str(path))
    assert [line for line in read_document(path).lines if line.strip()] == [
        "1. Rådet inrättar en arbetsgrupp.", "2. Kansliet bereder frågan."]


def test_docx_list_item_without_numbering_definitions_is_a_bullet(tmp_path):
    """A list item whose list the numbering part does not define stays a "- " line."""
    import docx

    document = docx.Document()
    _list_item(document, "Kartlägga handledningen", "77")
    path = tmp_path / "lista.docx"
    document.save(str(path))
    assert [line for line in read_document(path).lines if line.strip()] == ["- Kartlägga handledningen"]


def test_docx_that_is_a_zip_but_not_word_raises_document_error(tmp_path):
    path = tmp_path / "arkiv.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "hej")
    with pytest.raises(DocumentError, match="DOCX-filen kunde inte läsas"):
        read_document(path)


@pytest.mark.parametrize("data", [b"PK not a zip", b""], ids=["junk", "empty"])
def test_junk_docx_raises_document_error(tmp_path, data):
    path = tmp_path / "trasig.docx"
    path.write_bytes(data)
    with pytest.raises(DocumentError, match="DOCX-filen kunde inte läsas"):
        read_document(path)


# ------------------------------------------------------------------------------------- PDF
def _make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal text PDF (Helvetica, WinAnsiEncoding), one content stream per page."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        ("<< /Type /Pages /Kids [%s] /Count %d >>"
         % (" ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages))), len(pages))).encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 760 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("cp1252")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_read_pdf_text_pages(tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(_make_pdf([
        ["Regionala vårdkompetensrådet Norrland", "Verksamhetsförlagd utbildning (VFU) i hälso- och sjukvården"],
        ["Sida två: åäö ÅÄÖ"],
    ]))
    doc = read_document(path)
    non_blank = [line.strip() for line in doc.lines if line.strip()]
    assert non_blank == [
        "Regionala vårdkompetensrådet Norrland",
        "Verksamhetsförlagd utbildning (VFU) i hälso- och sjukvården",
        "Sida två: åäö ÅÄÖ",
    ]
    # pages are separated by at least three blank lines (the slide-break the chunker recognises)
    first = next(i for i, line in enumerate(doc.lines) if "hälso- och" in line)
    second = next(i for i, line in enumerate(doc.lines) if "Sida två" in line)
    assert second - first - 1 >= 3
    assert all(not line.strip() for line in doc.lines[first + 1:second])
    assert doc.title == "Regionala vårdkompetensrådet Norrland"
    assert doc.council == "RVKR Norrland"


def test_junk_pdf_raises_document_error_in_swedish(tmp_path):
    path = tmp_path / "skräp.pdf"
    path.write_bytes(b"detta \xe4r ingen pdf alls")
    with pytest.raises(DocumentError, match=r"^PDF-filen kunde inte läsas \(\w+\)\.$"):
        read_document(path)


def test_empty_pdf_raises_document_error(tmp_path):
    path = tmp_path / "tom.pdf"
    path.write_bytes(b"")
    with pytest.raises(DocumentError, match="PDF-filen kunde inte läsas"):
        read_document(path)


def test_encrypted_pdf_raises_document_error(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("hemligt", algorithm="RC4-128")
    path = tmp_path / "krypterad.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(DocumentError, match="krypterad"):
        read_document(path)


def test_pdf_without_text_raises_document_error(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    path = tmp_path / "bild.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(DocumentError, match="Dokumentet innehåller ingen text"):
        read_document(path)


def test_blank_text_file_raises_document_error(tmp_path):
    path = tmp_path / "tom.txt"
    path.write_bytes(b"  \n\t\n\r\n")
    with pytest.raises(DocumentError, match="Dokumentet innehåller ingen text"):
        read_document(path)


# -------------------------------------------------------------------------- find_documents
def test_find_documents_skips_hidden_unsupported_and_catalog(tmp_path, settings):
    files = [
        "a.txt", "b.md", "c.pdf", "d.docx", "E.TXT", "sub/f.txt",  # found
        ".dold.txt", ".git/g.txt", "sub/.cache/h.md",  # hidden
        "anteckningar.csv", "bild.png", "plan.doc", "README",  # unsupported suffix
        settings.catalog_file,  # the catalog
    ]
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("text", encoding="utf-8")
    (tmp_path / "mapp.txt").mkdir()  # a directory with a supported suffix is not a document
    found = [path.relative_to(tmp_path).as_posix() for path in find_documents(tmp_path, settings)]
    assert found == ["E.TXT", "a.txt", "b.md", "c.pdf", "d.docx", "sub/f.txt"]


def test_find_documents_missing_dir(tmp_path, settings):
    assert find_documents(tmp_path / "finns_inte", settings) == []


def test_find_documents_project_corpus(settings):
    assert [path.name for path in find_documents(CORPUS_DIR, settings)] == ALL_DOCS


# ---------------------------------------------------------------------------- load_catalog
def test_load_catalog_project_corpus(settings):
    catalog = load_catalog(CORPUS_DIR, settings)
    assert sorted(catalog) == ALL_DOCS
    assert catalog[NATIONAL]["council"] == COUNCIL_NATIONAL


def test_load_catalog_variants(tmp_path, settings):
    path = tmp_path / settings.catalog_file
    assert load_catalog(tmp_path, settings) == {}  # missing
    path.write_text("{inte json", encoding="utf-8")
    assert load_catalog(tmp_path, settings) == {}  # unreadable
    path.write_text(json.dumps(["lista"]), encoding="utf-8")
    assert load_catalog(tmp_path, settings) == {}  # not a mapping
    path.write_text(json.dumps({"a.txt": {"title": "A"}, "b.txt": "ingen dict"}), encoding="utf-8")
    assert load_catalog(tmp_path, settings) == {"a.txt": {"title": "A"}}  # flat mapping, bad entry dropped
    path.write_text(json.dumps({"documents": {"c.txt": {"title": "C"}}}), encoding="utf-8")
    assert load_catalog(tmp_path, settings) == {"c.txt": {"title": "C"}}
