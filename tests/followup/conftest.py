"""Fixtures of the follow-up draft tests: the corpus view (fast) and the built index (slow)."""

from followup.helpers import corpus_view, view  # noqa: F401  (fixtures)
