"""Definitions of abbreviations the documents themselves spell out: "Vad står VFU för?", "what does AT mean".

The defining passage is found in the text — "verksamhetsförlagd utbildning (VFU)", "UKÄ,
Universitetskanslersämbetet", "VFU (verksamhetsförlagd utbildning)" — and quoted; the answer leads
with the expansion when the abbreviation's initials fit it, else with the defining phrase as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.answer.citations import CitationBuilder
from assistant.answer.evidence import COUNCIL_WORDS, present, sentences
from assistant.lang.abbreviations import _in_order
from assistant.lang.councils import REGIONAL_COUNCIL_NAME, council_region, detect_councils
from assistant.lang.patterns import COPULA, DEFINITION_QUESTIONS, DESCRIPTION_QUESTIONS, EXPANSION_QUESTION, compile_ci
from assistant.lang.spelling import fold
from assistant.lang.tokens import content_words, stem, token_set
from assistant.store.loaded import LoadedIndex
from assistant.text import normalize_for_match

_QUESTIONS = [compile_ci(pattern) for pattern in DEFINITION_QUESTIONS]
_EXPANSION = compile_ci(EXPANSION_QUESTION)
_DESCRIPTIONS = [compile_ci(pattern) for pattern in DESCRIPTION_QUESTIONS]
_COPULA = compile_ci(COPULA)
_TAIL = r"[\wåäöÅÄÖ-]*"
_WORD = r"[\wåäöÅÄÖ]" + _TAIL


@dataclass
class Definition:
    term: str          # as the documents write it ("VFU")
    phrase: str        # the defining phrase ("verksamhetsförlagd utbildning")
    quote: str         # verbatim stretch that holds both
    source: str
    line_start: int
    line_end: int
    section: str
    exact: bool        # the initials fit the phrase


def asks_expansion(question: str) -> bool:
    """Whether a definition question asks for an abbreviation's long form ("Vad står SKR för?")."""
    return bool(asked_term(question)) and bool(_EXPANSION.search(question))


def asked_term(question: str) -> str:
    """The abbreviation a definition question asks about ("" when it is not one)."""
    for pattern in _QUESTIONS:
        match = pattern.search(question.strip())
        if match:
            return match.group("term").strip("-")
    return ""


def _patterns(term: str) -> list[re.Pattern]:
    t = re.escape(term)
    return [
        re.compile(rf"(?P<phrase>(?:{_WORD}\s+){{0,5}}{_WORD})\s*\(\s*{t}\s*\)"),          # long form (VFU)
        re.compile(rf"(?<![\w]){t}\s*\(\s*(?P<phrase>[^()]{{3,80}}?)\s*\)"),              # VFU (long form)
        re.compile(rf"(?<![\w]){t},\s+(?P<phrase>[A-ZÅÄÖ]{_TAIL}(?:\s+{_WORD}){{0,4}})"),  # UKÄ, Long form
        re.compile(rf"(?<![\w]){t}\s+[–-]\s+(?P<phrase>{_WORD}(?:\s+{_WORD}){{0,5}})"),     # VFU – long form
    ]


def _trim(phrase: str, term: str) -> tuple[str, bool]:
    """The shortest tail of the phrase whose initials spell the term, else the phrase as written."""
    words = phrase.split()
    for n in range(1, len(words) + 1):
        candidate = words[-n:]
        initials = [w[0].upper() for w in candidate]
        if initials[0] == term[0].upper() and _in_order(initials, term.upper()):
            return " ".join(candidate), True
    return phrase, False


def _context(text: str, start: int, end: int, words_around: int = 3) -> str:
    """The match with a few words of context on each side (verbatim, whole words)."""
    head = re.split(r"[•●▪]|(?<=[.!?])\s", text[:start])[-1].split(" ")[-words_around - 1:]
    tail = re.split(r"[•●▪]|[.!?](?:\s|$)", text[end:])[0].split(" ")[:words_around + 1]
    return f"{' '.join(head)}{text[start:end]}{' '.join(tail)}".strip(" •,;")


def find_definitions(index: LoadedIndex, term: str) -> list[Definition]:
    """Passages that define ``term`` (matched case-insensitively without diacritics), best first."""
    spellings = {word for chunk in index.chunks for word in re.findall(r"[A-ZÅÄÖ]{2,8}", chunk.text)
                 if fold(word) == fold(term)}
    found: list[Definition] = []
    for written in sorted(spellings):
        for number, pattern in enumerate(_patterns(written)):
            for chunk in index.chunks:
                text = normalize_for_match(chunk.text)
                for match in pattern.finditer(text):
                    phrase = match.group("phrase").strip(" ,.;:")
                    if number == 0:
                        phrase, exact = _trim(phrase, written)
                    else:
                        exact = _trim(phrase, written)[1]
                    quote = _context(text, match.start(), match.end())
                    found.append(Definition(written, phrase, quote, chunk.source, chunk.line_start, chunk.line_end,
                                            chunk.section, exact))
    found.sort(key=lambda d: (not d.exact, len(d.phrase)))
    return found


def answer_lines(question: str, index: LoadedIndex, cite: CitationBuilder, language: str) -> list[str] | None:
    term = asked_term(question)
    if not term:
        return None
    definitions = find_definitions(index, term)
    if not definitions:
        return None
    best = definitions[0]
    n = cite.add(best.source, best.line_start, best.line_end, best.quote, best.section)
    if n is None:
        return None
    if language == "sv":
        lead = f"{best.term} står för {best.phrase}" if best.exact else f"{best.term} förklaras så här"
        return [f"{lead}: ”{best.quote}” [{n}]"]
    lead = f"{best.term} stands for “{best.phrase}”" if best.exact else f"{best.term} is explained as follows"
    return [f"{lead}: “{best.quote}” [{n}]"]


def described_subject(question: str, known_councils: list[str]) -> tuple[list[str], str | None, list[str]]:
    """(stems the subject must contain, the council whose plan must say it, councils named after "enligt").

    "Vad för slags forum är Regionala vårdkompetensrådet Mellansverige?" → the stems of "regionala
    vårdkompetensrådet" in Mellansverige's plan; "wat is nvkr" → the national council's name.
    """
    for pattern in _DESCRIPTIONS:
        match = pattern.match(question.strip())
        if not match:
            continue
        subject = match.group("subject")
        source = match.groupdict().get("source") or question[match.end("subject"):]  # the describing document
        according_to = detect_councils(source, known_councils)
        councils = detect_councils(subject, known_councils)
        # what the subject says besides naming a council ("mötesfrekvensen för Södras arbetsutskott")
        rest = [w for w in content_words(subject) if stem(w) not in COUNCIL_WORDS and not detect_councils(w, known_councils)]
        council = councils[0] if len(councils) == 1 else None
        if council and not rest:  # the council itself: "Regionala vårdkompetensrådet Mellansverige", "nvkr"
            regional = council_region(council) is not None
            words = content_words(REGIONAL_COUNCIL_NAME if regional else council)
            return [stem(w) for w in words], council if regional else None, according_to
        return [stem(w) for w in rest], council, according_to
    return [], None, []


def description_lines(question: str, index: LoadedIndex, hits, cite: CitationBuilder, language: str,
                      known_councils: list[str], limit: int = 2, extra_words: int = 3,
                      search_chunks: int = 10) -> list[str] | None:
    """Sentences of the documents that say what the asked-about thing is ("X är ett …"), or None.

    A describing sentence's subject holds every stem of the asked-about name and at most
    ``extra_words`` more words ("Det nationella vårdkompetensrådet"); besides the retrieved chunks the
    ``search_chunks`` that match the name best (BM25) are read ("wat is nvkr" retrieves little)."""
    stems, council, according_to = described_subject(question, known_councils)
    if not stems:
        return None
    found = []
    chunks = [hit.chunk for hit in hits]
    scores = index.bm25_scores(stems)
    seen = {chunk.chunk_id for chunk in chunks}
    for position in np.argsort(-scores)[:search_chunks]:
        if scores[position] > 0 and index.chunks[position].chunk_id not in seen:
            chunks.append(index.chunks[position])
    for rank, chunk in enumerate(chunks):
        if (council and chunk.council != council) or (according_to and chunk.council not in according_to):
            continue
        for unit in sentences(chunk):
            copula = _COPULA.search(unit.shown)
            if not copula:
                continue
            subject = unit.shown[:copula.start()]
            subject_words = content_words(subject)
            if not subject_words or len(subject_words) > len(stems) + extra_words:
                continue
            tokens = token_set(subject)
            if all(present(frozenset({s}), tokens) for s in stems):
                found.append((len(subject_words) - len(stems), rank, chunk, unit))
    if not found:
        return None
    found.sort(key=lambda item: (item[0], item[1]))
    lines = []
    for _, _, chunk, unit in found[:limit]:
        n = cite.add(chunk.source, chunk.line_start, chunk.line_end, unit.quote, chunk.section)
        if n is not None:
            lines.append(f"”{unit.shown}” [{n}]" if language == "en" else f"{unit.shown} [{n}]")
    return lines or None
