"""The evaluation's output: ``report.md`` (Markdown), the terminal summary and ``results.json``.

Honesty rule of the held-out test split: only aggregate numbers of it are shown. Per-question material
(failures, unsupported lines, answers) is listed for the dev split only, in the report and the terminal.
``results.json`` keeps every row, as the record of the run.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.build.evaluation.runner import PERTURBED_TARGET
from assistant.build.evaluation.scoring import (
    MAX_SINGLE_ANSWER_CITATIONS,
    MRR_K,
    RECALL_K,
    TOP_K_CONTEXT,
    is_failure,
    worst_failures,
)
from assistant.build.evaluation.systems import BASELINE_ANSWER_CHARS, SYSTEM_LABELS

DASH = "–"
LISTED_SPLIT = "dev"  # the only split whose individual questions the report and the terminal show


# ------------------------------------------------------------------ formatting
def pct(value) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def points(value) -> str:
    """A difference of shares in percentage points, signed."""
    return DASH if value is None else f"{value * 100:+.1f}"


def num(value, digits: int = 3) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def ms(value) -> str:
    return DASH if value is None else f"{value:.1f}" if value < 10 else f"{value:.0f}"


def markdown_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header, rows) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]

    def fmt(row) -> str:
        return "  ".join(str(cell).ljust(w) if i == 0 else str(cell).rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths)] + [fmt(row) for row in rows])


def label(system: str, short: bool = False) -> str:
    name = SYSTEM_LABELS.get(system, system)
    return name.replace("baseline: ", "") if short else name


# ------------------------------------------------------------------ tables
# (header, metric key, formatter); the summary and the group tables are built from these.
SUMMARY_METRICS = (
    ("n", "n", str),
    ("accuracy", "accuracy", pct),
    ("top-5 acc.", "retrieved_top5_accuracy", pct),
    ("comp. loss (pp)", "composition_loss", points),
    ("abstention acc.", "abstention_accuracy", pct),
    ("false abst.", "false_abstention_rate", pct),
    ("citation prec.", "citation_precision", pct),
    ("verbatim quotes", "quote_validity", pct),
    ("supporting quotes", "supporting_quotes", pct),
    (f">{MAX_SINGLE_ANSWER_CITATIONS} citations", "many_citations_rate", pct),
    ("recall@5", "recall_at_5", pct),
    ("MRR@10", "mrr", num),
    ("median chars", "median_chars", lambda v: num(v, 0)),
    ("p50 ms", "latency_p50_ms", ms),
    ("p95 ms", "latency_p95_ms", ms),
)
GAP_METRICS = ("accuracy", "retrieved_top5_accuracy", "composition_loss", "abstention_accuracy",
               "false_abstention_rate", "citation_precision", "supporting_quotes", "recall_at_5")
ANSWER_METRICS = (("accuracy", "accuracy", pct, True), ("top-5", "retrieved_top5_accuracy", pct, False),
                  ("loss (pp)", "composition_loss", points, False))
CITATION_METRICS = (("abst.", "abstention_accuracy", pct, True), ("false abst.", "false_abstention_rate", pct, False),
                    ("cit. prec.", "citation_precision", pct, False), ("verbatim", "quote_validity", pct, False),
                    ("supporting", "supporting_quotes", pct, False),
                    (f">{MAX_SINGLE_ANSWER_CITATIONS} cit.", "many_citations_rate", pct, False),
                    ("median chars", "median_chars", lambda v: num(v, 0), False))
METRIC_LABELS = {key: head for head, key, _ in SUMMARY_METRICS}


def summary_rows(results: dict, systems: list[str] | None = None) -> list[list[str]]:
    """One row per system and scope (each split, then all)."""
    systems = systems or results["meta"]["systems"]
    scopes = list(results.get("by_split", {}))
    scopes = scopes + ["all"] if len(scopes) != 1 else scopes  # "all" repeats a single split
    rows = []
    for system in systems:
        for scope in scopes:
            m = results["summary"][system] if scope == "all" else results["by_split"][scope][system]
            rows.append([label(system), scope] + [fmt(m[key]) for _, key, fmt in SUMMARY_METRICS])
    return rows


SUMMARY_COLUMNS = ("system", "split") + tuple(head for head, _, _ in SUMMARY_METRICS)


def gap_rows(results: dict, systems: list[str] | None = None) -> list[list[str]]:
    systems = systems or results["meta"]["systems"]
    return [[label(s)] + [points(results["gaps"][s].get(key)) for key in GAP_METRICS] for s in systems
            if s in results.get("gaps", {})]


GAP_COLUMNS = ("system",) + tuple(METRIC_LABELS[key] for key in GAP_METRICS)


def _splits(groups: dict) -> list[str]:
    first = next(iter(groups.values()), {})
    return [scope for scope in first if scope != "all"] or ["all"]


def group_table(groups: dict, metrics, systems: list[str], counts: bool = False) -> tuple[tuple, list[list[str]]]:
    """(header, rows) of a per-group table: one row per group and system, each metric per split, the
    dev − test gap after the metrics flagged for it."""
    splits = _splits(groups)
    with_gap = "dev" in splits and "test" in splits
    header = ["group", "system"] if len(systems) > 1 else ["group"]
    if counts:
        header += [f"n {s}" for s in splits]
    for head, _, _, gapped in metrics:
        header += [f"{head} {s}" for s in splits] + ([f"{head} gap"] if gapped and with_gap else [])
    rows = []
    for name, scopes in groups.items():
        for system in systems:
            row = [name, label(system, short=True)] if len(systems) > 1 else [name]
            if counts:
                row += [str(scopes[s][system]["n"]) for s in splits]
            for _, key, fmt, gapped in metrics:
                values = [scopes[s][system][key] for s in splits]
                row += [fmt(v) for v in values]
                if gapped and with_gap:
                    dev, test = scopes["dev"][system][key], scopes["test"][system][key]
                    row.append(points(None if dev is None or test is None else dev - test))
            rows.append(row)
    return tuple(header), rows


def accuracy_comparison(groups: dict, systems: list[str]) -> tuple[tuple, list[list[str]]]:
    """Per group and split: accuracy (abstention accuracy for unanswerable-only groups) of every system."""
    splits = _splits(groups)
    header = ("group", "split", "n") + tuple(label(s, short=True) for s in systems)
    rows = []
    for name, scopes in groups.items():
        for split in splits:
            first = scopes[split][systems[0]]
            if not first["n"]:
                continue
            metric = "accuracy" if first["n_answerable"] else "abstention_accuracy"
            rows.append([name, split, str(first["n"])] + [pct(scopes[split][s][metric]) for s in systems])
    return header, rows


def perturbed_rows(results: dict, systems: list[str]) -> tuple[tuple, list[list[str]]]:
    header = ("perturbation", "split", "n", "system", "accuracy", "accuracy unperturbed", "change (pp)",
              "abstention acc.", "abstention unperturbed", "all rows passed")
    rows = []
    for kind, scopes in results["perturbed"]["by_perturbation"].items():
        for scope, entry in scopes.items():
            for system in systems:
                m = entry["perturbed"][system]
                o = (entry["original"] or {}).get(system) or {}
                change = None if m["accuracy"] is None or o.get("accuracy") is None else m["accuracy"] - o["accuracy"]
                rows.append([kind, scope, str(m["n"]), label(system, short=True), pct(m["accuracy"]),
                             pct(o.get("accuracy")), points(change), pct(m["abstention_accuracy"]),
                             pct(o.get("abstention_accuracy")), pct(entry["pass_rate"][system])])
    return header, rows


def perturbed_target_line(results: dict) -> str | None:
    split, kind, target = PERTURBED_TARGET
    entry = results.get("perturbed", {}).get("by_perturbation", {}).get(kind, {}).get(split)
    if not entry:
        return None
    value = entry["perturbed"]["assistant"]["accuracy"]
    verdict = DASH if value is None else ("met" if value >= target else "not met")
    return (f"Target (\"typed as users type\"): answer accuracy on the {split} split's `{kind}` variants "
            f"≥ {target * 100:.0f}%: assistant {pct(value)}, {verdict}.")


# ------------------------------------------------------------------ per-question (dev only)
def listed(rows: list[dict]) -> list[dict]:
    """The rows whose individual answers may be shown: the dev split only."""
    return [r for r in rows if r.get("split") == LISTED_SPLIT]


def _failure_block(number: int, row: dict) -> str:
    res = row["systems"]["assistant"]
    lines = [f"### {number}. {row['id']} ({row['kind']}, {row['lang']}, {row.get('style', '')}) – {res['why']}", ""]
    if row["history"]:
        lines += ["History: " + " → ".join(f"“{h}”" for h in row["history"]), ""]
    lines += [f"Question: {row['question']}", ""]
    if row["answerable"]:
        must = row.get("must_v2") or row["must"]
        lines.append("Expected (one of each group): " + "; ".join("[" + " / ".join(g) + "]" for g in must)
                     + f" from {', '.join(row['sources'])}")
        if row.get("must_not"):
            lines.append("Must not contain: " + "; ".join(row["must_not"]))
    else:
        lines.append("Expected: abstention (the documents do not say).")
    lines.append("")
    if res.get("resolved_question") and res["resolved_question"] != row["question"]:
        lines += [f"Resolved question: {res['resolved_question']}", ""]
    top5 = res.get("retrieved_top5")
    if top5 is not None:
        lines += [f"Answer inside the retrieved top-{TOP_K_CONTEXT}: {'yes' if top5 else 'no'}.", ""]
    lines += [f"Intent: {res.get('intent', DASH)}. Answer:", "", "```text", res["answer"], "```"]
    if res["citations"]:
        lines.append("")
        for c in res["citations"]:
            flags = [("gold source" if c["gold_source"] else "not a gold source")] if row["answerable"] else []
            flags += [] if c.get("quote_valid", True) else ["QUOTE NOT VERBATIM"]
            shown = f" ({', '.join(flags)})" if flags else ""
            lines.append(f"- [{c['n']}] {c['source']} lines {c['lines'][0]}–{c['lines'][1]}{shown}")
    return "\n".join(lines)


def unsupported_lines(rows: list[dict], system: str = "assistant") -> list[tuple[dict, dict]]:
    return [(row, line) for row in listed(rows) if system in row["systems"]
            for line in row["systems"][system].get("support") or [] if line["unsupported"]]


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------ Markdown
def render_markdown(results: dict) -> str:
    meta = results["meta"]
    systems = meta["systems"]
    splits = ", ".join(f"{n} {split}" for split, n in meta.get("by_split", {}).items())
    langs = ", ".join(f"{n} {lang}" for lang, n in meta["by_lang"].items())
    styles = ", ".join(f"{n} {style}" for style, n in meta.get("by_style", {}).items())
    durations = ", ".join(f"{k} {v} s" for k, v in meta["durations_s"].items())
    parts = [
        "# Evaluation report",
        "",
        "Generated by `assistant eval` (assistant/build/evaluation/). Re-run it to refresh this file and "
        "`results.json`. The test split is held out: this report shows only aggregate numbers for it; "
        "individual failures are listed for the dev split only.",
        "",
        f"- Date: {meta['date']}",
        f"- Machine: {meta['machine']}; shared with other work, 1-minute load average "
        f"{meta.get('load_average', {}).get('before', DASH)} before and {meta.get('load_average', {}).get('after', DASH)} "
        "after the run, so latencies are indicative",
        f"- Questions: {meta['questions']} ({splits}; {meta['answerable']} answerable, {meta['unanswerable']} "
        f"unanswerable; {langs}; {styles}; {meta.get('conversations', 0)} conversations)",
        f"- Index build: {meta['index_build']} ({meta['chunks']} chunks); embedding model {meta['embedding_model']}, "
        f"{meta.get('embedding_backend') or 'torch'} backend, {meta['embedding_threads']} threads",
        f"- Wall time: {durations}",
    ]
    if "llamaindex" in meta:
        parts.append(f"- llama-index {meta.get('llama_index_version')}: {meta['llamaindex']['nodes']} nodes "
                     f"(SentenceSplitter defaults), built in {meta['llamaindex']['build_seconds']} s")
    parts += ["", "## Assistant and baselines, per split", "", markdown_table(SUMMARY_COLUMNS, summary_rows(results)), ""]
    a = results["summary"].get("assistant", {})
    parts.append(f"Assistant: {a.get('citations', 0)} citations, {a.get('invalid_quotes') or 0} with a quote that is not "
                 f"verbatim; {a.get('dangling_markers') or 0} answers with a [n] marker that names no citation; "
                 f"{a.get('lines_checked') or 0} cited answer lines checked for supporting quotes, "
                 f"{a.get('unsupported_lines', 0)} with a value none of their quotes contains; "
                 f"{a.get('must_not_failures', 0)} answers containing a `must_not` string.")
    parts.append("")
    if results.get("gaps"):
        parts += ["## Dev – test gap", "",
                  "dev minus test, in percentage points (positive: the metric is higher on dev).", "",
                  markdown_table(GAP_COLUMNS, gap_rows(results)), ""]
    for title, key in (("kind", "by_kind"), ("style", "by_style"), ("language", "by_lang")):
        groups = results[key]
        parts += [f"## Per {title}", "",
                  "Answer accuracy, accuracy of the retrieved top-5 (the answer's facts are inside the top-5 "
                  "chunks) and composition loss (top-5 − accuracy):" if title == "kind" else "Answers:", "",
                  markdown_table(*group_table(groups, ANSWER_METRICS, systems, counts=True)), "",
                  "Abstention and citations:", "",
                  markdown_table(*group_table(groups, CITATION_METRICS, systems)), ""]
    if len(systems) > 1:
        parts += ["## Accuracy by kind, style and language, all systems", "",
                  "Answer accuracy; for `unanswerable` the abstention accuracy.", ""]
        header, rows = accuracy_comparison(results["by_kind"], systems)
        for key in ("by_style", "by_lang"):
            rows += accuracy_comparison(results[key], systems)[1]
        parts += [markdown_table(header, rows), ""]
    if results.get("perturbed"):
        parts += ["## Perturbed questions (typed as users type)", "",
                  f"{results['perturbed']['questions']} perturbed variants "
                  f"({', '.join(f'{n} {s}' for s, n in results['perturbed']['by_split'].items())}) of the rows above, "
                  "graded exactly like them; \"unperturbed\" is the same questions as written.", "",
                  markdown_table(*perturbed_rows(results, systems)), ""]
        target = perturbed_target_line(results)
        if target:
            parts += [target, ""]
    parts += _dev_sections(results)
    parts += _how_computed()
    return "\n".join(parts)


def _dev_sections(results: dict) -> list[str]:
    rows = listed(results["questions"])
    if not rows:
        return []
    parts = []
    worst = worst_failures(rows)
    parts += ["## Five worst failures (assistant, dev split)", "",
              "Ordered by severity: a quote that is not verbatim, then an answer to an unanswerable question, then a "
              "wrong answer that cites only non-gold documents, then a wrong answer, then a false abstention (ties: "
              "more must groups missed first). At most one per question kind, so that different failure modes show.",
              ""]
    if not worst:
        parts += ["No failures.", ""]
    for number, row in enumerate(worst, 1):
        parts += [_failure_block(number, row), ""]
    failed = [r for r in rows if is_failure(r)]
    parts += [f"## All dev failures (assistant): {len(failed)}", ""]
    if failed:
        parts += [markdown_table(("id", "kind", "style", "lang", f"top-{TOP_K_CONTEXT}", "why"),
                                 [[r["id"], r["kind"], r["style"], r["lang"],
                                   {True: "yes", False: "no", None: DASH}[r["systems"]["assistant"].get("retrieved_top5")],
                                   _cell(r["systems"]["assistant"]["why"], 200)] for r in failed]), ""]
    unsupported = unsupported_lines(results["questions"])
    parts += [f"## Unsupported answer lines (assistant, dev split): {len(unsupported)}", "",
              "Cited answer lines that state a value (name, quarter, month, year, number) that none of the quotes "
              "they cite contains.", ""]
    if unsupported:
        parts += [markdown_table(("id", "values not in the cited quotes", "line"),
                                 [[row["id"], ", ".join(line["unsupported"]), _cell(line["line"])]
                                  for row, line in unsupported]), ""]
    many = [r for r in rows if r["systems"]["assistant"].get("many_citations")]
    parts += [f"## Owner/contact answers with more than {MAX_SINGLE_ANSWER_CITATIONS} distinct citations "
              f"(assistant, dev split): {len(many)}", ""]
    if many:
        parts += [", ".join(f"{r['id']} ({r['systems']['assistant']['distinct_citations']}, "
                            f"{'pass' if r['systems']['assistant']['pass'] else 'fail'})" for r in many), ""]
    return parts


def _how_computed() -> list[str]:
    return [
        "## How the numbers are computed",
        "",
        "- **Matching**: an alternative is found when it occurs in the text as whole words: case-insensitive, "
        "whitespace collapsed, markup stripped and words hyphenated across a line break joined; where the "
        "alternative starts or ends with a letter or digit, the text must have a word boundary there (\"at\" is not "
        "found in \"verksamhet\", \"22\" not in \"2022\"). Dashes are not folded: the groups list the spellings.",
        "- **accuracy**: answerable questions whose answer is not an abstention, contains one alternative of every "
        "graded must group (`must_v2` when the row has it, else `must`) and contains none of the row's `must_not` "
        "strings (wrong candidates: an answer listing every candidate does not pass because one is right).",
        f"- **top-5 acc.**: answerable questions whose top-{TOP_K_CONTEXT} retrieved chunks, their texts concatenated, "
        "contain every graded must group (same matching). Assistant: `retrieve()` on its resolved question with the "
        "council filter the question names; baselines: their own ranking. **comp. loss** = top-5 acc. − accuracy "
        "(in points): facts that were retrieved but did not make it into the answer. It can be negative where the "
        "answer draws on more than the top-5 chunks (aggregates read the activity records).",
        "- **abstention acc.**: unanswerable questions answered with the refusal; **false abst.**: answerable "
        "questions answered with the refusal.",
        "- **citation prec.**: citations (on answerable questions) whose source file is one of the question's gold "
        "sources.",
        "- **verbatim quotes**: every citation's quote, normalised with `normalize_for_match`, re-checked as a "
        "substring of the normalised cited lines of the original document (index `doc_lines`). Not meaningful for "
        "baselines (–).",
        "- **supporting quotes**: share of the answer lines with [n] markers in which every value the line states "
        "outside quotation marks (capitalised words not at the start of a sentence or clause, Q1–Q4, month names, "
        "years and other numbers) occurs (same matching) in the quote of one of the citations the line names, or in "
        "the cited document's council/title (the line's \"RVKR Södra –\" names the quoted document). Assistant only.",
        f"- **>{MAX_SINGLE_ANSWER_CITATIONS} citations**: owner and contact questions (answered, not abstained) whose "
        f"answer cites more than {MAX_SINGLE_ANSWER_CITATIONS} distinct places (source and line span); a warning sign "
        "of an answer listing candidates, reported, not counted as a failure.",
        f"- **recall@5 / MRR@10**: share of gold sources among the sources of the top-{RECALL_K} retrieved chunks, and "
        f"1/rank of the first chunk from a gold source (0 beyond rank {MRR_K}).",
        "- **median chars**: median length of non-abstained answers. **p50/p95 ms**: warm wall time per question "
        "(assistant: the whole `ask()`; baselines: retrieval for the answer).",
        "- **gap**: dev − test in percentage points. **Perturbed**: the rows of `questions_{dev,test}_perturbed.jsonl` "
        "(lower case, å/ä/ö as a/a/o, a typo or two), graded like the originals; \"unperturbed\" is the same ids in "
        "the main run.",
        "- Baselines answer with the top chunk's whole text (quotes shown cut to "
        f"{BASELINE_ANSWER_CHARS} characters) and never abstain; BM25 and dense rank the assistant's own chunks, "
        "llama-index splits the same document text with `SentenceSplitter()` defaults, embeds with the same e5 model "
        "and cites its top-2 nodes. For conversations they receive the earlier user turns and the question as one "
        "query.",
        "",
    ]


# ------------------------------------------------------------------ terminal
def render_terminal(results: dict) -> str:
    """Aggregate tables (all splits) and dev-split failures; no test-split question is shown."""
    meta = results["meta"]
    systems = meta["systems"]
    splits = ", ".join(f"{split} {n}" for split, n in meta.get("by_split", {}).items())
    out = [f"{meta['questions']} questions ({splits}), {meta['machine']}", "",
           text_table(SUMMARY_COLUMNS, summary_rows(results))]
    if results.get("gaps"):
        out += ["", "Dev - test gap (points)", text_table(GAP_COLUMNS, gap_rows(results))]
    for title, key in (("kind", "by_kind"), ("style", "by_style"), ("language", "by_lang")):
        out += ["", f"Per {title} (assistant)",
                text_table(*group_table(results[key], ANSWER_METRICS, ["assistant"], counts=True)),
                text_table(*group_table(results[key], CITATION_METRICS, ["assistant"]))]
    if len(systems) > 1:
        header, rows = accuracy_comparison(results["by_kind"], systems)
        out += ["", "Accuracy (abstention accuracy for unanswerable) by kind and system", text_table(header, rows)]
    if results.get("perturbed"):
        out += ["", "Perturbed questions", text_table(*perturbed_rows(results, systems))]
        target = perturbed_target_line(results)
        if target:
            out.append(target)
    worst = worst_failures(listed(results["questions"]))
    if worst:
        out += ["", "Worst failures (assistant, dev split)"]
        for row in worst:
            res = row["systems"]["assistant"]
            out.append(f"  {row['id']} [{row['kind']}/{row['lang']}/{row['style']}] {res['why']}")
            out.append(f"    Q: {row['question']}")
            out.append("    A: " + res["answer"].replace("\n", " | ")[:200])
    out += ["", "Wall time: " + ", ".join(f"{k} {v} s" for k, v in meta["durations_s"].items())]
    return "\n".join(out)


def write_outputs(results: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report, data = out_dir / "report.md", out_dir / "results.json"
    report.write_text(render_markdown(results), encoding="utf-8")
    data.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return report, data
