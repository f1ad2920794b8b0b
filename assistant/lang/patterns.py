"""Language patterns used by more than one stage, each defined once.

The composer, the BM25 tokens and the follow-up drafts recognise the same constructions; they build
their regexes from the definitions here instead of writing their own copies.
"""

from __future__ import annotations

import re

#: "när" as a question word, not in "när det gäller" ("as regards").
WHEN = r"\bnär\b(?!\s+det\s+gäller)"


def follow_up_verb(max_words_between: int, inflections: str = "a|er|s|as|de|ts|t", optional: bool = True) -> str:
    """The particle verb "följa … upp" ("följs (aktiviteterna) upp") as a regex source.

    ``max_words_between`` is how many words may stand between the verb and its particle: the BM25
    tokens allow 4, intent detection 10, the follow-up drafts' sentence cues 3.
    """
    ending = f"(?:{inflections})" + ("?" if optional else "")
    return rf"\bfölj{ending}\s+(?:[\wåäö]+\s+){{0,{max_words_between}}}?upp\b"


def compile_ci(pattern: str) -> re.Pattern:
    """A case-insensitive compiled pattern."""
    return re.compile(pattern, re.IGNORECASE)
