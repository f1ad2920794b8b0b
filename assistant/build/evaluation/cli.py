"""``assistant eval`` (also ``python -m assistant.build.evaluation``): run, print, write the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.build.evaluation.questions import (
    DEFAULT_OUT,
    DEFAULT_QUESTIONS,
    KINDS,
    SPLITS,
    STYLES,
    load_perturbed,
    load_questions,
)
from assistant.build.evaluation.report import render_terminal, write_outputs
from assistant.build.evaluation.runner import evaluate_questions
from assistant.service import Assistant


def _names(value, known, what: str) -> list[str] | None:
    """A comma-separated option (``--kinds owner,contact``) as a list, checked against the known names."""
    if not value:
        return None
    names = [part.strip() for part in str(value).split(",") if part.strip()]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise SystemExit(f"assistant eval: unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of ``assistant eval`` (the main CLI declares the same ones on its ``eval`` subparser)."""
    parser.add_argument("--questions", default=None, help=f"question set (default {DEFAULT_QUESTIONS})")
    parser.add_argument("--out", default=None, help=f"folder for report.md and results.json (default {DEFAULT_OUT})")
    parser.add_argument("--no-baselines", action="store_true", help="run the assistant only")
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all", help="which split to run (default all)")
    parser.add_argument("--kinds", default=None, help=f"comma-separated kinds to keep ({', '.join(KINDS)})")
    parser.add_argument("--styles", default=None, help=f"comma-separated styles to keep ({', '.join(STYLES)})")
    parser.add_argument("--perturbed", action="store_true",
                        help="also run the perturbed variants eval/questions_{dev,test}_perturbed.jsonl (where present)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="assistant eval"))


def main(args=None) -> int:
    """``assistant eval``: returns 0, or 1 when a citation's quote is not verbatim in its source."""
    if args is None or isinstance(args, list):
        args = build_parser().parse_args(args)
    split = getattr(args, "split", None) or "all"
    kinds = _names(getattr(args, "kinds", None), KINDS, "kind")
    styles = _names(getattr(args, "styles", None), STYLES, "style")
    questions = load_questions(getattr(args, "questions", None) or DEFAULT_QUESTIONS, split=split, kinds=kinds,
                               styles=styles)
    if not questions:
        print("assistant eval: no questions match the split/kinds/styles chosen.", file=sys.stderr)
        return 2
    perturbed = load_perturbed(split, kinds, styles) if getattr(args, "perturbed", False) else None
    out_dir = Path(getattr(args, "out", None) or DEFAULT_OUT)
    assistant = Assistant()
    assistant.index  # fail early (IndexNotFound / IndexDamaged) before the model loads

    def progress(message: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{message[:70]:<70}", end="", file=sys.stderr, flush=True)

    results = evaluate_questions(assistant, questions, baselines=not getattr(args, "no_baselines", False),
                                 progress=progress, perturbed=perturbed)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    report, data = write_outputs(results, out_dir)
    print(render_terminal(results))
    print(f"\nWrote {report} and {data}")
    invalid = results["summary"]["assistant"]["invalid_quotes"] or 0
    if invalid:
        print(f"FEL: {invalid} citat är inte ordagranna i källan.", file=sys.stderr)
        return 1
    return 0
