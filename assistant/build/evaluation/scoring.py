"""Scoring: whole-word fact matching, the judge, quote and supporting-quote checks, and the metrics.

Per question (:func:`judge`):

* an answerable question passes when the answer is not an abstention, contains for every graded
  ``must`` group (``must_v2`` when present, else ``must``) at least one alternative, and contains none
  of the ``must_not`` strings;
* an unanswerable question passes when the system abstained.

Matching (:func:`contains`) is on whole words: case-insensitive, whitespace-normalised, words hyphenated
across a line break joined (the project's own :func:`assistant.text.join_lines`), and an alternative
must start and end at word boundaries where it starts/ends with a letter or digit ("at" is not found in
"verksamhet", "22" not in "2022"). There is no dash or hyphen folding: the groups list the spellings.
"""

from __future__ import annotations

import re
import statistics
from functools import lru_cache

import numpy as np

from assistant.build.evaluation.questions import SINGLE_ANSWER_KINDS, Question
from assistant.text import join_lines, normalize_for_match

RECALL_K = 5
MRR_K = 10
TOP_K_CONTEXT = 5            # the retrieved chunks whose text must hold the answer ("retrieved top-5")
MAX_SINGLE_ANSWER_CITATIONS = 3  # owner/contact answers citing more distinct places than this are flagged


# ------------------------------------------------------------------ whole-word matching
def normalize_text(text: str) -> str:
    """Lower-cased running text: markup stripped, line-break hyphens joined, whitespace collapsed."""
    return join_lines((text or "").split("\n")).lower()


@lru_cache(maxsize=8192)
def _word_pattern(needle: str) -> re.Pattern | None:
    """Regex for a normalised needle that must start and end at word boundaries (where it has word ends)."""
    if not needle:
        return None
    head = r"(?<!\w)" if re.match(r"\w", needle[0]) else ""
    tail = r"(?!\w)" if re.match(r"\w", needle[-1]) else ""
    return re.compile(head + re.escape(needle) + tail)


def contains(haystack_normalized: str, needle: str) -> bool:
    """Whether ``needle`` occurs as whole words in an already :func:`normalize_text`-ed haystack."""
    pattern = _word_pattern(normalize_text(needle))
    return bool(pattern and pattern.search(haystack_normalized))


def missing_groups(answer: str, must: list[list[str]]) -> list[list[str]]:
    """The must groups of which the answer contains none of the alternatives (whole words)."""
    text = normalize_text(answer)
    return [group for group in must if not any(contains(text, alt) for alt in group)]


def forbidden_present(answer: str, must_not: list[str]) -> list[str]:
    """The ``must_not`` strings the answer contains (whole words)."""
    text = normalize_text(answer)
    return [s for s in must_not if contains(text, s)]


def judge(question: Question, answer: str, abstained: bool) -> tuple[bool, str]:
    """(pass, why) for one answer."""
    if not question.answerable:
        return (True, "correctly abstained") if abstained else (False, "answered an unanswerable question")
    if abstained:
        return False, "false abstention"
    must = question.graded_must
    missing = missing_groups(answer, must)
    forbidden = forbidden_present(answer, question.must_not)
    reasons = []
    if missing:
        reasons.append(f"missing {len(missing)} of {len(must)} must groups: " + "; ".join(" / ".join(g) for g in missing))
    if forbidden:
        reasons.append("contains a must_not string (a wrong candidate): " + "; ".join(forbidden))
    return (False, " | ".join(reasons)) if reasons else (True, "all must groups present")


# ------------------------------------------------------------------ quotes, markers, citations
def quote_is_verbatim(doc_lines: dict[str, list[str]], source: str, lines, quote: str) -> bool:
    """Re-verify a quote: normalised, it must be a substring of the normalised cited line span."""
    text = doc_lines.get(source)
    try:
        start, end = int(lines[0]), int(lines[1])
    except (TypeError, ValueError, IndexError):
        return False
    if text is None or start < 1 or end < start or end > len(text):
        return False
    needle = normalize_for_match(quote or "")
    return bool(needle) and needle in normalize_for_match("\n".join(text[start - 1:end]))


_MARKER = re.compile(r"\[(\d{1,2})\]")


def markers_resolve(answer: str, citation_numbers: list[int]) -> bool:
    """Every ``[n]`` marker in the answer names a citation that was returned."""
    return {int(n) for n in _MARKER.findall(answer or "")} <= set(citation_numbers)


def distinct_citations(citations: list[dict]) -> int:
    """How many different places (source and line span) the citations point to."""
    return len({(c.get("source"), tuple(c.get("lines") or ())) for c in citations})


# ------------------------------------------------------------------ supporting quotes
# Text inside quotation marks is the quoted source itself, not a value the line states.
_QUOTED = re.compile(r"[”“\"«»„][^”“\"«»„\n]*[”“\"«»]")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_WORD = re.compile(r"[^\W\d_]\w*(?:-\w+)*")
_NUMBER = re.compile(r"(?<!\w)\d+(?:[.,]\d+)?(?!\w)")
_QUARTER = re.compile(r"(?<!\w)q[1-4](?!\w)", re.IGNORECASE)
# A capitalised word right after these starts a sentence or a parenthesis; after ":" or ";" it is the value
# of a "Label: value" pair, so it is checked (the label itself is in ``labels``).
_SENTENCE_START = ".!?("
_OPENERS = " \t[{*_\"'”“«»„"
MONTHS_SV = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
             "november", "december")
MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december")
_MONTH_NAMES = {**{m: m for m in MONTHS_SV}, **{m.capitalize(): sv for m, sv in zip(MONTHS_EN, MONTHS_SV)}}
# Swedish month names in any case; English ones only capitalised ("May", not the verb "may"), read as the
# Swedish month ("1 January" is supported by "1 januari").
_MONTH = re.compile(r"(?<!\w)(?:(?i:" + "|".join(MONTHS_SV) + r")|" + "|".join(m.capitalize() for m in MONTHS_EN)
                    + r")(?!\w)")


def stated_values(line: str, labels=()) -> list[str]:
    """The values a line states outside its quotation marks and [n] markers.

    Names (capitalised words not at the start of a sentence or a parenthesis), quarters (Q1–Q4), month names
    (English ones given as the Swedish month), years and other numbers, in order, without repeats.
    ``labels`` are lower-cased words that name a field of the documents' tables ("Genomförande",
    "Kontakt"): a line naming the field it reports is not stating a value.
    """
    text = _BULLET.sub("", _QUOTED.sub(" ", _MARKER.sub(" ", line or "")))
    values: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0)
        if not word[0].isupper() or any(ch.isdigit() for ch in word) or _MONTH.fullmatch(word) \
                or word.lower() in labels:
            continue  # quarters, codes with digits and months are taken below; labels are no values
        before = text[:match.start()].rstrip(_OPENERS)
        if before and before[-1] not in _SENTENCE_START:
            values.append(word)
    values += [m.group(0).upper() for m in _QUARTER.finditer(text)]
    values += [_MONTH_NAMES.get(m.group(0), m.group(0).lower()) for m in _MONTH.finditer(text)]
    values += [m.group(0) for m in _NUMBER.finditer(text)]
    return list(dict.fromkeys(values))


def check_supporting_quotes(answer: str, citations: list[dict], identity: dict[str, str] | None = None,
                            labels=()) -> list[dict]:
    """For each answer line with [n] markers: the stated values none of its cited quotes contains.

    A value is supported when it occurs (whole words, normalised) in the quote of one of the citations
    the line names, or in the cited document's own name (its council and title from the index
    catalog: "RVKR Södra – …" names the document the quote is from). ``labels``: see
    :func:`stated_values`. Lines whose markers name no returned citation are skipped (``markers_ok``
    counts those).
    """
    by_number = {c.get("n"): c for c in citations}
    identity = identity or {}
    checked = []
    for line in (answer or "").splitlines():
        cited = [by_number[int(n)] for n in dict.fromkeys(_MARKER.findall(line)) if int(n) in by_number]
        if not cited:
            continue
        texts = [normalize_text(c.get("quote", "")) for c in cited]
        texts += [normalize_text(identity.get(c.get("source"), "")) for c in cited]
        values = stated_values(line, labels)
        unsupported = [v for v in values if not any(contains(t, v) for t in texts)]
        checked.append({"line": line.strip(), "markers": [c.get("n") for c in cited], "values": values,
                        "unsupported": unsupported})
    return checked


# ------------------------------------------------------------------ ranking
def ranking_scores(ranked_sources: list[str], gold: list[str], recall_k: int = RECALL_K,
                   mrr_k: int = MRR_K) -> tuple[float | None, float | None]:
    """(recall@k of the gold sources, reciprocal rank of the first gold chunk within mrr_k)."""
    if not gold:
        return None, None
    top = set(ranked_sources[:recall_k])
    recall = sum(1 for source in set(gold) if source in top) / len(set(gold))
    rr = 0.0
    for rank, source in enumerate(ranked_sources[:mrr_k], 1):
        if source in gold:
            rr = 1.0 / rank
            break
    return recall, rr


def retrieved_contains_answer(top_texts: list[str], must: list[list[str]]) -> bool | None:
    """Whether the concatenated text of the retrieved chunks holds every must group (whole words)."""
    if not must:
        return None
    return not missing_groups("\n".join(top_texts), must)


# ------------------------------------------------------------------ metrics
def percentile(values: list[float], p: float) -> float | None:
    """Linear-interpolation percentile (numpy's default), ``None`` for no values."""
    return float(np.percentile(values, p)) if values else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _share(flags) -> float | None:
    flags = list(flags)
    return _mean([1.0 if flag else 0.0 for flag in flags])


def summarize(rows: list[dict], system: str) -> dict:
    """Metrics of one system over per-question rows (see :func:`runner.evaluate_questions`)."""
    rows = [r for r in rows if system in r["systems"]]
    res = lambda r: r["systems"][system]  # noqa: E731
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    results = [res(r) for r in rows]
    gold_citations = [c for r in answerable for c in res(r)["citations"]]
    checked = [c["quote_valid"] for x in results for c in x["citations"] if "quote_valid" in c]
    answered_lengths = [len(x["answer"]) for x in results if not x["abstained"]]
    latencies = [x["latency_ms"] for x in results if x.get("latency_ms") is not None]
    recalls = [res(r)["recall_at_5"] for r in answerable if res(r).get("recall_at_5") is not None]
    rrs = [res(r)["rr"] for r in answerable if res(r).get("rr") is not None]
    with_markers = [x["markers_ok"] for x in results if "markers_ok" in x]
    accuracy = _share(res(r)["pass"] for r in answerable)
    top5 = _share(res(r)["retrieved_top5"] for r in answerable if res(r).get("retrieved_top5") is not None)
    support = [line for x in results if x.get("support") is not None for line in x["support"]]
    single = [x["many_citations"] for r, x in zip(rows, results)
              if r["kind"] in SINGLE_ANSWER_KINDS and x.get("many_citations") is not None]
    return {
        "n": len(results),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "accuracy": accuracy,
        "retrieved_top5_accuracy": top5,
        "composition_loss": None if accuracy is None or top5 is None else top5 - accuracy,
        "abstention_accuracy": _share(res(r)["abstained"] for r in unanswerable),
        "false_abstention_rate": _share(res(r)["abstained"] for r in answerable),
        "must_not_failures": sum(1 for r in answerable if res(r).get("must_not_hits")),
        "citation_precision": _share(c["gold_source"] for c in gold_citations),
        "citations": sum(len(x["citations"]) for x in results),
        "quote_validity": _share(checked) if checked else None,
        "invalid_quotes": sum(1 for ok in checked if not ok) if checked else None,
        "dangling_markers": sum(1 for ok in with_markers if not ok) if with_markers else None,
        "supporting_quotes": _share(not line["unsupported"] for line in support) if support else None,
        "lines_checked": len(support) if any(x.get("support") is not None for x in results) else None,
        "unsupported_lines": sum(1 for line in support if line["unsupported"]),
        "many_citations_rate": _share(single) if single else None,
        "many_citations": sum(1 for flag in single if flag),
        "recall_at_5": _mean(recalls),
        "mrr": _mean(rrs),
        "median_chars": statistics.median(answered_lengths) if answered_lengths else None,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def gap(dev: dict, test: dict) -> dict:
    """dev − test for every numeric metric both have (positive: better on dev, for "higher is better")."""
    return {key: dev[key] - test[key] for key in dev
            if isinstance(dev.get(key), (int, float)) and isinstance(test.get(key), (int, float))
            and not isinstance(dev[key], bool)}


# ------------------------------------------------------------------ worst failures
def failure_severity(row: dict, system: str = "assistant") -> tuple:
    """Sort key for the worst failures (higher first): broken quotes, then confident wrong answers."""
    res = row["systems"][system]
    invalid = sum(1 for c in res["citations"] if c.get("quote_valid") is False)
    off_source = bool(res["citations"]) and not any(c["gold_source"] for c in res["citations"])
    if invalid:
        level = 5
    elif not row["answerable"]:
        level = 4  # answered what the documents do not say
    elif not res["abstained"] and off_source:
        level = 3  # wrong and cites the wrong document
    elif not res["abstained"]:
        level = 2  # wrong answer from the right document
    else:
        level = 1  # false abstention
    must = row.get("must_v2") or row.get("must") or []
    missed = len(missing_groups(res["answer"], must)) / len(must) if must and not res["abstained"] else 0.0
    return (level, invalid, missed, -int(re.sub(r"\D", "", row["id"]) or 0))


def is_failure(row: dict, system: str = "assistant") -> bool:
    res = row["systems"].get(system)
    return res is not None and (not res["pass"] or any(c.get("quote_valid") is False for c in res["citations"]))


def worst_failures(rows: list[dict], n: int = 5, system: str = "assistant") -> list[dict]:
    """The ``n`` most severe failures, at most one per question kind while other kinds have failures.

    One per kind keeps the list informative: the same failure mode repeated five times says less
    than five different ones. Broken quotes always come first, whatever their kind.
    """
    ranked = sorted((r for r in rows if is_failure(r, system)), key=lambda r: failure_severity(r, system), reverse=True)
    chosen = [r for r in ranked if failure_severity(r, system)[0] == 5][:n]
    kinds = {r["kind"] for r in chosen}
    for row in ranked:
        if len(chosen) < n and row not in chosen and row["kind"] not in kinds:
            chosen.append(row)
            kinds.add(row["kind"])
    chosen += [r for r in ranked if r not in chosen][: n - len(chosen)]
    return sorted(chosen, key=lambda r: failure_severity(r, system), reverse=True)
