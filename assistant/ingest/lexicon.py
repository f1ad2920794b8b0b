"""What the answer layer needs about the vocabulary, computed once per build at ingest."""

from __future__ import annotations

from collections import Counter

from assistant.lang.abbreviations import find_abbreviations
from assistant.lang.spelling import WORD
from assistant.lang.tokens import tokenize
from assistant.schema import Chunk, Document


def document_words(chunks: list[Chunk], documents: list[Document] | None = None) -> Counter:
    """Lower-cased words of the chunks and the documents' titles and councils, with their counts
    (the vocabulary that typed questions are repaired against)."""
    counts: Counter = Counter()
    for text in [chunk.text for chunk in chunks] + [f"{doc.title} {doc.council}" for doc in documents or []]:
        counts.update(word.lower() for word in WORD.findall(text))
    return counts


def build_lexicon(chunks: list[Chunk], documents: list[Document] | None = None) -> dict:
    """Abbreviations, document frequencies of the BM25 tokens and the documents' words, once per build."""
    df: dict[str, int] = {}
    for chunk in chunks:
        for token in set(tokenize(chunk.embed_text)):
            df[token] = df.get(token, 0) + 1
    return {"abbreviations": find_abbreviations([chunk.text for chunk in chunks]), "df": df, "chunks": len(chunks),
            "words": dict(document_words(chunks, documents))}
