"""The answer composer: evidence selection, cited answer text, abstention.

No language model is needed: answers are composed from activity records, lists and source
sentences; every claim carries a marker ``[n]`` whose citation holds a verbatim quote checked
against the original lines (see :mod:`assistant.answer.citations`). When the evidence does not cover
the question, the assistant says so with :data:`assistant.messages.REFUSAL_PHRASE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answer.citations import (
    Citation,
    CitationBuilder,
    cite_unit,
    introduced_units,
    item_line,
    quote_between,
    quote_covering,
)
from assistant.answer.evidence import (
    TIME_EXPRESSION,
    Sentence,
    Terms,
    adds_expected_information,
    adds_words,
    asks_for,
    contacts_as_written,
    coverage,
    index_idf,
    intent_terms,
    names_a_contact,
    present,
    record_subject_text,
    record_text,
    sentences,
    states_count,
    strip_bullet,
    time_expression_phrase,
    topic_terms,
    unit_scoring_text,
    unknown_share,
    untranslated_words,
)
from assistant.answer.question import COUNT_WORDS, asks_for_date
from assistant.lang.councils import council_region
from assistant.lang.patterns import ACTIVITY_WORD, NAMED_ITEM, PLAN_WORD, compile_ci
from assistant.lang.tokens import stem, token_set, words
from assistant.messages import MESSAGES, REFUSAL
from assistant.retrieve.hybrid import Hit
from assistant.schema import ActivityRecord
from assistant.settings import Settings
from assistant.store.loaded import LoadedIndex

_NAMED_ITEM = re.compile(NAMED_ITEM)
_PLAN_WORD = compile_ci(PLAN_WORD)
_ACTIVITY_WORD = compile_ci(ACTIVITY_WORD)

# Record field answering each intent, and what to call it in a sentence.
INTENT_FIELD = {"owner": "owner", "contact": "contacts", "time": "timeline", "followup": "follow_up",
                "measure": "measure", "goal": "goal", "content": "content"}
FIELD_NAMES = {
    "sv": {"owner": "Ansvarig", "contacts": "Kontaktperson", "timeline": "Tidplan", "follow_up": "Uppföljningsdatum",
           "measure": "Uppföljningsmått", "goal": "Mål", "content": "Innehåll", "activity": "Aktivitet"},
    "en": {"owner": "owner", "contacts": "contact person", "timeline": "timeline", "follow_up": "follow-up date",
           "measure": "follow-up measure", "goal": "goal", "content": "content", "activity": "activity"},
}
RECORD_INTENTS = set(INTENT_FIELD)


def _council_label(council: str, language: str) -> str:
    region = council_region(council)
    if region is not None:
        return council if language == "sv" else f"the regional council {region}"
    if language == "en" and council:
        return "the national council (Nationella vårdkompetensrådet)"
    return council


def _field_named_by(query: str, record: ActivityRecord, needs_time: bool) -> str:
    """A filled field of ``record`` whose label in the plan ("Återrapportering") the question uses as a word
    ("när ska arbetsgruppen återrapportera"), holding a time when the question asks when; "" if none."""
    asked = token_set(query)
    for name, label in record.labels.items():
        value = getattr(record, name, "")
        if name != "activity" and isinstance(value, str) and value and present(token_set(label), asked) \
                and (not needs_time or TIME_EXPRESSION.search(value)):
            return name
    return ""


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
        self.known_councils = index.councils()
        self.exclude_chunks: set[str] = set()  # activity rows already found to lack the asked-for field
        self.used_records: list[ActivityRecord] = []  # the records the last answer was made from
        # why the last compose() abstained: "weak_evidence", "unknown_terms", "missing_field", "no_match"
        self.reason = ""
        self.contact_question = False  # set per compose(): sentences answering it must name a contact
        self.language = "sv"  # set per compose(): English questions lean more on meaning than on words
        # cosine of each evidence unit with the question, by (chunk id, quote); set by the engine per question
        self.unit_dense: dict[tuple[str, str], float] = {}

    # -- activity records ------------------------------------------------
    def matching_records(self, terms: Terms, councils: list[str], hits: list[Hit]) -> list[tuple[float, ActivityRecord]]:
        hit_rank = {hit.chunk.chunk_id: rank for rank, hit in enumerate(hits)}
        scored = []
        for record in self.index.records:
            if councils and record.council not in councils:
                continue
            subject = coverage(terms, record_subject_text(record), self.idf)
            score = subject + self.settings.record_measure_only_weight * (coverage(terms, record_text(record), self.idf) - subject)
            if record.chunk_id in hit_rank:
                score += self.settings.record_hit_bonus / (1 + hit_rank[record.chunk_id])
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
            minimum = self.settings.record_min_coverage
            if not pool or pool[0][0] < minimum:
                continue
            best = pool[0][0]
            chosen.extend([(s, r) for s, r in pool if s >= max(minimum, best - self.settings.record_margin)][:per_group])
        return chosen[: self.settings.max_citations]

    def record_line(self, record: ActivityRecord, intent: str, query: str, language: str, cite: CitationBuilder) -> tuple[str, bool]:
        """(answer line, found) for one record; found is False when the plan leaves the asked field empty."""
        field_name = INTENT_FIELD[intent]
        if intent == "followup" and not asks_for_date(query) and not record.follow_up:
            field_name = "measure"
        if field_name == "measure" and not record.measure and record.follow_up and not asks_for_date(query):
            field_name = "follow_up"  # a plan with one "Uppföljning" column writes its measure there
        if field_name == "goal" and not record.goal and record.content:
            field_name = "content"  # a plan without a goal column says what the activity is for in its content
        value = contacts_as_written(self.index, record) if field_name == "contacts" else getattr(record, field_name)
        quote_value = record.contacts[-1] if field_name == "contacts" and record.contacts else value
        if not value and field_name == "timeline":
            quote_value = value = time_expression_phrase(record.content)
        if not value and field_name == "content" and len(record.activity) > len(_shorten(record.activity)):
            # "Vad ska göras …?" where the plan's activity cell is itself the description
            field_name, quote_value, value = "activity", _shorten(record.activity, 300).removesuffix(" …"), \
                _shorten(record.activity, 300)
        if not value:  # the asked field is empty, but the question names another field by its label
            named = _field_named_by(query, record, needs_time=field_name in ("timeline", "follow_up"))
            if named:
                field_name, value = named, getattr(record, named)
                quote_value = value
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
        def label(name: str) -> str:  # the plan's own column label; in English answers the English name
            return FIELD_NAMES["en"][name] if language == "en" else record.labels.get(name, FIELD_NAMES["sv"][name])

        extra, stated = "", [quote_value]
        if field_name == "follow_up" and record.measure:
            extra = f"; {label('measure')}: {_shorten(record.measure, 160)}"
            stated.append(_shorten(record.measure, 160).removesuffix(" …"))
        if field_name == "owner" and record.contacts:
            extra = f" ({FIELD_NAMES[language]['contacts'].lower()}: {contacts_as_written(self.index, record)})"
            stated.append(record.contacts[-1])
        if field_name == "contacts" and record.owner:
            extra = f"; {label('owner')}: {record.owner}" + extra
            stated.append(record.owner)
        if field_name in ("owner", "contacts") and record.timeline:
            extra += f"; {label('timeline')}: {record.timeline}"
            stated.append(record.timeline)
        quote = quote_covering(self.index, record.source, record.line_start, record.line_end, record.activity, stated)
        n = cite.add(record.source, record.line_start, record.line_end, quote, record.section)
        if n is None:
            return "", False
        if language == "en":
            return f"{council} – “{activity}”: {label(field_name)}: {value}{extra} [{n}]", True
        return f"{council} – ”{activity}”: {label(field_name)} {value}{extra} [{n}]", True

    # -- sentences -------------------------------------------------------
    def best_sentences(self, query: str, terms: Terms, hits: list[Hit], council: str | None, limit: int,
                       prose_only: bool = False):
        """The best-covering sentences that also give the kind of fact asked for (name, time …);
        ``prose_only``: not the fields of activity rows (to weigh prose against the rows)."""
        candidates = []
        for rank, hit in enumerate(hits):
            if (council and hit.chunk.council != council) or (prose_only and hit.chunk.fields):
                continue
            context = f"{hit.chunk.section} {hit.chunk.title}"
            if hit.chunk.chunk_id in self.exclude_chunks:
                continue
            for sentence in sentences(hit.chunk):
                # an intro ("För mer information, kontakta:") gives what its items give
                items = introduced_units(hit.chunk, sentence, self.settings.intro_items_max)
                stated = " ".join([sentence.quote, *(item.quote for item in items)])
                if not adds_expected_information(query, stated) or (self.contact_question and not names_a_contact(stated)) \
                        or not adds_words(query, stated):
                    continue
                share = self.settings.sentence_context_share
                own = coverage(terms, unit_scoring_text(sentence.shown, hit.chunk, terms), self.idf)
                if items:  # a heading or intro is about what it introduces too
                    intro_share = self.settings.list_intro_share
                    own = max(own, intro_share * own + (1 - intro_share) * coverage(terms, stated, self.idf))
                score = (1 - share) * own + share * coverage(terms, f"{sentence.shown} {context}", self.idf)
                floor = self.settings.evidence_dense_floor
                score += self.settings.sentence_weight_chunk_dense * max(0.0, hit.dense - floor) / (1.0 - floor) \
                    + self.settings.sentence_weight_rank / (1 + rank)
                unit_cos = self.unit_dense.get((hit.chunk.chunk_id, sentence.quote))
                if unit_cos is not None:  # the sentence's own meaning, beyond its words
                    weight = self.settings.sentence_weight_dense_english if self.language == "en" \
                        else self.settings.sentence_weight_dense
                    score += weight * max(0.0, unit_cos - floor) / (1.0 - floor)
                candidates.append((score, hit, sentence))
        candidates.sort(key=lambda item: item[0], reverse=True)
        chosen, seen = [], set()
        for candidate in candidates:
            if candidate[2].quote in seen:
                continue
            if chosen and candidate[0] < chosen[0][0] - self.settings.sentence_margin:
                break
            chosen.append(candidate)
            seen.add(candidate[2].quote)
            if len(chosen) >= limit:
                break
        return chosen

    def count_lines(self, query: str, terms: Terms, hits: list[Hit], language: str, cite: CitationBuilder) -> list[str]:
        """The best sentence stating the asked-for count ("Planen innehåller 25 insatser"), if any."""
        if asks_for(query) != "count":
            return []
        for score, hit, sentence in self.best_sentences(query, terms, hits, None, self.settings.max_citations):
            if score >= self.settings.min_sentence_score and states_count(query, sentence.quote):
                shown = f"”{sentence.shown}”" if language == "en" else sentence.shown
                return cite_unit(self.index, cite, hit.chunk, sentence, shown, self.settings.intro_items_max)
        return []

    def labelled_items(self, terms: Terms, hits: list[Hit], language: str, cite: CitationBuilder) -> list[str]:
        """Short units that open with the asked-for noun ("Målområde 1: …", "Målområde 2: …") in several of
        the retrieved chunks, in document order: one list that the documents spread over slides or pages."""
        nouns = [t for t in terms if any(len(term) >= 5 for term in t)]
        if not nouns:
            return []
        found: list[tuple[tuple[str, int], Hit, Sentence]] = []
        for hit in hits[:self.settings.labelled_items_chunks]:
            if hit.chunk.fields:  # an activity row's "Prioriterade områden: …" is a field, not a named item
                continue
            for unit in sentences(hit.chunk):
                body = strip_bullet(unit.shown)
                first = words(body)[:1]
                if not first or len(body) > self.settings.labelled_item_max_chars or not _NAMED_ITEM.match(body):
                    continue
                if present(nouns[0], frozenset({stem(first[0])})):
                    found.append(((hit.chunk.source, hit.chunk.line_start), hit, unit))
        chunks = {key for key, _, _ in found}
        if len(chunks) < 2:
            return []
        out, seen = [], set()
        for _, hit, unit in sorted(found, key=lambda item: item[0]):
            body = strip_bullet(unit.shown)
            if body.lower() in seen:
                continue
            seen.add(body.lower())
            out += cite_unit(self.index, cite, hit.chunk, unit, f"- {body}" if language == "sv" else f"- ”{body}”", 0)
        return out

    def list_answer(self, terms: Terms, hits: list[Hit], cite: CitationBuilder, query: str = "") -> list[str]:
        """A whole list (intro + every item) when a list in the top chunks matches the question (and gives the
        kind of fact it asks for: "Vilka personer …" needs names)."""
        if not terms:
            return []
        best = None
        for rank, hit in enumerate(hits[:5]):
            lines = hit.chunk.text.split("\n")
            for i, line in enumerate(lines):
                items = _list_items(lines, i)
                if len(items) < 1 or (len(items) < 2 and not line.endswith(":")):
                    continue
                if query and not adds_expected_information(query, " ".join([line, *items])):
                    continue
                intro_share = self.settings.list_intro_share
                score = coverage(terms, f"{line} {hit.chunk.section}", self.idf) * intro_share \
                    + coverage(terms, " ".join([line, *items, hit.chunk.section]), self.idf) * (1 - intro_share) \
                    + self.settings.sentence_weight_rank / (1 + rank)
                if best is None or score > best[0]:
                    best = (score, hit, line, items)
        if best is None or best[0] < self.settings.list_min_score:
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
            out.append(item_line(item) + (f" [{n}]" if n else ""))
        return out

    def sentence_lines(self, query: str, terms: Terms, hits: list[Hit], council: str | None, language: str,
                       cite: CitationBuilder, prefix: str = "", limit: int = 2, prose_only: bool = False) -> list[str]:
        out = []
        for score, hit, sentence in self.best_sentences(query, terms, hits, council, limit, prose_only=prose_only):
            if score < self.settings.min_sentence_score:
                continue
            shown = f"”{sentence.shown}”" if language == "en" else sentence.shown
            out += cite_unit(self.index, cite, hit.chunk, sentence, f"{prefix}{shown}", self.settings.intro_items_max)
        return out

    # -- entry -----------------------------------------------------------
    def compose(self, query: str, intent: str, language: str, councils: list[str], hits: list[Hit], cross: bool) -> tuple[str, list[Citation], bool]:
        terms = topic_terms(query, self.index, councils, language)
        cite = CitationBuilder(self.index, self.settings.max_citations)
        refusal = (REFUSAL[language], [], True)
        self.used_records, self.reason = [], ""
        self.contact_question = intent == "contact"  # a contact is only named where the text gives one
        self.language = language
        if not hits or unknown_share(terms, self.idf, language) > self.settings.max_unknown_share:
            self.reason = "unknown_terms"
            return refusal
        if hits[0].dense < self.settings.min_evidence_score and hits[0].lexical == 0:
            self.reason = "weak_evidence"
            return refusal

        groups: list[str | None] = list(councils) if (cross and len(councils) > 1) else [None]
        lines: list[str] = []
        missing: list[str] = []
        answered: set[str] = set()  # councils a record line answers
        # An English question whose words the glossary cannot put into Swedish is about something specific:
        # not "every activity of the council" (the sentences, scored by meaning, answer it instead)
        vague = not terms and language == "en" and bool(untranslated_words(query, self.index, councils))
        # "Vilken period gäller Södras verksamhetsplan?" asks about the plan, not about every row of it
        about_the_plan = not terms and bool(_PLAN_WORD.search(query)) and not _ACTIVITY_WORD.search(query)
        records = self.select_records(terms, councils, hits, groups) \
            if intent in RECORD_INTENTS and not vague and not about_the_plan else []
        if records and len(groups) == 1 and terms:
            # Prose can answer better than a loosely matching table row ("Regionerna, lärosätena och
            # kommunerna bör gemensamt ansvara …"): compare the best sentence with the best record.
            # (the question's own intent words only: a record is scored without them)
            best_sentence = self.best_sentences(query, terms + intent_terms(query, self.idf, shorter=False), hits, None, 1,
                                                prose_only=True)
            if best_sentence and best_sentence[0][0] >= records[0][0] + self.settings.prose_margin:
                records = []
        if records:
            self.used_records = [record for _, record in records]
            for _, record in records:
                line, found = self.record_line(record, intent, query, language, cite)
                if line:
                    (lines if found else missing).append(line)
                if found:
                    answered.add(record.council)
                else:
                    self.exclude_chunks.add(record.chunk_id)
        wants_list = intent == "list" or bool(COUNT_WORDS.search(query))
        if not lines and not missing and len(groups) == 1:
            # "Hur många insatser …?": a sentence that says "25 insatser" answers before any list
            lines = self.count_lines(query, terms + intent_terms(query, self.idf), hits, language, cite)
        if not lines and not missing and wants_list and len(groups) == 1:
            # "Vilka målområden …?": items named by the asked noun on several slides or pages, else one list
            lines = self.labelled_items(terms, hits, language, cite) or self.list_answer(terms, hits, cite, query)
        if not lines or len(groups) > 1:  # no record answers it: a sentence may (the plan's text rather than its table)
            sentence_terms = terms + intent_terms(query, self.idf) if intent != "fact" else terms
            sentence_terms = sentence_terms or intent_terms(query, self.idf)
            for council in [group for group in groups if group is None or group not in answered]:
                prefix = f"{_council_label(council, language)}: " if council else ""
                # the activity the question is about lacks the field: its plan's prose may give it, another
                # activity's row does not
                lines += self.sentence_lines(query, sentence_terms, hits, council, language, cite, prefix,
                                             limit=self.settings.cross_sentences_per_council if council else 2,
                                             prose_only=bool(missing))
        if not lines:
            if missing:
                self.reason = "missing_field"
                return "\n".join(missing), cite.items, True
            self.reason, self.used_records = "no_match", []
            return refusal
        lines += [line for line in missing if "[" in line]
        if language == "en":
            lines.insert(0, MESSAGES["quoted_in_swedish"]["en"])
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
