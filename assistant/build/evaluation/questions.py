"""The question set: schema, loading and filtering (``eval/questions.jsonl`` and its perturbed variants).

One JSON object per line (eval/README.md documents the fields). Fields the harness does not know are
ignored, so the question set can grow new annotations without breaking the evaluation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.settings import PROJECT_ROOT

EVAL_DIR = PROJECT_ROOT / "eval"
DEFAULT_QUESTIONS = EVAL_DIR / "questions.jsonl"
DEFAULT_OUT = EVAL_DIR
# "Typed as users type" variants of each split (eval/README.md, "Perturbed variants").
PERTURBED_FILES = {"dev": EVAL_DIR / "questions_dev_perturbed.jsonl",
                   "test": EVAL_DIR / "questions_test_perturbed.jsonl"}

KINDS = ("owner", "contact", "time", "fact", "list", "cross", "followup", "aggregate", "definition", "unanswerable")
LANGS = ("sv", "en")
SPLITS = ("dev", "test")
STYLES = ("formal", "typed")
# Kinds whose answer is one actor or person: an answer listing many candidates is suspicious there.
SINGLE_ANSWER_KINDS = ("owner", "contact")


@dataclass
class Question:
    id: str
    question: str
    lang: str
    kind: str
    must: list[list[str]]
    sources: list[str]
    answerable: bool
    history: list[str] = field(default_factory=list)
    split: str = "dev"
    style: str = "formal"
    conversation: bool = False
    must_v2: list[list[str]] | None = None
    must_not: list[str] = field(default_factory=list)
    near_miss: bool = False
    perturbation: str = ""

    @property
    def graded_must(self) -> list[list[str]]:
        """The groups an answer is graded on: ``must_v2`` (the stronger list) when present, else ``must``."""
        return self.must_v2 if self.must_v2 else self.must

    @property
    def original_id(self) -> str:
        """The id of the row a perturbed variant was made from (``q124-all`` → ``q124``)."""
        return self.id.rsplit("-", 1)[0] if self.perturbation and "-" in self.id else self.id


def _groups(value, where: str, name: str) -> list[list[str]]:
    if not isinstance(value, list) or not all(isinstance(group, list) for group in value):
        raise ValueError(f"{where}: '{name}' must be a list of lists of strings")
    groups = [[str(alt) for alt in group] for group in value]
    if any(not group or not all(alt.strip() for alt in group) for group in groups):
        raise ValueError(f"{where}: empty {name} group or alternative")
    return groups


def parse_question(row: dict, where: str = "question") -> Question:
    """One validated :class:`Question` from a JSON object (unknown extra fields are ignored)."""
    try:
        qid = str(row["id"])
        where = f"{where} ({qid})"
        q = Question(id=qid, question=str(row["question"]), lang=str(row.get("lang", "sv")), kind=str(row["kind"]),
                     must=[], sources=[str(s) for s in row.get("sources", [])],
                     answerable=bool(row.get("answerable", True)), history=[str(h) for h in row.get("history") or []],
                     split=str(row.get("split", "dev")),  # the original set had no split: it was the tuning set
                     style=str(row.get("style", "formal")), conversation=bool(row.get("conversation", False)),
                     must_not=[str(s) for s in row.get("must_not") or []], near_miss=bool(row.get("near_miss", False)),
                     perturbation=str(row.get("perturbation", "") or ""))
    except KeyError as exc:
        raise ValueError(f"{where}: missing field {exc}") from exc
    q.must = _groups(row.get("must", []), where, "must")
    if row.get("must_v2"):
        q.must_v2 = _groups(row["must_v2"], where, "must_v2")
    if q.split not in SPLITS:
        raise ValueError(f"{where}: unknown split {q.split!r} (expected one of {', '.join(SPLITS)})")
    if q.style not in STYLES:
        raise ValueError(f"{where}: unknown style {q.style!r} (expected one of {', '.join(STYLES)})")
    if q.answerable and (not q.graded_must or not q.sources):
        raise ValueError(f"{where}: answerable question {q.id} needs 'must' and 'sources'")
    if any(not s.strip() for s in q.must_not):
        raise ValueError(f"{where}: empty must_not string")
    return q


def load_questions(path: Path | str, split: str = "all", kinds=None, styles=None) -> list[Question]:
    """Read and validate a JSONL question set, optionally keeping one split and some kinds / styles."""
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            questions.append(parse_question(json.loads(line), f"{path}:{number}"))
    return filter_questions(questions, split=split, kinds=kinds, styles=styles)


def filter_questions(questions: list[Question], split: str = "all", kinds=None, styles=None) -> list[Question]:
    """The questions of ``split`` (``all``: every split) whose kind and style are among those given."""
    kinds, styles = set(kinds or ()), set(styles or ())
    return [q for q in questions if (split in ("all", None, "") or q.split == split)
            and (not kinds or q.kind in kinds) and (not styles or q.style in styles)]


def load_perturbed(split: str = "all", kinds=None, styles=None, files: dict | None = None) -> list[Question]:
    """The perturbed variants of the chosen split(s) that exist on disk (rows carry ``perturbation``)."""
    questions: list[Question] = []
    for name, path in (files or PERTURBED_FILES).items():
        if split in ("all", None, "", name) and Path(path).exists():
            questions += load_questions(path, split=split, kinds=kinds, styles=styles)
    return questions
