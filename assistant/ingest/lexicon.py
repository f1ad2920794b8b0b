"""What the answer layer needs about the vocabulary, computed once per build at ingest."""

from __future__ import annotations

from assistant.lang.abbreviations import find_abbreviations
from assistant.lang.tokens import tokenize
from assistant.schema import Chunk


def build_lexicon(chunks: list[Chunk]) -> dict:
    """What the answer layer needs about the vocabulary, computed once per build."""
    df: dict[str, int] = {}
    for chunk in chunks:
        for token in set(tokenize(chunk.embed_text)):
            df[token] = df.get(token, 0) + 1
    return {"abbreviations": find_abbreviations([chunk.text for chunk in chunks]), "df": df, "chunks": len(chunks)}
