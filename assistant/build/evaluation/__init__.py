"""Evaluation harness behind ``assistant eval``: the assistant and three baselines on one question set.

Modules: :mod:`.questions` (schema, loading, splits), :mod:`.scoring` (the judge, whole-word matching,
supporting quotes, metrics), :mod:`.systems` (the assistant runner and the baselines), :mod:`.runner`
(one evaluation run, grouped per split, kind, style and language), :mod:`.report` (Markdown, terminal,
results.json) and :mod:`.cli` (``assistant eval``). The names below are the package's public surface
(the CLI, the benchmarks and the tests import them from here).
"""

from assistant.build.evaluation.cli import build_parser, main
from assistant.build.evaluation.questions import (
    DEFAULT_OUT,
    DEFAULT_QUESTIONS,
    KINDS,
    LANGS,
    PERTURBED_FILES,
    SINGLE_ANSWER_KINDS,
    SPLITS,
    STYLES,
    Question,
    filter_questions,
    load_perturbed,
    load_questions,
    parse_question,
)
from assistant.build.evaluation.report import (
    DASH,
    markdown_table,
    ms,
    num,
    pct,
    points,
    render_markdown,
    render_terminal,
    text_table,
    write_outputs,
)
from assistant.build.evaluation.runner import (
    PERTURBED_TARGET,
    WARMUP_QUESTION,
    aggregate,
    evaluate_questions,
    finish,
    machine_description,
    machine_facts,
    question_row,
)
from assistant.build.evaluation.scoring import (
    MAX_SINGLE_ANSWER_CITATIONS,
    MRR_K,
    RECALL_K,
    TOP_K_CONTEXT,
    check_supporting_quotes,
    contains,
    distinct_citations,
    failure_severity,
    forbidden_present,
    judge,
    markers_resolve,
    missing_groups,
    normalize_text,
    percentile,
    quote_is_verbatim,
    ranking_scores,
    retrieved_contains_answer,
    stated_values,
    summarize,
    worst_failures,
)
from assistant.build.evaluation.systems import (
    BASELINE_ANSWER_CHARS,
    SYSTEM_LABELS,
    SYSTEMS,
    ChunkBaseline,
    LlamaIndexBaseline,
    baseline_query,
    llama_embedding,
    run_assistant,
)

__all__ = [
    "BASELINE_ANSWER_CHARS", "DASH", "DEFAULT_OUT", "DEFAULT_QUESTIONS", "KINDS", "LANGS", "MAX_SINGLE_ANSWER_CITATIONS",
    "MRR_K", "PERTURBED_FILES", "PERTURBED_TARGET", "RECALL_K", "SINGLE_ANSWER_KINDS", "SPLITS", "STYLES",
    "SYSTEMS", "SYSTEM_LABELS", "TOP_K_CONTEXT", "WARMUP_QUESTION", "ChunkBaseline", "LlamaIndexBaseline",
    "Question", "aggregate", "baseline_query", "build_parser", "check_supporting_quotes", "contains",
    "distinct_citations", "evaluate_questions", "failure_severity", "filter_questions", "finish",
    "forbidden_present", "judge", "llama_embedding", "load_perturbed", "load_questions", "machine_description",
    "machine_facts", "main", "markdown_table", "markers_resolve", "missing_groups", "ms", "normalize_text", "num",
    "parse_question", "pct", "percentile", "points", "question_row", "quote_is_verbatim", "ranking_scores",
    "render_markdown", "render_terminal", "retrieved_contains_answer", "run_assistant", "stated_values",
    "summarize", "text_table", "worst_failures", "write_outputs",
]
