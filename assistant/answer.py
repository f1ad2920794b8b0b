"""The answer composer: evidence selection, cited answer text, abstention.

No language model is needed: answers are composed from activity records, lists and source
sentences; every claim carries a marker ``[n]`` whose citation holds a verbatim quote checked
against the original lines (see :mod:`assistant.citations`). When the evidence does not cover the
question, the assistant says so with :data:`REFUSAL_PHRASE`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from assistant.activities import ActivityRecord
from assistant.citations import (  # noqa: F401 - Citation and verify_quote are re-exported
    Citation, CitationBuilder, closest_passages, quote_between, quote_covering, verify_quote,
)
from assistant.evidence import (
    Terms, adds_expected_information, coverage, index_idf, intent_terms, record_text, sentences, strip_bullet, time_expression_phrase,
    topic_terms, unknown_share,
)
from assistant.index import LoadedIndex
from assistant.question import (
    COUNT_WORDS, CROSS_PATTERN, asks_for_date, clean_question, history_questions, resolve_followup,
)
from assistant.retrieve import Hit, detect_councils, retrieve, unindexed_regions
from assistant.settings import Settings
from assistant.text import detect_language, stem, words

__all__ = ["REFUSAL", "REFUSAL_PHRASE", "Answer", "Citation", "Composer", "answer_question", "verify_quote"]

# The one refusal phrase: used by the composer, the tests and the UI.
REFUSAL_PHRASE = "Det framgår inte av dokumenten"
REFUSAL = {
    "sv": f"{REFUSAL_PHRASE}.",
    "en": f"The documents do not say ({REFUSAL_PHRASE.lower()}).",
}
MESSAGES = {
    "empty": {"sv": "Skriv en fråga om vårdkompetensrådens planer.", "en": "Please type a question about the council plans."},
    "too_long": {"sv": "Frågan är för lång ({n} tecken). Korta den till högst {max} tecken.",
                 "en": "The question is too long ({n} characters). Please keep it under {max} characters."},
    "other_script": {"sv": "Jag kan bara svara på frågor på svenska eller engelska. Skriv frågan med latinska bokstäver.",
                     "en": "I can only answer questions in Swedish or English."},
    "no_words": {"sv": "Frågan innehåller inga ord att söka på. Skriv den med bokstäver.",
                 "en": "The question has no words to search for."},
    "missing_field": {"sv": "{refusal} ({what} anges inte för ”{activity}”.)",
                      "en": "{refusal} (No {what} is given for “{activity}”.)"},
}
# Record field answering each intent, and what to call it in a sentence.
INTENT_FIELD = {"owner": "owner", "contact": "contacts", "time": "timeline", "followup": "follow_up",
                "measure": "measure", "goal": "goal"}
FIELD_NAMES = {
    "sv": {"owner": "Ansvarig", "contacts": "Kontaktperson", "timeline": "Tidplan", "follow_up": "Uppföljningsdatum",
           "measure": "Uppföljningsmått", "goal": "Mål"},
    "en": {"owner": "owner", "contacts": "contact person", "timeline": "timeline", "follow_up": "follow-up date",
           "measure": "follow-up measure", "goal": "goal"},
}
RECORD_INTENTS = set(INTENT_FIELD)
MIN_RECORD_COVERAGE = 0.55
PROSE_MARGIN = 0.15  # how much better a sentence must match than the best record to be preferred


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


def _council_label(council: str, language: str) -> str:
    if council.startswith("RVKR "):
        return council if language == "sv" else f"the regional council {council[5:]}"
    if language == "en" and council:
        return "the national council (Nationella vårdkompetensrådet)"
    return council


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


@dataclass
class Draft:
    """Answer lines under construction, with their citations."""

    lines: list[str] = field(default_factory=list)
    refused: str = ""


class Composer:
    """Turns retrieved evidence into a short, cited answer."""

    def __init__(self, index: LoadedIndex, settings: Settings):
        self.index, self.settings = index, settings
        self.idf = index_idf(index)
        self.known_councils = sorted({meta.get("council", "") for meta in index.documents().values() if meta.get("council")})
        self.exclude_chunks: set[str] = set()  # activity rows already found to lack the asked-for field

    # -- activity records ------------------------------------------------
    def matching_records(self, terms: Terms, councils: list[str], hits: list[Hit]) -> list[tuple[float, ActivityRecord]]:
        hit_rank = {hit.chunk.chunk_id: rank for rank, hit in enumerate(hits)}
        scored = []
        for record in self.index.records:
            if councils and record.council not in councils:
                continue
            score = coverage(terms, record_text(record), self.idf)
            if record.chunk_id in hit_rank:
                score += 0.15 / (1 + hit_rank[record.chunk_id])
            scored.append((score, record))
        scored.sort(key=lambda item: item[0], reverse=True)
        return scored

    def select_records(self, terms: Terms, councils: list[str], hits: list[Hit],
                       groups: list[str | None]) -> list[tuple[float, ActivityRecord]]:
        """The records that answer the question (best per compared council), with their scores."""
        scored = self.matching_records(terms, councils, hits)
        if not terms:  # "Vem ansvarar för aktiviteterna i Södra?": all of the council's records
            return scored[: self.settings.max_citations] if councils else []
        per_group = max(1, self.settings.max_citations // len(groups))
        chosen: list[tuple[float, ActivityRecord]] = []
        for council in groups:
            pool = [(s, r) for s, r in scored if council is None or r.council == council]
            if not pool or pool[0][0] < MIN_RECORD_COVERAGE:
                continue
            best = pool[0][0]
            chosen.extend([(s, r) for s, r in pool if s >= max(MIN_RECORD_COVERAGE, best - 0.12)][:per_group])
        return chosen[: self.settings.max_citations]

    def record_line(self, record: ActivityRecord, intent: str, query: str, language: str, cite: CitationBuilder) -> tuple[str, bool]:
        """(answer line, found) for one record; found is False when the plan leaves the asked field empty."""
        field_name = INTENT_FIELD[intent]
        if intent == "followup" and not asks_for_date(query) and not record.follow_up:
            field_name = "measure"
        value = ", ".join(record.contacts) if field_name == "contacts" else getattr(record, field_name)
        quote_value = record.contacts[-1] if field_name == "contacts" and record.contacts else value
        if not value and field_name == "timeline":
            quote_value = value = time_expression_phrase(record.content)
        activity = _shorten(record.activity)
        council = _council_label(record.council, language)
        if not value:
            fallback = record.owner or record.activity
            n = cite.add(record.source, record.line_start, record.line_end,
                         quote_between(self.index, record.source, record.line_start, record.line_end, record.activity, fallback),
                         record.section)
            what = FIELD_NAMES[language][field_name]
            line = MESSAGES["missing_field"][language].format(refusal=REFUSAL[language].rstrip("."), what=what, activity=activity)
            if n is not None and record.owner:
                owner = FIELD_NAMES[language]["owner"]
                line += f" {owner}: {record.owner} [{n}]" if language == "sv" else f" Its {owner}: {record.owner} [{n}]"
            return line, False
        label = record.labels.get(field_name, FIELD_NAMES[language][field_name])
        extra, stated = "", [quote_value]
        if field_name == "follow_up" and record.measure:
            extra = f"; {record.labels.get('measure', 'mått')}: {_shorten(record.measure, 160)}"
            stated.append(_shorten(record.measure, 160).removesuffix(" …"))
        if field_name == "owner" and record.contacts:
            extra = f" ({FIELD_NAMES[language]['contacts'].lower()}: {', '.join(record.contacts)})"
            stated.append(record.contacts[-1])
        if field_name == "contacts" and record.owner:
            extra = f"; {record.labels.get('owner', 'ansvarig')}: {record.owner}" + extra
            stated.append(record.owner)
        if field_name in ("owner", "contacts") and record.timeline:
            extra += f"; {record.labels.get('timeline', 'tidplan')}: {record.timeline}"
            stated.append(record.timeline)
        quote = quote_covering(self.index, record.source, record.line_start, record.line_end, record.activity, stated)
        n = cite.add(record.source, record.line_start, record.line_end, quote, record.section)
        if n is None:
            return "", False
        if language == "en":
            return f"{council} – “{activity}”: {FIELD_NAMES['en'][field_name]} ({label}) {value}{extra} [{n}]", True
        return f"{council} – ”{activity}”: {label} {value}{extra} [{n}]", True

    # -- sentences -------------------------------------------------------
    def best_sentences(self, query: str, terms: Terms, hits: list[Hit], council: str | None, limit: int):
        """The best-covering sentences that also give the kind of fact asked for (name, time …)."""
        candidates = []
        for rank, hit in enumerate(hits):
            if council and hit.chunk.council != council:
                continue
            context = f"{hit.chunk.section} {hit.chunk.title}"
            if hit.chunk.chunk_id in self.exclude_chunks:
                continue
            for sentence in sentences(hit.chunk):
                if not adds_expected_information(query, sentence.quote):
                    continue
                score = 0.75 * coverage(terms, sentence.shown, self.idf) + 0.25 * coverage(terms, f"{sentence.shown} {context}", self.idf)
                score += 0.1 * max(0.0, hit.dense - 0.75) / 0.25 + 0.05 / (1 + rank)
                candidates.append((score, hit, sentence))
        candidates.sort(key=lambda item: item[0], reverse=True)
        chosen, seen = [], set()
        for candidate in candidates:
            if candidate[2].quote in seen:
                continue
            if chosen and candidate[0] < chosen[0][0] - 0.15:
                break
            chosen.append(candidate)
            seen.add(candidate[2].quote)
            if len(chosen) >= limit:
                break
        return chosen

    def list_answer(self, terms: Terms, hits: list[Hit], cite: CitationBuilder) -> list[str]:
        """A whole list (intro + every item) when a list in the top chunks matches the question."""
        if not terms:
            return []
        best = None
        for rank, hit in enumerate(hits[:5]):
            lines = hit.chunk.text.split("\n")
            for i, line in enumerate(lines):
                items = _list_items(lines, i)
                if len(items) < 1 or (len(items) < 2 and not line.endswith(":")):
                    continue
                score = coverage(terms, f"{line} {hit.chunk.section}", self.idf) * 0.6 \
                    + coverage(terms, " ".join([line, *items, hit.chunk.section]), self.idf) * 0.4 + 0.05 / (1 + rank)
                if best is None or score > best[0]:
                    best = (score, hit, line, items)
        if best is None or best[0] < 0.5:
            return []
        _, hit, intro, items = best
        chunk = hit.chunk
        out = []
        n = cite.add(chunk.source, chunk.line_start, chunk.line_end, intro, chunk.section)
        if n is not None:
            out.append(f"{strip_bullet(intro)} [{n}]")
        for item in items:
            n = cite.add(chunk.source, chunk.line_start, chunk.line_end, item, chunk.section)
            if n is None and cite.items and len(cite.items) >= cite.limit:
                n = cite.items[-1].n
            out.append(f"- {strip_bullet(item)}" + (f" [{n}]" if n else ""))
        return out

    def sentence_lines(self, query: str, terms: Terms, hits: list[Hit], council: str | None, language: str,
                       cite: CitationBuilder, prefix: str = "", limit: int = 2) -> list[str]:
        out = []
        for score, hit, sentence in self.best_sentences(query, terms, hits, council, limit):
            if score < self.settings.min_sentence_score:
                continue
            n = cite.add(hit.chunk.source, hit.chunk.line_start, hit.chunk.line_end, sentence.quote, hit.chunk.section)
            if n is not None:
                shown = f"”{sentence.shown}”" if language == "en" else sentence.shown
                out.append(f"{prefix}{shown} [{n}]")
        return out

    # -- entry -----------------------------------------------------------
    def compose(self, query: str, intent: str, language: str, councils: list[str], hits: list[Hit], cross: bool) -> tuple[str, list[Citation], bool]:
        terms = topic_terms(query, self.index, councils, language)
        cite = CitationBuilder(self.index, self.settings.max_citations)
        refusal = (REFUSAL[language], [], True)
        if not hits or unknown_share(terms, self.idf, language) > self.settings.max_unknown_share:
            return refusal
        if hits[0].dense < self.settings.min_evidence_score and hits[0].lexical == 0:
            return refusal

        groups: list[str | None] = list(councils) if (cross and len(councils) > 1) else [None]
        lines: list[str] = []
        missing: list[str] = []
        records = self.select_records(terms, councils, hits, groups) if intent in RECORD_INTENTS else []
        if records and len(groups) == 1 and terms:
            # Prose can answer better than a loosely matching table row ("Regionerna, lärosätena och
            # kommunerna bör gemensamt ansvara …"): compare the best sentence with the best record.
            best_sentence = self.best_sentences(query, terms + intent_terms(query, self.idf), hits, None, 1)
            if best_sentence and best_sentence[0][0] >= records[0][0] + PROSE_MARGIN:
                records = []
        if records:
            for _, record in records:
                line, found = self.record_line(record, intent, query, language, cite)
                if line:
                    (lines if found else missing).append(line)
                if not found:
                    self.exclude_chunks.add(record.chunk_id)
        wants_list = intent == "list" or bool(COUNT_WORDS.search(query))
        if not lines and not missing and wants_list and len(groups) == 1:
            lines = self.list_answer(terms, hits, cite)
        if not lines:  # no record answers it: a sentence may (the plan's text rather than its table)
            sentence_terms = terms + intent_terms(query, self.idf) if intent != "fact" else terms
            sentence_terms = sentence_terms or intent_terms(query, self.idf)
            for council in groups:
                prefix = f"{_council_label(council, language)}: " if council else ""
                lines += self.sentence_lines(query, sentence_terms, hits, council, language, cite, prefix,
                                             limit=1 if council else 2)
        if not lines:
            if missing:
                return "\n".join(missing), cite.items, True
            return refusal
        lines += [line for line in missing if "[" in line]
        if language == "en":
            lines.insert(0, "According to the documents (quoted in Swedish):")
        return "\n".join(lines), cite.items, False


def _list_items(lines: list[str], i: int) -> list[str]:
    """Items introduced by ``lines[i]``: following bullet lines, or the lines after an intro ending in ':'."""
    bullets = []
    for line in lines[i + 1:]:
        if re.match(r"^\s*(?:[•●▪◦*–-]|\d{1,2}[.)])\s*\S", line):
            bullets.append(line)
        else:
            break
    if bullets:
        return bullets
    if lines[i].endswith(":"):
        return [line for line in lines[i + 1:i + 2] if not line.endswith(":")]
    return []


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
        from assistant import llm

        result = llm.rewrite_with_llm(result, result.citations, llm.get_backend(settings), language)
    return result
