"""Answering one question: understand → conversation state → retrieve → plan → compose → verify → abstain.

:func:`answer_question` is the one entry point used by the service façade. The plans are tried in
order, the first that answers wins:

1. a definition the documents spell out ("Vad står VFU för?", :mod:`assistant.answer.definition`), a
   refusal when they never spell the abbreviation out, or a sentence describing the asked-about thing
   ("Vad för slags forum är X?" → "X är ett samverkansforum …");
2. a question over the set of activity records ("Hur många …", :mod:`assistant.answer.aggregate`),
   also on the records the previous answer listed ("Hur många av dem pågår hela året?");
3. another field of the activity the previous answer was about ("Och när?");
4. the composer: record fields, lists, matching sentences (:mod:`assistant.answer.composer`);
5. the best sentence-level evidence (:mod:`assistant.answer.fallback`), or a calibrated abstention.

Every citation's quote is verified against the original lines (:mod:`assistant.answer.citations`).
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass, field

from assistant.answer import aggregate, definition, fallback, llm
from assistant.answer.aggregate import RecordQuery
from assistant.answer.citations import Citation, CitationBuilder, closest_passages
from assistant.answer.composer import RECORD_INTENTS, Composer
from assistant.answer.evidence import adds_expected_information, asks_for, intent_terms, topic_terms
from assistant.answer.question import (
    CROSS_PATTERN,
    clean_question,
    history_questions,
    is_followup,
    own_topic_words,
    refers_back,
    resolve_followup,
)
from assistant.answer.understand import Understanding, understand
from assistant.lang.councils import detect_councils, partner_councils, short_name, unindexed_regions
from assistant.lang.patterns import SECOND_QUESTION, compile_ci
from assistant.lang.spelling import SpellingSettings
from assistant.lang.tokens import detect_language, stem, words
from assistant.messages import MESSAGES, REFUSAL
from assistant.retrieve.hybrid import Hit, retrieve
from assistant.retrieve.sentences import units_of_hits
from assistant.schema import ActivityRecord
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
    plan: str = ""  # which plan answered: definition, aggregate, record, composer, evidence, refusal
    records: list[ActivityRecord] = field(default_factory=list)  # the activity records the answer is about
    record_query: RecordQuery | None = None  # the record filter of an aggregate answer (for follow-ups)

    def to_dict(self) -> dict:
        return {
            "question": self.question, "answer": self.answer, "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations], "language": self.language,
            "intent": self.intent, "resolved_question": self.resolved_question,
            "closest": [c.to_dict() for c in self.closest], "timings_ms": self.timings_ms,
            "invalid": self.invalid, "notes": self.notes, "plan": self.plan,
        }


#: Kinds of fact with a fixed form: a unit that has one is no loose match (a lower evidence bar).
FORMAT_KINDS = ("email", "phone", "reference", "url")
#: Kinds of asked-for fact that a composed answer must contain, else the documents do not give it.
CHECKED_KINDS = ("count", "day", "year", "time", "duration", "amount", "frequency", "percent", "clock", "place",
                 *FORMAT_KINDS)


def _spelling(settings: Settings) -> SpellingSettings:
    return SpellingSettings(min_length=settings.spelling_min_length,
                            one_edit_max_length=settings.spelling_one_edit_max_length,
                            compound_part_min_length=settings.spelling_compound_part_min_length,
                            english_known_word_zipf=settings.spelling_english_known_word_zipf)


def _invalid(u: Understanding, settings: Settings) -> Answer | None:
    """The answer to a question that cannot be asked (empty, too long, no words), else None."""
    question, language = u.text, u.language
    if not question:
        return Answer(question, MESSAGES["empty"]["sv"], abstained=False, invalid=True)
    if len(question) > settings.max_question_chars:
        text = MESSAGES["too_long"][language].format(n=len(question), max=settings.max_question_chars)
        return Answer(question[:200], text, abstained=False, language=language, invalid=True)
    if not words(question):
        key = "other_script" if any(ch.isalpha() for ch in question) else "no_words"
        return Answer(question, MESSAGES[key][language], abstained=False, language=language, invalid=True)
    return None


def answer_question(index: LoadedIndex, embedder, settings: Settings, question: str, history=None,
                    councils: list[str] | None = None, sources: list[str] | None = None,
                    use_llm: bool = True) -> Answer:
    """Answer one question (with optional conversation history and council/document filters)."""
    started = time.perf_counter()
    spelling = _spelling(settings)
    question = question if isinstance(question, str) else ""
    if len(question) > settings.max_question_chars:  # refused before any work on it (4 MB pasted text)
        head = question[:settings.max_question_chars]
        language = detect_language(head)
        text = MESSAGES["too_long"][language].format(n=len(question), max=settings.max_question_chars)
        return Answer(question[:200], text, abstained=False, language=language, invalid=True)
    u = understand(question, index, spelling)
    invalid = _invalid(u, settings)
    if invalid is not None:
        return invalid
    question, language = u.text, u.language

    composer = Composer(index, settings)
    known = composer.known_councils
    # the last turns only, and none longer than a question may be (a 1 MB history turn is no context)
    previous_raw = [clean_question(q) for q in history_questions(history)[-settings.history_turns:]
                    if len(q) <= settings.max_question_chars]
    previous = [understand(q, index, spelling).query for q in previous_raw]
    query, intent = resolve_followup(u.query, previous, known)
    follow_up = bool(previous) and is_followup(u.query)
    # The conversation state: the previous turn answered again (the history may hold only the user's turns).
    state = answer_question(index, embedder, settings, previous_raw[-1], previous_raw[:-1], councils, sources,
                            use_llm=False) if follow_up else None

    mentioned = detect_councils(u.query, known) or detect_councils(query, known)
    scope = [c for c in mentioned if not councils or c in councils] or list(councils or [])
    comparing = bool(CROSS_PATTERN.search(query))
    if not comparing and len(scope) > 2:  # "… Mellansverige och Södra samarbeta med nationella rådet": about the two
        scope = [c for c in scope if c not in partner_councils(u.query, scope)]
    cross = comparing or len(scope) > 1

    never_mentioned = [r for r in unindexed_regions(query, known) if stem(r.lower()) not in composer.idf]
    if not mentioned and never_mentioned:
        # A council the documents do not cover: answering from another council's plan would mislead.
        return Answer(question, REFUSAL[language], abstained=True, language=language, intent=intent, resolved_question=query,
                      plan="refusal", timings_ms={"total": round((time.perf_counter() - started) * 1000, 1)})
    parts = split_question(u.query) if not follow_up else []
    if len(parts) > 1:
        return _joined(parts, u, index, embedder, settings, councils, sources, started, intent, query)
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

    plan, text, citations, abstained, records, record_query = _plan(
        u, query, intent, language, scope, cross, hits, query_vector, state, follow_up, composer, index, embedder, settings)
    t3 = time.perf_counter()
    result = Answer(
        question=question, answer=text, abstained=abstained, citations=citations, language=language, intent=intent,
        resolved_question=query, closest=closest_passages(index, hits) if abstained else [], plan=plan,
        records=records, record_query=record_query,
        timings_ms={"embed": round((t1 - t0) * 1000, 1), "retrieve": round((t2 - t1) * 1000, 1),
                    "compose": round((t3 - t2) * 1000, 1), "total": round((t3 - started) * 1000, 1)},
    )
    if use_llm and settings.llm_base_url:
        # The LLM answers from the retrieved evidence (the composer's citations and the best passages
        # retrieved), also where the composer abstained; its output is verified against the same citations.
        evidence = llm_evidence(result, index, embedder, query_vector, hits, settings)
        result = llm.rewrite_with_llm(result, evidence, llm.get_backend(settings), language, answer_abstentions=True)
    return result


def llm_evidence(result: Answer, index: LoadedIndex, embedder, query_vector, hits: list[Hit],
                 settings: Settings) -> list[Citation]:
    """The answer's citations followed by the best units of the top chunks, each verified (up to max_citations)."""
    cite = CitationBuilder(index, settings.max_citations)
    cite.items = list(result.citations)
    units = units_of_hits(index, embedder, query_vector, [hit.position for hit in hits[:settings.evidence_chunks]])
    for unit in sorted(units, key=lambda u: u.dense, reverse=True):
        if len(cite.items) >= settings.max_citations:
            break
        chunk = index.chunks[unit.position]
        cite.add(chunk.source, chunk.line_start, chunk.line_end, unit.unit.quote, chunk.section)
    return cite.items


_SECOND_QUESTION = compile_ci(SECOND_QUESTION)
_MARKER = re.compile(r"\[(\d{1,3})\]")


def split_question(text: str) -> list[str]:
    """The questions a question is made of ("Vem är kontakt för X, och när ska Södra …?" → two)."""
    parts = [part.strip(" ,;") for part in _SECOND_QUESTION.split(text)]
    parts = [part for part in parts if len(words(part)) >= 2]
    return parts if len(parts) > 1 else [text]


def _joined(parts: list[str], u: Understanding, index: LoadedIndex, embedder, settings: Settings, councils, sources,
            started: float, intent: str, query: str) -> Answer:
    """One answer from the answers to each part; a later part keeps the councils of the first."""
    known = index.councils()
    context = detect_councils(parts[0], known)
    answers = []
    for number, part in enumerate(parts):
        named = detect_councils(part, known)
        text = part if named or number == 0 or not context else f"{part} ({', '.join(short_name(c) for c in context)})"
        answers.append(answer_question(index, embedder, settings, text, None, councils, sources, use_llm=False))
    lines, citations, refused = [], [], []
    for answer in answers:
        if answer.abstained and not answer.citations:
            refused.append(answer)
            continue
        offset = len(citations)
        renumbered = {c.n: c.n + offset for c in answer.citations}
        for citation in answer.citations:
            citations.append(dataclasses.replace(citation, n=renumbered[citation.n]))
        body = _MARKER.sub(lambda m: f"[{renumbered.get(int(m.group(1)), int(m.group(1)))}]", answer.answer)
        lead = MESSAGES["quoted_in_swedish"]["en"]
        if lines and body.startswith(lead):  # an English answer says once that it quotes the Swedish text
            body = body[len(lead):].lstrip("\n")
        lines.append(body)
    if not lines:
        return Answer(u.text, REFUSAL[u.language], abstained=True, language=u.language, intent=intent,
                      resolved_question=query, plan="refusal", closest=answers[0].closest,
                      timings_ms={"total": round((time.perf_counter() - started) * 1000, 1)})
    lines += [f"{MESSAGES['part_not_found'][u.language].format(part=a.question)}" for a in refused]
    return Answer(u.text, "\n".join(lines), abstained=False, citations=citations, language=u.language, intent=intent,
                  resolved_question=query, plan="parts", records=[r for a in answers for r in a.records],
                  timings_ms={"total": round((time.perf_counter() - started) * 1000, 1)})


def _finish_lines(lines: list[str], language: str) -> str:
    if language == "en":
        lines = [MESSAGES["quoted_in_swedish"]["en"], *lines]
    return "\n".join(lines)


def _plan(u: Understanding, query: str, intent: str, language: str, scope: list[str], cross: bool, hits: list[Hit],
          query_vector, state: Answer | None, follow_up: bool, composer: Composer, index: LoadedIndex, embedder,
          settings: Settings):
    """(plan, text, citations, abstained, records, record_query) from the first plan that answers."""
    refusal = REFUSAL[language]
    # 1. a definition the documents give
    cite = CitationBuilder(index, settings.max_citations)
    lines = definition.answer_lines(u.query, index, cite, language)
    if lines:
        return "definition", _finish_lines(lines, language), cite.items, False, [], None
    if definition.asks_expansion(u.query):  # a sentence that merely uses the abbreviation does not answer it
        return "refusal", refusal, [], True, [], None
    lines = definition.description_lines(u.query, index, hits, cite, language, composer.known_councils,
                                         settings.description_max_sentences, settings.description_subject_extra_words,
                                         settings.description_search_chunks)
    if lines:
        return "definition", _finish_lines(lines, language), cite.items, False, [], None

    # 2. another field of the activity the previous answer was about ("Och när?")
    if follow_up and state is not None and state.records and intent in RECORD_INTENTS and not aggregate.asks_for_set(u.query) \
            and len(state.records) <= settings.max_citations \
            and set(detect_councils(u.query, composer.known_councils)) <= {r.council for r in state.records} \
            and not [w for w in own_topic_words(u.query) if not detect_councils(w, composer.known_councils)]:
        cite = CitationBuilder(index, settings.max_citations)
        found_lines, missing = [], []
        for record in state.records:
            line, found = composer.record_line(record, intent, query, language, cite)
            (found_lines if found else missing).append(line)
        if found_lines:
            return "record", _finish_lines(found_lines + [m for m in missing if "[" in m], language), cite.items, \
                False, state.records, None

    # 3. a question over the set of activities (or over the ones the previous answer listed)
    base = state.record_query if state is not None else None
    pool = state.records if state is not None and state.records and refers_back(u.query) else None
    uncovered = not scope and unindexed_regions(u.query, composer.known_councils)
    rq = None if uncovered else aggregate.understand(u.query, index, composer.known_councils, scope, language,
                                                     base=base if follow_up else None, pool=pool)
    if rq is not None:
        cite = CitationBuilder(index, settings.aggregate_max_citations)
        found = aggregate.select(rq, index, composer.idf, settings.aggregate_min_topic)
        if found:
            lines = aggregate.answer_lines(rq, found, index, cite, language)
            return "aggregate", "\n".join(lines), cite.items, False, found, rq

    # 4. the composer: record fields, lists, matching sentences (scored by their words and their vectors)
    all_units = units_of_hits(index, embedder, query_vector, [hit.position for hit in hits])
    composer.unit_dense = {(index.chunks[u.position].chunk_id, u.unit.quote): u.dense for u in all_units}
    text, citations, abstained = composer.compose(query, intent, language, scope, hits, cross)
    asked = asks_for(u.query)
    if not abstained and asked in CHECKED_KINDS \
            and not adds_expected_information(u.query, _MARKER.sub(" ", text)):  # "[1]" is no number
        # "Hur många deltagare …?" answered without a number: the documents do not give it
        return "refusal", refusal, [], True, [], None
    if not abstained or composer.reason == "missing_field":
        return "composer", text, citations, abstained, composer.used_records, None

    # 5. the best sentence-level evidence, or a calibrated abstention
    top = {hit.position for hit in hits[:settings.evidence_chunks]}
    units = [u for u in all_units if u.position in top]
    terms = topic_terms(query, index, scope, language)
    ranked = fallback.score_units(units, terms + intent_terms(query, composer.idf), index, composer.idf, settings, query)
    chosen = fallback.choose(ranked, settings)
    # Words the documents never use (budget, lön …) make an answer less likely: a higher bar. A unit that gives
    # the asked-for kind of fact (a number, a time …) is not loosely related: a lower bar, lower still for a fixed form.
    kind = asked in CHECKED_KINDS
    unknown = composer.reason == "unknown_terms" and not kind
    bar = settings.evidence_min_score_format if asked in FORMAT_KINDS else settings.evidence_min_score_kind if kind else \
        settings.evidence_min_score_unknown_terms if unknown else settings.evidence_min_score
    if chosen and chosen[0].score >= bar:
        cite = CitationBuilder(index, settings.max_citations)
        lines = fallback.evidence_lines(chosen, index, cite, language, settings.intro_items_max)
        if lines:
            return "evidence", _finish_lines(lines, language), cite.items, False, [], None
    return "refusal", refusal, [], True, [], None
