"""Definitions of abbreviations the documents themselves spell out: "Vad står VFU för?", "what does AT mean".

The defining passage is found in the text — "verksamhetsförlagd utbildning (VFU)", "UKÄ,
Universitetskanslersämbetet", "VFU (verksamhetsförlagd utbildning)" — and quoted; the answer leads
with the expansion when the abbreviation's initials fit it, else with the defining phrase as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.citations import CitationBuilder
from assistant.lang.abbreviations import _in_order
from assistant.lang.patterns import DEFINITION_QUESTIONS, compile_ci
from assistant.lang.spelling import fold
from assistant.store.loaded import LoadedIndex
from assistant.text import normalize_for_match

_QUESTIONS = [compile_ci(pattern) for pattern in DEFINITION_QUESTIONS]
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
