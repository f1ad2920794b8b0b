"""The systems under evaluation: the assistant (through :meth:`Assistant.ask`) and three baselines.

Everything goes through public APIs only: ``ask()`` for answers, the loaded index (chunks, BM25, dense
search, original document lines) for the baselines and for re-checking quotes, and
:func:`assistant.retrieve.retrieve` for the retrieval metrics. Nothing in the answer path reads the
question set.

Baselines, same questions and same embedder: (a) BM25 only and (b) dense only over the assistant's own
chunks, and (c) a naive llama-index pipeline (default ``SentenceSplitter``, ``VectorStoreIndex``, top-2
retrieval). They answer with the top chunk's whole text and never abstain. Conversation questions reach
them as the earlier user turns and the question joined into one query.

Every ``run`` returns the answer, its citations, the latency, the sources of the ranking (for
recall/MRR) and ``top_texts``: the text of the top-5 retrieved chunks (for "answer inside the retrieved
top-5"); the runner scores and drops the last two.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from assistant.build.evaluation.questions import Question
from assistant.build.evaluation.scoring import (
    MRR_K,
    TOP_K_CONTEXT,
    check_supporting_quotes,
    markers_resolve,
    quote_is_verbatim,
)
from assistant.ingest.corpus import read_document
from assistant.lang.councils import detect_councils
from assistant.lang.tokens import tokenize
from assistant.retrieve.hybrid import retrieve

BASELINE_ANSWER_CHARS = 300
SYSTEMS = ("assistant", "bm25", "dense", "llamaindex")
SYSTEM_LABELS = {
    "assistant": "assistant",
    "bm25": "baseline: BM25 only",
    "dense": "baseline: dense only",
    "llamaindex": "baseline: naive llama-index",
}


def _citation(source: str, lines, quote: str, gold: list[str], doc_lines: dict | None = None, n: int | None = None,
              section: str = "") -> dict:
    out = {"n": n, "source": source, "lines": [int(lines[0]), int(lines[1])], "section": section, "quote": quote,
           "gold_source": source in gold}
    if doc_lines is not None:
        out["quote_valid"] = quote_is_verbatim(doc_lines, source, lines, quote)
    return out


def baseline_query(question: Question) -> str:
    """What a baseline without conversation handling sees: earlier user turns plus the question."""
    return " ".join([*question.history, question.question])


class ChunkBaseline:
    """BM25-only or dense-only ranking over the assistant's own chunks; answers with the top chunk."""

    def __init__(self, name: str, index, embedder):
        self.name, self.index, self.embedder = name, index, embedder

    def rank(self, query: str) -> list[int]:
        if self.name == "bm25":
            scores = self.index.bm25_scores(tokenize(query))
            return [int(i) for i in np.argsort(-scores, kind="stable")[:MRR_K]]
        vector = self.embedder.embed_query(query)
        return [position for position, _ in self.index.dense_search(vector, MRR_K)]

    def run(self, question: Question) -> dict:
        started = time.perf_counter()
        ranked = self.rank(baseline_query(question))
        latency = (time.perf_counter() - started) * 1000
        chunks = [self.index.chunks[i] for i in ranked]
        top = chunks[0] if chunks else None
        answer = top.text if top else ""
        citations = [_citation(top.source, (top.line_start, top.line_end), top.text[:BASELINE_ANSWER_CHARS],
                               question.sources, n=1, section=top.section)] if top else []
        return {"answer": answer, "abstained": False, "citations": citations, "latency_ms": latency,
                "ranked_sources": [c.source for c in chunks], "top_texts": [c.text for c in chunks[:TOP_K_CONTEXT]]}


def llama_embedding(embedder, query_timings_ms: list[float] | None = None):
    """A llama-index embedding model that calls the assistant's embedder (e5 prefixes included).

    With ``query_timings_ms`` each query embedding's duration is appended to it (the benchmarks use it).
    """
    # Lazy: llama-index (and pydantic's model machinery it drags in) is the heavy optional `build` extra,
    # needed only for the naive baseline and the benchmarks.
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    class AssistantEmbedding(BaseEmbedding):
        _embedder = PrivateAttr()
        _timings = PrivateAttr()

        def __init__(self, inner, timings, **kwargs):
            super().__init__(model_name=str(getattr(inner, "model_id", "assistant-embedder")), **kwargs)
            self._embedder = inner
            self._timings = timings

        def _get_query_embedding(self, query: str) -> list[float]:
            started = time.perf_counter()
            vector = [float(x) for x in self._embedder.embed_query(query)]
            if self._timings is not None:
                self._timings.append((time.perf_counter() - started) * 1000)
            return vector

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in vector] for vector in self._embedder.embed_passages(list(texts))]

    return AssistantEmbedding(embedder, query_timings_ms)


def llama_index_version() -> str | None:
    """The installed llama-index-core version, ``None`` without it (the assistant's numbers do not need it)."""
    try:
        import llama_index.core as llama_core  # lazy: heavy optional `build` extra
    except Exception:
        return None
    return getattr(llama_core, "__version__", None)


class LlamaIndexBaseline:
    """Naive llama-index RAG: default SentenceSplitter, in-memory VectorStoreIndex, top-2 retrieval."""

    name = "llamaindex"

    def __init__(self, index, embedder, corpus_dir: Path):
        # Lazy: llama-index is the heavy optional `build` extra; only this baseline needs it.
        from llama_index.core import Document, Settings, VectorStoreIndex
        from llama_index.core.llms import MockLLM
        from llama_index.core.node_parser import SentenceSplitter

        Settings.llm = MockLLM()  # never an LLM client; nothing may try OpenAI
        started = time.perf_counter()
        self.texts: dict[str, str] = {}
        documents = []
        for source in sorted(index.documents()):
            doc = read_document(Path(corpus_dir) / source)
            self.texts[source] = doc.text
            documents.append(Document(text=doc.text, id_=source, metadata={"source": source},
                                      excluded_embed_metadata_keys=["source"], excluded_llm_metadata_keys=["source"]))
        self.embed_model = llama_embedding(embedder)
        self.index = VectorStoreIndex.from_documents(documents, embed_model=self.embed_model,
                                                     transformations=[SentenceSplitter()], show_progress=False)
        self.nodes = len(self.index.docstore.docs)
        self.answer_retriever = self.index.as_retriever(similarity_top_k=2)
        self.rank_retriever = self.index.as_retriever(similarity_top_k=MRR_K)
        self.build_seconds = time.perf_counter() - started

    def _lines(self, node) -> tuple[int, int]:
        text = self.texts.get(node.metadata.get("source"), "")
        start, end = node.start_char_idx, node.end_char_idx
        if start is None or end is None:
            start = max(0, text.find(node.get_content()[:200]))
            end = start + len(node.get_content())
        return text.count("\n", 0, start) + 1, text.count("\n", 0, max(start, end - 1)) + 1

    def run(self, question: Question) -> dict:
        query = baseline_query(question)
        started = time.perf_counter()
        retrieved = self.answer_retriever.retrieve(query)
        latency = (time.perf_counter() - started) * 1000
        ranked = self.rank_retriever.retrieve(query)  # only for recall@5 / MRR / top-5, not timed
        answer = retrieved[0].node.get_content() if retrieved else ""
        citations = [_citation(hit.node.metadata.get("source", ""), self._lines(hit.node),
                               hit.node.get_content()[:BASELINE_ANSWER_CHARS], question.sources, n=i)
                     for i, hit in enumerate(retrieved, 1)]
        return {"answer": answer, "abstained": False, "citations": citations, "latency_ms": latency,
                "ranked_sources": [hit.node.metadata.get("source", "") for hit in ranked],
                "top_texts": [hit.node.get_content() for hit in ranked[:TOP_K_CONTEXT]]}


def document_identity(index) -> dict[str, str]:
    """Per source file, the names the document goes by (council and title from the index catalog)."""
    return {source: " ; ".join(part for part in (meta.get("council", ""), meta.get("title", "")) if part)
            for source, meta in index.documents().items()}


def field_labels(index) -> frozenset[str]:
    """Lower-cased names of the fields of the documents' activity tables ("Genomförande", "Kontakt",
    "Mått på genomförande" → also "mått"), as the index parsed them."""
    keys = {key.strip() for chunk in index.chunks for key in (getattr(chunk, "fields", None) or {})}
    return frozenset(word.lower() for key in keys for word in [key, key.split()[0]] if key)


def run_assistant(assistant, question: Question) -> dict:
    """Ask the assistant (with the conversation history), time it, re-check every quote and every cited line."""
    started = time.perf_counter()
    answer = assistant.ask(question.question, history=question.history or None)
    latency = (time.perf_counter() - started) * 1000
    index = assistant.index
    citations = [_citation(c.source, c.lines, c.quote, question.sources, index.doc_lines, n=c.n,
                           section=getattr(c, "section", "") or "")
                 for c in answer.citations]
    # Retrieval of the resolved question, with the council filter the question implies: the ranking for
    # recall/MRR and the top-5 chunks' text for "answer inside the retrieved top-5".
    resolved = getattr(answer, "resolved_question", "") or question.question
    known = index.councils()
    hits = retrieve(index, assistant.embedder.embed_query(resolved), resolved, assistant.settings,
                    councils=detect_councils(resolved, known) or None, k=MRR_K)
    return {"answer": answer.answer, "abstained": answer.abstained, "citations": citations, "latency_ms": latency,
            "ranked_sources": [hit.chunk.source for hit in hits],
            "top_texts": [hit.chunk.text for hit in hits[:TOP_K_CONTEXT]],
            "intent": getattr(answer, "intent", ""), "resolved_question": resolved,
            "timings_ms": getattr(answer, "timings_ms", {}),
            "markers_ok": markers_resolve(answer.answer, [c.n for c in answer.citations]),
            "support": [] if answer.abstained else check_supporting_quotes(
                answer.answer, citations, document_identity(index), field_labels(index))}
