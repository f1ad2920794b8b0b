"""The answer composer: intent, follow-ups, evidence selection, verified citations, abstention.

No language model is needed: answers are composed from activity records and source sentences,
every claim carries a marker ``[n]`` whose citation holds a verbatim quote checked against the
original lines. When the evidence does not cover the question, the assistant says so with
:data:`REFUSAL_PHRASE`.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field

from assistant.activities import ActivityRecord
from assistant.corpus import normalize_for_match
from assistant.index import LoadedIndex
from assistant.retrieve import Hit, abbreviations, detect_councils, glossary, retrieve, unindexed_regions
from assistant.settings import Settings
from assistant.text import content_words, detect_language, stem, tokenize, words

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
}

INTENT_PATTERNS: list[tuple[str, str]] = [
    ("contact", r"kontakt|\bcontact"),
    ("followup", r"följ(?:s|as|a|er)?\s+(?:[\wåäö]+\s+){0,3}?upp\b|uppfölj|\bmått\b|\bmäts\b|measur|follow(?:ed)?[- ]?up|evaluat"),
    ("owner", r"\bvem\b|\bvilka\s+(?:ansvarar|äger|genomför)|ansvar|genomför|\bwho\b|\bowns?\b|responsib|in charge"),
    ("time", r"\bnär\b|tidplan|tidpunkt|kvartal|datum|vilket år|\bwhen\b|deadline|timeline|which quarter|what date"),
    ("list", r"\bvilka\b|\blista\b|räkna upp|hur många|\bwhich\b|\blist\b|how many|name the"),
]
CROSS_PATTERN = re.compile(r"skiljer|jämför|skillnad|\bbåda\b|\bbåde\b|differ|compare|difference|\bboth\b", re.IGNORECASE)
FOLLOWUP_START = re.compile(r"^\s*(och|men|samt|än|då|and|what about|how about|hur är det|gäller det|också)\b", re.IGNORECASE)
# Words that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = {stem(w) for w in """
vem vilka vilken vilket när hur var vad varför ansvarar ansvarig ansvaret ansvar äger genomför genomförande
kontakt kontaktperson kontaktpersoner följs följas följa upp uppföljning uppföljningen mått tidplan tidpunkt ska
skall kommer planerar planeras görs arbetar står framgår finns anges dokumenten dokumentet planen enligt
who what when which how where why owns own responsible responsibility contact person follow followed measured
timeline does is are many much list lista nämn räkna beskriv describe tell says say
skiljer skilja skillnad skillnaden skillnader jämför jämföra jämförelse sig gäller differ differs difference compare
between both båda varandra respektive
""".split()}
# Words too generic in these documents to say what a question is about.
GENERIC_WORDS = {stem(w) for w in """
aktivitet aktiviteter aktiviteterna aktiviteten arbete arbetet arbeta verksamhetsplan verksamhetsplanen aktivitetsplan
aktivitetsplanen plan planen planerna dokument dokumenten activity activities work plan plans document
""".split()}


@dataclass
class Citation:
    """A checkable source for a claim: file, title, section, line span and a verbatim quote."""

    n: int
    source: str
    title: str
    council: str
    section: str
    lines: tuple[int, int]
    quote: str

    def to_dict(self) -> dict:
        data = asdict(self)
        data["lines"] = list(self.lines)
        return data


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


# ------------------------------------------------------------ question
def clean_question(question: str) -> str:
    """Drop control characters and collapse whitespace."""
    question = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question or "")
    return re.sub(r"\s+", " ", question).strip()


def classify_intent(question: str) -> str:
    lowered = question.lower()
    for intent, pattern in INTENT_PATTERNS:
        if re.search(pattern, lowered):
            return intent
    return "fact"


def history_questions(history) -> list[str]:
    """User turns from a history given as role/content dicts, (user, assistant) pairs or strings."""
    questions = []
    for item in history or []:
        if isinstance(item, dict):
            if item.get("role") == "user" and isinstance(item.get("content"), str):
                questions.append(item["content"])
        elif isinstance(item, (list, tuple)) and item:
            if isinstance(item[0], str):
                questions.append(item[0])
        elif isinstance(item, str):
            questions.append(item)
    return questions


def is_followup(question: str) -> bool:
    """Elliptic or referring questions that only make sense with the previous turn."""
    meaningful = [w for w in content_words(question) if stem(w) not in QUESTION_WORDS]
    refers = re.search(r"\b(det|den|dessa|denna|detta|de|it|that|this|those|they|them)\b", question.lower())
    return bool(FOLLOWUP_START.match(question)) or len(meaningful) <= 1 or (refers is not None and len(meaningful) <= 2)


def resolve_followup(question: str, previous: list[str], known_councils: list[str]) -> tuple[str, str]:
    """(query text, intent) with the previous turn's topic carried over when the question is a follow-up."""
    intent_now = classify_intent(question)
    if not previous or not is_followup(question):
        return question, intent_now
    prev_query, prev_intent = resolve_followup(previous[-1], previous[:-1], known_councils)
    new_councils = detect_councils(question, known_councils)
    if new_councils:
        for council in detect_councils(prev_query, known_councils):
            name = council.replace("RVKR ", "")
            prev_query = re.sub(rf"\b{re.escape(name)}\b", " ", prev_query, flags=re.IGNORECASE)
    has_own_intent = intent_now != "fact" and not (intent_now == "list" and new_councils)
    intent = intent_now if has_own_intent else prev_intent
    return clean_question(f"{prev_query} {question}"), intent


# ------------------------------------------------------------ evidence
def _idf(index: LoadedIndex) -> dict[str, float]:
    cache = getattr(index, "_idf_cache", None)
    if cache is None:
        df: dict[str, int] = {}
        for chunk in index.chunks:
            for token in set(tokenize(chunk.embed_text)):
                df[token] = df.get(token, 0) + 1
        n = max(1, len(index.chunks))
        cache = {token: math.log(1 + n / count) for token, count in df.items()}
        index._idf_cache = cache  # type: ignore[attr-defined]
    return cache


def topic_terms(query: str, index: LoadedIndex, councils: list[str], language: str = "sv") -> list[frozenset[str]]:
    """What the answer must be about, as groups of alternative stems.

    Question words, council names and generic words are left out. An abbreviation and its long
    form defined in the corpus ("VFU" / "verksamhetsförlagd utbildning") are one group. English
    words are replaced by their Swedish glossary terms; other English words count only when the
    corpus contains them (names, abbreviations).
    """
    idf = _idf(index)
    skip = QUESTION_WORDS | GENERIC_WORDS | {stem(w) for council in councils for w in words(council)}
    skip |= {stem(w) for w in ("råd", "rådet", "rådets", "regionala", "regional", "vårdkompetensråd", "vårdkompetensrådet",
                               "vårdkompetensrådets", "council", "rvkr", "nationella", "national", "nationell", "nvkr")}
    long_forms = {short.lower(): long for short, long in abbreviations(index).items()}
    groups: list[frozenset[str]] = []
    text = query.lower()
    if language == "en":
        for phrase, terms in sorted(glossary().items(), key=lambda item: -len(item[0])):
            if re.search(rf"\b{re.escape(phrase)}\b", text):
                stems = frozenset(t for term in terms for t in tokenize(term)) - skip
                if stems:
                    groups.append(stems)
                text = re.sub(rf"\b{re.escape(phrase)}\b", " ", text)
    for word in content_words(text):
        token = stem(word)
        if token in skip or (language == "en" and token not in idf):
            continue
        alternatives = {token}
        if word in long_forms:  # the long form's most specific word stands for the abbreviation
            known = [t for t in tokenize(long_forms[word]) if idf.get(t, 0) > 0]
            if known:
                alternatives.add(max(known, key=lambda t: idf[t]))
        group = frozenset(alternatives)
        if group not in groups:
            groups.append(group)
    return groups


def _group_weight(group: frozenset[str], idf: dict[str, float], default: float) -> float:
    return max(_term_idf(t, idf, default) for t in group)


def _term_idf(term: str, idf: dict[str, float], default: float) -> float:
    if term in idf:
        return idf[term]
    if len(term) >= 6:  # an unevenly stemmed inflection: use the closest stem sharing its prefix
        related = [value for token, value in idf.items() if _same_word(term, token)]
        if related:
            return max(related)
    return default


def _present(group: frozenset[str], tokens: set[str]) -> bool:
    """A group is present when a token equals an alternative or the two share a long prefix.

    Snowball stems Swedish inflections unevenly ("handledarkompetens" → "handledarkomp",
    "handledarkompetensen" → "handledarkompetens"), so a stem that starts another counts as the same word.
    """
    if group & tokens:
        return True
    return any(_same_word(term, token) for term in group for token in tokens)


def _same_word(a: str, b: str) -> bool:
    """Two stems of one word: the shorter (≥ 6 letters) starts the longer, at most 5 letters apart."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 6 and len(long) - len(short) <= 5 and long.startswith(short)


def coverage(terms: list[frozenset[str]], text: str, idf: dict[str, float]) -> float:
    """IDF-weighted share of term groups present in ``text`` (terms unknown to the corpus weigh most)."""
    if not terms:
        return 1.0
    present = set(tokenize(text))
    default = max(idf.values(), default=1.0)
    total = sum(_group_weight(g, idf, default) for g in terms)
    found = sum(_group_weight(g, idf, default) for g in terms if _present(g, present))
    return found / total if total else 0.0


def unknown_share(terms: list[frozenset[str]], idf: dict[str, float], language: str) -> float:
    """Weight share of topic terms that occur nowhere in the corpus (judged for Swedish questions)."""
    if language != "sv" or not terms:
        return 0.0
    default = max(idf.values(), default=1.0)
    vocabulary = set(idf)
    total = sum(_group_weight(g, idf, default) for g in terms)
    unknown = sum(_group_weight(g, idf, default) for g in terms
                  if not _present(g, vocabulary) and not any(ch.isdigit() for t in g for ch in t))
    return unknown / total if total else 0.0


def record_text(record: ActivityRecord) -> str:
    return " ".join([record.activity, record.focus_area, record.goal, record.measure, record.content, record.section,
                     record.owner, " ".join(record.contacts)])


# ------------------------------------------------------------ quotes
def span_text(index: LoadedIndex, source: str, start: int, end: int) -> str:
    lines = index.doc_lines.get(source, [])
    return normalize_for_match("\n".join(lines[start - 1:end]))


def verify_quote(index: LoadedIndex, citation: Citation) -> bool:
    """True when the quote is verbatim in the cited lines (after whitespace/hyphen normalisation)."""
    quote = normalize_for_match(citation.quote)
    return bool(quote) and quote in span_text(index, citation.source, *citation.lines)


def narrow_span(index: LoadedIndex, source: str, start: int, end: int, quote: str) -> tuple[int, int]:
    """The smallest line range inside ``start..end`` that still contains the quote."""
    quote = normalize_for_match(quote)
    while start < end and quote in span_text(index, source, start + 1, end):
        start += 1
    while end > start and quote in span_text(index, source, start, end - 1):
        end -= 1
    return start, end


def quote_between(index: LoadedIndex, source: str, start: int, end: int, first: str, last: str, limit: int = 320) -> str:
    """A verbatim stretch of the span from ``first`` through ``last`` (or just ``last`` if too long)."""
    text = span_text(index, source, start, end)
    a, b = text.find(normalize_for_match(first)[:80]), text.find(normalize_for_match(last))
    if a >= 0 and b >= 0:
        lo, hi = min(a, b), max(a + len(normalize_for_match(first)[:80]), b + len(normalize_for_match(last)))
        if hi - lo <= limit:
            return text[lo:hi]
    if b >= 0:
        return text[b:b + len(normalize_for_match(last))]
    return ""


class CitationBuilder:
    """Numbers citations, verifies their quotes and reuses numbers for the same quote."""

    def __init__(self, index: LoadedIndex, limit: int):
        self.index, self.limit, self.items = index, limit, []

    def add(self, source: str, start: int, end: int, quote: str, section: str = "") -> int | None:
        quote = normalize_for_match(quote)
        if not quote:
            return None
        for citation in self.items:
            if citation.source == source and citation.quote == quote:
                return citation.n
        if len(self.items) >= self.limit:
            return None
        start, end = narrow_span(self.index, source, start, end, quote)
        meta = self.index.documents().get(source, {})
        citation = Citation(len(self.items) + 1, source, meta.get("title", source), meta.get("council", ""), section,
                            (start, end), quote)
        if not verify_quote(self.index, citation):
            return None
        self.items.append(citation)
        return citation.n


# ------------------------------------------------------------ sentences
_BULLET_MARK = re.compile(r"^\s*[•●▪◦*–-]\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9•–-])")


def sentences(chunk_text: str) -> list[str]:
    """Sentences and list items of a chunk (one per line, long lines split at sentence ends)."""
    out = []
    for line in chunk_text.split("\n"):
        out.extend(part.strip() for part in _SENTENCE_END.split(line) if len(part.strip()) > 3)
    return out


def _council_label(council: str, language: str) -> str:
    if council.startswith("RVKR "):
        return council if language == "sv" else f"the regional council {council[5:]}"
    if language == "en" and council:
        return "the national council (Nationella vårdkompetensrådet)"
    return council


# ------------------------------------------------------------ composer
class Composer:
    """Turns retrieved evidence into a short, cited answer."""

    def __init__(self, index: LoadedIndex, settings: Settings):
        self.index, self.settings = index, settings
        self.idf = _idf(index)
        self.known_councils = sorted({meta.get("council", "") for meta in index.documents().values() if meta.get("council")})

    # -- records -----------------------------------------------------
    def matching_records(self, terms: list[str], councils: list[str], hits: list[Hit]) -> list[tuple[float, ActivityRecord]]:
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

    def select_records(self, terms: list[str], councils: list[str], hits: list[Hit], cross: bool) -> list[ActivityRecord]:
        scored = self.matching_records(terms, councils, hits)
        if not scored:
            return []
        if not terms:  # "Vem ansvarar för aktiviteterna i Södra?": all of the council's records
            return [record for _, record in scored if councils][: self.settings.max_citations]
        groups = councils if (cross and len(councils) > 1) else [None]
        per_group = max(1, self.settings.max_citations // len(groups))
        chosen: list[ActivityRecord] = []
        for council in groups:
            pool = [(s, r) for s, r in scored if council is None or r.council == council]
            if not pool or pool[0][0] < 0.5:
                continue
            best = pool[0][0]
            chosen.extend([r for s, r in pool if s >= max(0.5, best - 0.12)][:per_group])
        return chosen[: self.settings.max_citations]

    def record_line(self, record: ActivityRecord, intent: str, language: str, cite: CitationBuilder) -> str | None:
        value_field = {"owner": "owner", "contact": "contacts", "time": "timeline", "followup": "follow_up"}.get(intent, "owner")
        value = ", ".join(record.contacts) if value_field == "contacts" else getattr(record, value_field)
        if intent == "followup" and not value:
            value_field, value = "measure", record.measure
        if intent == "contact" and not value:
            value_field, value = "owner", record.owner
        if not value:
            return None
        label = record.labels.get(value_field, value_field)
        quote = quote_between(self.index, record.source, record.line_start, record.line_end, record.activity,
                              record.contacts[-1] if value_field == "contacts" else value)
        n = cite.add(record.source, record.line_start, record.line_end, quote, record.section)
        if n is None:
            return None
        activity = _shorten(record.activity)
        council = _council_label(record.council, language)
        extra = ""
        if intent == "followup" and value_field == "follow_up" and record.measure:
            extra = f"; {record.labels.get('measure', 'mått')}: {_shorten(record.measure, 160)}"
        if intent in ("owner", "contact") and record.timeline:
            extra = f"; {record.labels.get('timeline', 'tidplan')}: {record.timeline}"
        if language == "en":
            what = {"owner": "owner", "contacts": "contact", "timeline": "timeline", "follow_up": "follow-up",
                    "measure": "follow-up measure"}[value_field]
            return f"{council} – “{activity}”: {what} ({label}) {value}{extra} [{n}]"
        return f"{council} – ”{activity}”: {label} {value}{extra} [{n}]"

    # -- sentences ---------------------------------------------------
    def best_sentences(self, terms: list[str], hits: list[Hit], per_council: list[str] | None, limit: int) -> list[tuple[float, Hit, str]]:
        candidates = []
        for rank, hit in enumerate(hits):
            context = f"{hit.chunk.section} {hit.chunk.title}"
            for sentence in sentences(hit.chunk.text):
                score = 0.75 * coverage(terms, sentence, self.idf) + 0.25 * coverage(terms, f"{sentence} {context}", self.idf)
                score += 0.1 * max(0.0, hit.dense - 0.75) / 0.25 + 0.05 / (1 + rank)
                candidates.append((score, hit, sentence))
        candidates.sort(key=lambda item: item[0], reverse=True)
        if per_council:
            chosen = []
            for council in per_council:
                pool = [c for c in candidates if c[1].chunk.council == council]
                chosen.extend(pool[:1])
            return chosen
        chosen, seen = [], set()
        for candidate in candidates:
            if candidate[2] in seen:
                continue
            if chosen and candidate[0] < chosen[0][0] - 0.15:
                break
            chosen.append(candidate)
            seen.add(candidate[2])
            if len(chosen) >= limit:
                break
        return chosen

    def list_answer(self, terms: list[str], hits: list[Hit], language: str, cite: CitationBuilder) -> str | None:
        """Answer with a whole list (intro + every item) when a list chunk matches the question."""
        best = None
        for rank, hit in enumerate(hits[:5]):
            lines = hit.chunk.text.split("\n")
            items = [line for line in lines if re.match(r"^\s*(?:[•●▪◦*–-]|\d{1,2}[.)])\s*\S", line)]
            if len(items) < 2:
                continue
            score = coverage(terms, hit.chunk.text + " " + hit.chunk.section, self.idf) + 0.05 / (1 + rank)
            if best is None or score > best[0]:
                best = (score, hit, lines, items)
        if best is None or best[0] < 0.5:
            return None
        _, hit, lines, items = best
        intro = next((line for line in lines if line.endswith(":")), "")
        parts = []
        if intro:
            n = cite.add(hit.chunk.source, hit.chunk.line_start, hit.chunk.line_end, intro, hit.chunk.section)
            if n is not None:
                parts.append(f"{intro} [{n}]")
        for item in items:
            n = cite.add(hit.chunk.source, hit.chunk.line_start, hit.chunk.line_end, item, hit.chunk.section)
            if n is None and len(cite.items) >= cite.limit:
                n = cite.items[-1].n
            bare = _BULLET_MARK.sub("", item)
            parts.append(f"- {bare}" + (f" [{n}]" if n else ""))
        return "\n".join(parts) if parts else None

    # -- entry ---------------------------------------------------------
    def compose(self, query: str, intent: str, language: str, councils: list[str], hits: list[Hit], cross: bool) -> tuple[str, list[Citation], bool]:
        terms = topic_terms(query, self.index, councils, language)
        cite = CitationBuilder(self.index, self.settings.max_citations)
        if not hits or unknown_share(terms, self.idf, language) > self.settings.max_unknown_share:
            return REFUSAL[language], [], True
        if hits[0].dense < self.settings.min_evidence_score and hits[0].lexical == 0:
            return REFUSAL[language], [], True

        lines: list[str] = []
        if intent in ("owner", "contact", "time", "followup"):
            for record in self.select_records(terms, councils, hits, cross):
                line = self.record_line(record, intent, language, cite)
                if line:
                    lines.append(line)
        if not lines and intent == "list":
            listed = self.list_answer(terms, hits, language, cite)
            if listed:
                lines.append(listed)
        if not lines:
            per_council = councils if (cross and len(councils) > 1) else None
            sentence_terms = terms or [frozenset({t}) for t in tokenize(query) if t not in GENERIC_WORDS]
            chosen = self.best_sentences(sentence_terms, hits, per_council, limit=2)
            if not chosen or chosen[0][0] < self.settings.min_sentence_score:
                return REFUSAL[language], [], True
            for score, hit, sentence in chosen:
                if score < self.settings.min_sentence_score:
                    continue
                n = cite.add(hit.chunk.source, hit.chunk.line_start, hit.chunk.line_end, sentence, hit.chunk.section)
                if n is None:
                    continue
                prefix = f"{_council_label(hit.chunk.council, language)}: " if per_council else ""
                shown = _BULLET_MARK.sub("", sentence)
                lines.append(f"{prefix}”{shown}” [{n}]" if language == "en" else f"{prefix}{shown} [{n}]")
        if not lines:
            return REFUSAL[language], [], True
        if language == "en" and not lines[0].startswith("According"):
            lines.insert(0, "According to the documents (quoted in Swedish):")
        return "\n".join(lines), cite.items, False


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def closest_passages(index: LoadedIndex, hits: list[Hit], limit: int = 3) -> list[Citation]:
    """The passages looked at, shown when the assistant abstains (quotes are verbatim chunk text)."""
    out = []
    for hit in hits[:limit]:
        first = hit.chunk.text.split("\n")[0]
        quote = normalize_for_match(first)[:240]
        citation = Citation(len(out) + 1, hit.chunk.source, hit.chunk.title, hit.chunk.council, hit.chunk.section,
                            (hit.chunk.line_start, hit.chunk.line_end), quote)
        if verify_quote(index, citation):
            out.append(citation)
    return out


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
    mentioned = detect_councils(query if query != question else question, composer.known_councils)
    if query != question and detect_councils(question, composer.known_councils):
        mentioned = detect_councils(question, composer.known_councils)
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
            hits += [h for h in retrieve(index, query_vector, query, settings, councils=[council], sources=sources, k=4)
                     if h.position not in {x.position for x in hits}]
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
