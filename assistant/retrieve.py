"""Hybrid retrieval: dense (e5 in Chroma) + BM25 (Swedish stems), fused with reciprocal rank fusion.

Councils named in the question ("Södra", "Mellansverige", "nationella rådet", a county such as
"Dalarna") restrict the search to their documents when the index has them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from assistant.chunking import Chunk
from assistant.index import LoadedIndex
from assistant.settings import Settings
from assistant.text import tokenize

# Counties (län/regioner) of Sweden's six healthcare regions: general knowledge, used to map a
# county named in a question to the regional council that covers it.
HEALTHCARE_REGIONS: dict[str, tuple[str, ...]] = {
    "Mellansverige": ("dalarna", "gävleborg", "södermanland", "uppsala", "värmland", "västmanland", "örebro"),
    "Södra": ("skåne", "blekinge", "kronoberg", "halland"),
    "Sydöstra": ("jönköping", "kalmar", "östergötland"),
    "Västra": ("västra götaland", "vgr"),
    "Stockholm-Gotland": ("stockholm", "gotland"),
    "Norra": ("norrbotten", "västerbotten", "västernorrland", "jämtland", "härjedalen"),
}
ENGLISH_REGION_NAMES = {"Södra": ("southern", "south"), "Mellansverige": ("central sweden", "mid sweden", "middle sweden"),
                        "Norra": ("northern",), "Västra": ("western",), "Sydöstra": ("south-east", "southeast")}
NATIONAL_ALIASES = ("nationella vårdkompetensråd", "nationella rådet", "nationella rådets", "nvkr", "national council",
                    "national healthcare", "det nationella rådet")


@dataclass
class Hit:
    """A retrieved chunk with its fused and per-retriever scores."""

    position: int
    chunk: Chunk
    score: float
    dense: float
    lexical: float


@lru_cache(maxsize=1)
def glossary() -> dict[str, list[str]]:
    data = json.loads(resources.files("assistant").joinpath("data/glossary.json").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_")}


@lru_cache(maxsize=1)
def _glossary_patterns() -> list[tuple[str, re.Pattern, list[str]]]:
    return [(phrase, re.compile(rf"\b{re.escape(phrase)}\b"), terms) for phrase, terms in glossary().items()]


def expand_query(question: str, abbreviations_map: dict[str, str] | None = None) -> str:
    """Append Swedish equivalents of English domain terms and the long forms of abbreviations."""
    lowered = question.lower()
    # the substring tests are cheap necessary conditions for the regex matches
    extra = [term for phrase, pattern, terms in _glossary_patterns()
             if phrase in lowered and pattern.search(lowered) for term in terms]
    for short, long in (abbreviations_map or {}).items():
        if short.lower() in lowered and re.search(rf"(?<![\wåäö]){re.escape(short.lower())}(?![\wåäö])", lowered):
            extra.append(long)
    return f"{question} {' '.join(extra)}" if extra else question


_ABBREVIATION = re.compile(r"((?:[\wåäöÅÄÖ-]+\s+){0,3}[\wåäöÅÄÖ-]+)\s+\(([A-ZÅÄÖ]{2,6})\)")


def find_abbreviations(texts: list[str]) -> dict[str, str]:
    """Abbreviations defined in the text itself: "verksamhetsförlagd utbildning (VFU)" → VFU."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _ABBREVIATION.finditer(text):
            words, short = match.group(1).split(), match.group(2)
            for n in range(1, len(words) + 1):
                candidate = words[-n:]
                initials = [w[0].upper() for w in candidate]
                if initials[0] == short[0] and _in_order(initials, short):
                    found.setdefault(short, " ".join(candidate).lower())
                    break
    return found


def _in_order(initials: list[str], short: str) -> bool:
    position = 0
    for letter in initials:
        position = short.find(letter, position)
        if position < 0:
            return False
        position += 1
    return True


_ABBREVIATION_CACHE: dict[str, dict[str, str]] = {}


def abbreviations(index: LoadedIndex) -> dict[str, str]:
    """Abbreviation map of an index build (computed once per build)."""
    if "abbreviations" in index.lexicon:
        return index.lexicon["abbreviations"]
    if index.build_id not in _ABBREVIATION_CACHE:
        _ABBREVIATION_CACHE[index.build_id] = find_abbreviations([chunk.text for chunk in index.chunks])
    return _ABBREVIATION_CACHE[index.build_id]


@lru_cache(maxsize=64)
def _region_pattern(region: str, genitive: bool) -> re.Pattern:
    """One regex for a healthcare region: its name, counties and English names, as whole words."""
    names = (region.lower(),) + HEALTHCARE_REGIONS.get(region, ()) + ENGLISH_REGION_NAMES.get(region, ())
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\wåäö])(?:{alternatives}){'s?' if genitive else ''}(?![\wåäö])")


def detect_councils(question: str, known: list[str]) -> list[str]:
    """Councils (as named in the index) that the question refers to."""
    lowered = question.lower()
    found = []
    for council in known:
        if not council:
            continue
        if council.startswith("RVKR "):
            if _region_pattern(council[5:], genitive=True).search(lowered):
                found.append(council)  # "Södra" and the genitive "Södras"
        elif any(alias in lowered for alias in NATIONAL_ALIASES):
            found.append(council)
    return found


def unindexed_regions(question: str, known: list[str]) -> list[str]:
    """Healthcare regions named in the question that no indexed council covers ("Norra", "Jämtland")."""
    lowered = question.lower()
    covered = {council[5:] for council in known if council.startswith("RVKR ")}
    return [region for region in HEALTHCARE_REGIONS
            if region not in covered and _region_pattern(region, genitive=False).search(lowered)]


def _rrf(ranked: list[int], k: int) -> dict[int, float]:
    return {position: 1.0 / (k + rank + 1) for rank, position in enumerate(ranked)}


def retrieve(index: LoadedIndex, query_vector: np.ndarray, question: str, settings: Settings,
             councils: list[str] | None = None, sources: list[str] | None = None, k: int | None = None) -> list[Hit]:
    """Top chunks for a question, optionally restricted to councils and/or source files."""
    k = k or settings.top_k
    allowed = set(sources) if sources else None
    if councils:
        council_sources = {name for name, meta in index.documents().items() if meta.get("council") in councils}
        allowed = (allowed & council_sources) if allowed is not None else council_sources
    if allowed is not None and not allowed:
        return []

    dense_hits = index.dense_search(query_vector, settings.dense_candidates, sorted(allowed) if allowed else None)

    lexical = index.bm25_scores(tokenize(expand_query(question, abbreviations(index))))
    if allowed is not None:
        lexical = np.where(index.source_mask(allowed), lexical, 0.0)
    lexical_ranked = [int(i) for i in np.argsort(-lexical)[: settings.bm25_candidates] if lexical[i] > 0]

    fused: dict[int, float] = {}
    for scores in (_rrf([p for p, _ in dense_hits], settings.rrf_k), _rrf(lexical_ranked, settings.rrf_k)):
        for position, value in scores.items():
            fused[position] = fused.get(position, 0.0) + value
    top_lexical = float(lexical.max()) if len(lexical) else 0.0
    best = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:k]
    dense = index.vectors[[position for position, _ in best]] @ query_vector if best else []
    return [Hit(position, index.chunks[position], score, float(similarity),
                float(lexical[position]) / top_lexical if top_lexical else 0.0)
            for (position, score), similarity in zip(best, dense)]
