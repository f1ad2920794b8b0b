"""The evidence plan: the best sentences of the retrieved chunks, when no specialised plan answers.

Each unit (sentence, list item, record field) of the top chunks is scored by its cosine with the
question (rescaled above a floor), the IDF-weighted share of the question's terms it covers, and its
chunk's retrieval rank. The answer is the best unit and those within a margin of it — at most a few
sentences and a few hundred characters, each cited and verified. Below a calibrated score the
assistant abstains instead (the threshold is a setting chosen on the dev split).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.citations import CitationBuilder, cite_unit
from assistant.answer.evidence import Terms, adds_expected_information, adds_words, coverage, unit_scoring_text
from assistant.retrieve.sentences import ScoredUnit
from assistant.settings import Settings
from assistant.store.loaded import LoadedIndex


@dataclass
class Evidence:
    score: float
    scored: ScoredUnit


def score_units(units: list[ScoredUnit], terms: Terms, index: LoadedIndex, idf, settings: Settings,
                query: str) -> list[Evidence]:
    """Units ranked by the fused score; units that lack the asked-for kind of fact are left out."""
    floor = settings.evidence_dense_floor
    out = []
    for scored in units:
        if not adds_expected_information(query, scored.unit.quote) or not adds_words(query, scored.unit.quote):
            continue
        chunk = index.chunks[scored.position]
        lexical = 0.75 * coverage(terms, unit_scoring_text(scored.unit.shown, chunk, terms), idf) \
            + 0.25 * coverage(terms, f"{scored.unit.shown} {chunk.section}", idf) if terms else 0.0
        dense = max(0.0, min(1.0, (scored.dense - floor) / (1.0 - floor)))
        score = (settings.evidence_weight_dense * dense + settings.evidence_weight_lexical * lexical
                 + settings.evidence_weight_rank / (1 + scored.rank))
        out.append(Evidence(score, scored))
    out.sort(key=lambda e: e.score, reverse=True)
    return out


def choose(ranked: list[Evidence], settings: Settings) -> list[Evidence]:
    """The best unit and those close to it, within the unit and character budgets."""
    chosen: list[Evidence] = []
    seen: set[str] = set()
    chars = 0
    for evidence in ranked:
        if chosen and evidence.score < chosen[0].score - settings.evidence_margin:
            break
        quote = evidence.scored.unit.quote
        if quote in seen or any(quote in other or other in quote for other in seen):
            continue
        length = len(evidence.scored.unit.shown)
        if chosen and chars + length > settings.evidence_max_chars:
            continue
        chosen.append(evidence)
        seen.add(quote)
        chars += length
        if len(chosen) >= settings.evidence_max_units:
            break
    return chosen


def evidence_lines(chosen: list[Evidence], index: LoadedIndex, cite: CitationBuilder, language: str,
                   items_max: int = 0) -> list[str]:
    lines = []
    for evidence in chosen:
        chunk = index.chunks[evidence.scored.position]
        unit = evidence.scored.unit
        shown = f"”{unit.shown}”" if language == "en" else unit.shown
        lines += cite_unit(index, cite, chunk, unit, shown, items_max)
    return lines
