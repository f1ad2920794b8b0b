"""Answering one question: understand → retrieve → compose → (optional LLM) → result.

:func:`answer_question` is the one entry point used by the service façade.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from assistant.answer import llm
from assistant.answer.citations import Citation, closest_passages
from assistant.answer.composer import Composer
from assistant.answer.question import CROSS_PATTERN, clean_question, history_questions, resolve_followup
from assistant.lang.councils import detect_councils, unindexed_regions
from assistant.lang.tokens import detect_language, stem, words
from assistant.messages import MESSAGES, REFUSAL
from assistant.retrieve.hybrid import retrieve
from assistant.settings import Settings
from assistant.store.loaded import LoadedIndex


@dataclass
class Answer:
    """What the assistant returns for one question."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    language: str = "sv"
    intent: str = "fact"
    resolved_question: str = ""
    closest: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    invalid: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "question": self.question, "answer": self.answer, "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations], "language": self.language,
            "intent": self.intent, "resolved_question": self.resolved_question,
            "closest": [c.to_dict() for c in self.closest], "timings_ms": self.timings_ms,
            "invalid": self.invalid, "notes": self.notes,
        }


def answer_question(index: LoadedIndex, embedder, settings: Settings, question: str, history=None,
                    councils: list[str] | None = None, sources: list[str] | None = None) -> Answer:
    """Answer one question (with optional conversation history and council/document filters)."""
    started = time.perf_counter()
    question = clean_question(question)
    language = detect_language(question)
    if not question:
        return Answer(question, MESSAGES["empty"]["sv"], abstained=False, invalid=True)
    if len(question) > settings.max_question_chars:
        text = MESSAGES["too_long"][language].format(n=len(question), max=settings.max_question_chars)
        return Answer(question[:200], text, abstained=False, language=language, invalid=True)
    if not words(question):
        key = "other_script" if any(ch.isalpha() for ch in question) else "no_words"
        return Answer(question, MESSAGES[key][language], abstained=False, language=language, invalid=True)

    composer = Composer(index, settings)
    previous = [clean_question(q) for q in history_questions(history)][-settings.history_turns:]
    query, intent = resolve_followup(question, previous, composer.known_councils)
    mentioned = detect_councils(question, composer.known_councils) or detect_councils(query, composer.known_councils)
    scope = [c for c in mentioned if not councils or c in councils] or list(councils or [])
    cross = bool(CROSS_PATTERN.search(query)) or len(scope) > 1

    never_mentioned = [r for r in unindexed_regions(query, composer.known_councils) if stem(r.lower()) not in composer.idf]
    if not mentioned and never_mentioned:
        # A council the documents do not cover: answering from another council's plan would mislead.
        return Answer(question, REFUSAL[language], abstained=True, language=language, intent=intent, resolved_question=query,
                      timings_ms={"total": round((time.perf_counter() - started) * 1000, 1)})
    t0 = time.perf_counter()
    query_vector = embedder.embed_query(query)
    t1 = time.perf_counter()
    hits = retrieve(index, query_vector, query, settings, councils=scope or None, sources=sources)
    if cross and len(scope) > 1:
        for council in scope:  # make sure every compared council has evidence
            seen = {x.position for x in hits}
            hits += [h for h in retrieve(index, query_vector, query, settings, councils=[council], sources=sources, k=4)
                     if h.position not in seen]
    t2 = time.perf_counter()
    text, citations, abstained = composer.compose(query, intent, language, scope, hits, cross)
    t3 = time.perf_counter()
    result = Answer(
        question=question, answer=text, abstained=abstained, citations=citations, language=language, intent=intent,
        resolved_question=query, closest=closest_passages(index, hits) if abstained else [],
        timings_ms={"embed": round((t1 - t0) * 1000, 1), "retrieve": round((t2 - t1) * 1000, 1),
                    "compose": round((t3 - t2) * 1000, 1), "total": round((t3 - started) * 1000, 1)},
    )
    if settings.llm_base_url:  # optional fluent phrasing; its output is verified against the same citations
        result = llm.rewrite_with_llm(result, result.citations, llm.get_backend(settings), language)
    return result
