"""Evidence scoring: what a question is about (term groups), how well a text covers it, sentences."""

from __future__ import annotations

import bisect
import math
import re
from functools import lru_cache

from assistant.answer.question import GENERIC_WORDS, INTENT_VERBS, QUESTION_WORDS
from assistant.ingest.units import Unit, split_units, strip_bullet
from assistant.lang.frequency import swedish_zipf
from assistant.lang.glossary import glossary, glossary_matches, without_glossary_phrases
from assistant.lang.patterns import (
    AFTER_INFINITIVE_MARKER,
    AMOUNT,
    ASKS_AMOUNT,
    ASKS_CLOCK,
    ASKS_COUNT,
    ASKS_DAY,
    ASKS_DURATION,
    ASKS_EMAIL,
    ASKS_FREQUENCY,
    ASKS_NAME,
    ASKS_PERCENT,
    ASKS_PHONE,
    ASKS_PLACE,
    ASKS_REFERENCE,
    ASKS_TIME,
    ASKS_URL,
    ASKS_YEAR,
    CLOCK,
    DAY_OF_MONTH,
    DURATION,
    EMAIL,
    FREQUENCY,
    HOW_MANY_ENGLISH,
    LEADING_LABEL,
    NUMBER,
    PAST_OR_PASSIVE_ENDING,
    PERCENT,
    PHONE,
    PLACE,
    REFERENCE,
    URL,
    compile_ci,
)
from assistant.lang.tokens import SWEDISH_STOPWORDS, compound_parts, content_words, stem, token_set, tokenize, words
from assistant.lang.words import answer_cues, word_list
from assistant.retrieve.hybrid import abbreviations
from assistant.schema import ActivityRecord, Chunk
from assistant.store.loaded import LoadedIndex

COUNCIL_WORDS = {stem(w) for w in word_list("council_words")}
TIME_EXPRESSION = re.compile(
    r"\b(?:Q[1-4](?:\s*[-–]\s*Q?[1-4])?(?:\s+20\d\d)?|kvartal\s+\d|[hv]t\s*-?\s*\d\d|hösten|våren|sommaren|vintern|"
    r"januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december|20\d\d)\b",
    re.IGNORECASE,
)

Terms = list[frozenset[str]]
#: Words at least this common in Swedish (Zipf scale) that the documents never use are no topic words.
COMMON_WORD_ZIPF = 5.2
#: A verb in the past or passive ("startade", "skickades", "beaktas") at least this common is a real verb.
KNOWN_VERB_ZIPF = 3.0
_PAST_OR_PASSIVE = compile_ci(PAST_OR_PASSIVE_ENDING)
_AFTER_INFINITIVE_MARKER = compile_ci(AFTER_INFINITIVE_MARKER)


def index_idf(index: LoadedIndex) -> dict[str, float]:
    """Inverse document frequency of every token in the index (cached on the index object)."""
    cache = getattr(index, "_idf_cache", None)
    if cache is None:
        df: dict[str, int] = index.lexicon.get("df") or {}
        if not df:  # a build without a stored lexicon
            for chunk in index.chunks:
                for token in set(tokenize(chunk.embed_text)):
                    df[token] = df.get(token, 0) + 1
        n = max(1, len(index.chunks))
        cache = IdfTable({token: math.log(1 + n / count) for token, count in df.items()})
        index._idf_cache = cache  # type: ignore[attr-defined]
    return cache


class IdfTable(dict):
    """Token → IDF, with a sorted vocabulary for fast "same word, other stem" look-ups."""

    def __init__(self, data: dict[str, float]):
        super().__init__(data)
        self.sorted_tokens = sorted(self)
        self.reversed_tokens = sorted(token[::-1] for token in self)  # for compounds ending in a word
        self.max_value = max(self.values(), default=1.0)
        self._memo: dict = {}  # group → weight, tuple of groups → weights

    def related(self, term: str) -> list[str]:
        """Known tokens that are the same word as ``term`` by :func:`_same_word` (without scanning all)."""
        return list(_same_word_tokens(term, self, self.sorted_tokens))

    def group_weight(self, group: frozenset[str]) -> float:
        """The IDF weight of a term group (memoised: the composer weighs the same groups for every sentence)."""
        weight = self._memo.get(group)
        if weight is None:
            if len(self._memo) > 50_000:
                self._memo.clear()
            weight = self._memo[group] = max(_term_idf(t, self, self.max_value) for t in group)
        return weight

    def weights(self, terms: tuple[frozenset[str], ...]) -> tuple[float, ...]:
        """The weights of a question's term groups, memoised per question."""
        weights = self._memo.get(terms)
        if weights is None:
            weights = tuple(self.group_weight(group) for group in terms)
            self._memo[terms] = weights
        return weights


def _same_word_tokens(term: str, tokens, ordered):
    """Tokens (a set, and the same tokens sorted) that are the same word as ``term`` by :func:`_same_word`."""
    if len(term) < 6:
        return
    for cut in range(max(6, len(term) - 5), len(term)):
        if term[:cut] in tokens:
            yield term[:cut]
    i = bisect.bisect_left(ordered, term)
    while i < len(ordered) and ordered[i].startswith(term):
        if 0 < len(ordered[i]) - len(term) <= 5:
            yield ordered[i]
        i += 1


@lru_cache(maxsize=65536)
def _sorted(tokens: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(tokens))


def _max_idf(idf: dict[str, float]) -> float:
    """The weight of a term the corpus does not contain (the rarest possible)."""
    return idf.max_value if isinstance(idf, IdfTable) else max(idf.values(), default=1.0)


def _related(term: str, idf: dict[str, float]) -> list[str]:
    if isinstance(idf, IdfTable):
        return idf.related(term)
    return [token for token in idf if _same_word(term, token)] if len(term) >= 6 else []


def _not_topic(councils: list[str]) -> set[str]:
    """Stems that never say what a question is about: question and generic words, council words and names."""
    return QUESTION_WORDS | GENERIC_WORDS | COUNCIL_WORDS | {stem(w) for council in councils for w in words(council)}


def _present_tense_verb(word: str) -> bool:
    """A real verb in the present tense whose infinitive is a real word too ("sysslar"/"syssla", "jobbar"/"jobba")."""
    return len(word) >= 5 and word.endswith("ar") and swedish_zipf(word) >= KNOWN_VERB_ZIPF \
        and swedish_zipf(word[:-1]) >= KNOWN_VERB_ZIPF


def topic_terms(query: str, index: LoadedIndex, councils: list[str], language: str = "sv") -> Terms:
    """What the answer must be about, as groups of alternative stems.

    Question words, council names and generic words are left out. An abbreviation and its long
    form defined in the corpus ("VFU" / "verksamhetsförlagd utbildning") are one group. English
    words are replaced by their Swedish glossary terms; other English words count only when the
    corpus contains them (names, abbreviations).
    """
    idf = index_idf(index)
    skip = _not_topic(councils)
    long_forms = {short.lower(): long for short, long in abbreviations(index).items()}
    groups: Terms = []
    # the words that ask for the kind of fact ("hur länge", "vilka år", "hur ofta") are not its topic
    text = _KIND_PHRASES.sub(" ", query.lower())
    if language == "en":
        matches = glossary_matches(text)  # also inflected: "organises", "interim reports"
        for phrase, _, _ in matches:
            stems = frozenset(t for term in glossary()[phrase] for t in tokenize(term)) - skip
            if stems and stems not in groups:
                groups.append(stems)
        text = without_glossary_phrases(text, matches)
    skip_sorted = _sorted(frozenset(skip))
    verbs = set(_AFTER_INFINITIVE_MARKER.findall(text)) if language == "sv" else set()
    for word in content_words(text):
        token = stem(word)
        if token in skip or (language == "en" and token not in idf) or _has_same_word(token, skip, skip_sorted):
            continue
        if language == "sv" and token not in idf and not _related(token, idf) and (
                swedish_zipf(word) >= COMMON_WORD_ZIPF
                or (_PAST_OR_PASSIVE.search(word) and swedish_zipf(word) >= KNOWN_VERB_ZIPF)
                or _present_tense_verb(word) or (word in verbs and swedish_zipf(word) >= KNOWN_VERB_ZIPF)):
            # a very common word the documents never use ("kom", "gjorde"), or a real verb form they do not
            # use ("startade", "skickades", "beaktas": the documents say it in other words), says nothing
            # about the topic
            continue
        alternatives = {token}
        if token not in idf and not _related(token, idf):
            head = _known_modifier(word, idf)  # "tandvårdsrelaterade" → "tandvård"
            if head:  # "språkfrågorna" → "språk", and the corpus's own språk- compounds (språkkrav …)
                alternatives = {head, *_compounds_of(head, idf)}
            else:  # "verktyg" the documents only use as the head of a compound ("placeringsverktyg")
                alternatives |= set(_compounds_ending_in(token, idf))
        parts = compound_parts(word)
        if parts and len(stem(parts[0])) >= 4 and parts[0] not in SWEDISH_STOPWORDS and stem(parts[0]) in idf:
            # "specialistsjuksköterskeutbildningen": also its specific part (not "under" of "undersköterska")
            alternatives.add(stem(parts[0]))
        if word in long_forms:  # the long form's most specific word stands for the abbreviation
            known = [t for t in tokenize(long_forms[word]) if idf.get(t, 0) > 0]
            if known:
                alternatives.add(max(known, key=lambda t: idf[t]))
        group = frozenset(alternatives)
        if group not in groups:
            groups.append(group)
    return groups


#: At most this many corpus compounds stand in for the known first part of an unknown compound.
def untranslated_words(query: str, index: LoadedIndex, councils: list[str]) -> list[str]:
    """Content words of an English question that neither the glossary nor the documents know: the
    question is about something specific that the lexical terms cannot name ("who plans and organises …")."""
    idf = index_idf(index)
    skip = _not_topic(councils)
    text = without_glossary_phrases(query)
    return [word for word in content_words(text) if stem(word) not in skip and stem(word) not in idf
            and stem(word, "english") not in skip and not word.isdigit()]


MAX_COMPOUND_FAMILY = 24


def _compounds_of(head: str, idf: dict[str, float]) -> list[str]:
    """Corpus tokens that are compounds starting with ``head`` ("språk" → "språkkrav", "språksatsning")."""
    ordered = idf.sorted_tokens if isinstance(idf, IdfTable) else sorted(idf)
    out = []
    i = bisect.bisect_left(ordered, head)
    while i < len(ordered) and ordered[i].startswith(head) and len(out) < MAX_COMPOUND_FAMILY:
        if len(ordered[i]) - len(head) >= 3:
            out.append(ordered[i])
        i += 1
    return out


def _compounds_ending_in(head: str, idf: dict[str, float]) -> list[str]:
    """Corpus tokens that are compounds ending in ``head`` ("verktyg" → "placeringsverktyg")."""
    if len(head) < 5:
        return []
    ordered = idf.reversed_tokens if isinstance(idf, IdfTable) else sorted(t[::-1] for t in idf)
    key, out = head[::-1], []
    i = bisect.bisect_left(ordered, key)
    while i < len(ordered) and ordered[i].startswith(key) and len(out) < MAX_COMPOUND_FAMILY:
        if len(ordered[i]) - len(head) >= 4:
            out.append(ordered[i][::-1])
        i += 1
    return out


def with_compounds(group: frozenset[str], idf: dict[str, float], min_length: int = 5) -> frozenset[str]:
    """A term group with the corpus's compounds of its stems ("forsk" → also "forskarskol")."""
    return group.union(*(_compounds_of(term, idf) for term in group if len(term) >= min_length))


def _known_modifier(word: str, idf: dict[str, float]) -> str:
    """The longest leading part of an unknown compound that the corpus knows (≥ 5 letters)."""
    for cut in range(len(word) - 4, 4, -1):
        left = word[:cut]
        for candidate in (left, left[:-1] if left.endswith("s") else ""):
            if len(candidate) >= 5 and stem(candidate) in idf:
                return stem(candidate)
    return ""


def intent_terms(query: str, idf: dict[str, float], shorter: bool = True) -> Terms:
    """The question's own wording about the kind of answer ("ansvarar", "följs"), for sentence matching.

    ``shorter``: a word the documents do not use stands for the shorter intent word it starts with
    ("kontaktperson" → "kontakt", which also matches "kontakta" and "Kontakt:").
    """
    terms: Terms = []
    for token in tokenize(query):
        if token not in INTENT_VERBS:
            continue
        known = {token} if token in idf else {t for t in INTENT_VERBS if shorter and len(t) >= 5
                                              and token.startswith(t) and t in idf}
        group = frozenset(known)
        if group and group not in terms:
            terms.append(group)
    for word in words(query):  # "Varför …?": a sentence saying "syftet …" answers it
        cues = frozenset(stem(cue) for cue in answer_cues().get(word, ()) if stem(cue) in idf)
        if cues and cues not in terms:
            terms.append(cues)
    return terms


def _same_word(a: str, b: str) -> bool:
    """Two stems of one word: the shorter (≥ 6 letters) starts the longer, at most 5 letters apart.

    Snowball stems Swedish inflections unevenly ("handledarkompetens" → "handledarkomp",
    "handledarkompetensen" → "handledarkompetens").
    """
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 6 and len(long) - len(short) <= 5 and long.startswith(short)


def _has_same_word(term: str, tokens, ordered) -> bool:
    return next(_same_word_tokens(term, tokens, ordered), None) is not None


def present(group: frozenset[str], tokens: frozenset[str]) -> bool:
    """Whether ``tokens`` contain a term of ``group`` or another stem of the same word."""
    return _present(group, tokens)


@lru_cache(maxsize=1 << 16)
def _present(group: frozenset[str], tokens: frozenset[str]) -> bool:
    """Whether a text's tokens contain a term of the group, or another stem of the same word (cached:
    the composer checks the same sentences against the same groups several times per question)."""
    if group & tokens:
        return True
    return any(_has_same_word(term, tokens, _sorted(tokens)) for term in group if len(term) >= 6)


def _term_idf(term: str, idf: dict[str, float], default: float) -> float:
    if term in idf:
        return idf[term]
    related = [idf[token] for token in _related(term, idf)]
    return max(related) if related else default


def _group_weight(group: frozenset[str], idf: dict[str, float], default: float) -> float:
    if isinstance(idf, IdfTable):
        return idf.group_weight(group)
    return max(_term_idf(t, idf, default) for t in group)


def _weights(terms: Terms, idf: dict[str, float]) -> tuple[float, ...]:
    if isinstance(idf, IdfTable):
        return idf.weights(tuple(terms))
    default = _max_idf(idf)
    return tuple(_group_weight(g, idf, default) for g in terms)


def coverage(terms: Terms, text: str, idf: dict[str, float]) -> float:
    """IDF-weighted share of term groups present in ``text`` (terms unknown to the corpus weigh most)."""
    if not terms:
        return 1.0
    present = token_set(text)
    weights = _weights(terms, idf)
    total = sum(weights)
    found = sum(weight for group, weight in zip(terms, weights) if _present(group, present))
    return found / total if total else 0.0


def unknown_share(terms: Terms, idf: dict[str, float], language: str) -> float:
    """Weight share of topic terms that occur nowhere in the corpus (judged for Swedish questions)."""
    if language != "sv" or not terms:
        return 0.0
    default = _max_idf(idf)
    total = sum(_group_weight(g, idf, default) for g in terms)
    unknown = sum(_group_weight(g, idf, default) for g in terms
                  if not any(t in idf or _related(t, idf) for t in g) and not any(ch.isdigit() for t in g for ch in t))
    return unknown / total if total else 0.0


def contacts_as_written(index: LoadedIndex, record: ActivityRecord) -> str:
    """A record's contacts as its plan writes them ("Ingela och Anna"), else joined by commas."""
    position = index.by_id.get(record.chunk_id)
    label = record.labels.get("contacts")
    raw = index.chunks[position].fields.get(label, "") if position is not None and label else ""
    raw = " ".join(raw.split()).strip(" .")
    if raw and len(raw) <= 120 and all(contact in raw for contact in record.contacts):
        return raw
    return ", ".join(record.contacts)


def record_text(record: ActivityRecord) -> str:
    """All of an activity's text: what it is about and its follow-up measure."""
    return f"{record_subject_text(record)} {record.measure}"


def record_subject_text(record: ActivityRecord) -> str:
    """What an activity is about: its text without the follow-up measure (which may mention other things:
    "… goda exempel på rådsmöten" does not make the activity about council meetings)."""
    return " ".join([record.activity, record.focus_area, record.goal, record.content, record.section,
                     record.owner, " ".join(record.contacts)])


# A sentence is an evidence unit (see :mod:`assistant.ingest.units`).
Sentence = Unit


def sentences(chunk: Chunk) -> list[Unit]:
    """Sentences and list items of a chunk; activity rows give one sentence per field value.

    Computed once per chunk object (kept on it): the composer reads the same top chunks for many questions.
    """
    cached = chunk.__dict__.get("_sentences")
    if cached is None:
        cached = chunk.__dict__["_sentences"] = split_units(chunk)
    return cached


def unit_scoring_text(shown: str, chunk: Chunk, terms: Terms) -> str:
    """The text a unit's words are scored on: the unit; a field of a labelled box whose label the question
    names ("Ansökan: Senast den 15 november …" for "sista dag att ansöka") also stands for what the box is
    about, its section ("Nytt utbildningsspår … > Fakta om utbildningsspåret")."""
    if chunk.fields:
        match = _LEADING_LABEL.match(shown)
        if match and any(_present(group, token_set(match.group(0))) for group in terms):
            return f"{shown} {chunk.section}"
    return shown


def time_expression_phrase(text: str, before: int = 6, after: int = 3) -> str:
    """A short verbatim phrase of ``text`` around its first time expression (Q3 2026, ht -26, hösten …)."""
    match = TIME_EXPRESSION.search(text)
    if not match:
        return ""
    head = text[: match.start()].split()[-before:]
    tail = text[match.end():].split()[:after]
    return " ".join(head + [match.group(0)] + tail).strip()


_ASKS = [(kind, compile_ci(pattern)) for kind, pattern in (
    ("reference", ASKS_REFERENCE), ("url", ASKS_URL), ("place", ASKS_PLACE), ("email", ASKS_EMAIL), ("phone", ASKS_PHONE), ("amount", ASKS_AMOUNT), ("frequency", ASKS_FREQUENCY),
    ("percent", ASKS_PERCENT), ("clock", ASKS_CLOCK), ("year", ASKS_YEAR), ("day", ASKS_DAY), ("duration", ASKS_DURATION),
    ("time", ASKS_TIME), ("count", ASKS_COUNT), ("name", ASKS_NAME))]
#: What a text must contain for each asked kind that is checked by one pattern.
_ANSWER_PATTERNS = {"email": compile_ci(EMAIL), "phone": compile_ci(PHONE), "duration": compile_ci(DURATION),
                    "reference": compile_ci(REFERENCE), "url": compile_ci(URL), "place": re.compile(PLACE),
                    "amount": compile_ci(AMOUNT), "frequency": compile_ci(FREQUENCY),
                    "percent": compile_ci(PERCENT), "clock": compile_ci(CLOCK)}
_KIND_PHRASES = compile_ci("|".join(f"(?:{p})" for p in (ASKS_YEAR, ASKS_DAY, ASKS_DURATION, ASKS_FREQUENCY, ASKS_CLOCK,
                                                          ASKS_REFERENCE)))
_YEAR = re.compile(r"\b(?:19|20)\d\d\b(?!:\d)")  # not the year part of an SFS number ("2015:284")
_DAY = compile_ci(DAY_OF_MONTH)
_NUMBER = compile_ci(NUMBER)
#: A capitalised word inside a sentence (a name): not after a full stop or colon, not an abbreviation in capitals
#: ("AT-föreskriften", "PM").
_CAPITALISED = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-ZÅÄÖ](?![A-ZÅÄÖ])[\wåäöÅÄÖ-]+")


_COUNTED = re.compile(r"\bhur\s+många\s+(?:[a-zåäö]+-)?([a-zåäö]{3,})")
_COUNTED_ENGLISH = compile_ci(HOW_MANY_ENGLISH)


def _counted_noun(question: str) -> str:
    """What a "hur många …" question counts ("timmar"; "ST-tjänster" → "tjänster"; English "how many
    midwives" → the glossary's "barnmorskor"), or "" ("hur många av dem", a word the glossary lacks)."""
    match = _COUNTED.search(question)
    if match:
        word = match.group(1)
    else:
        english = _COUNTED_ENGLISH.search(question)
        if not english:
            return ""
        translated = [phrase for phrase, start, _ in glossary_matches(question) if start == english.start(1)]
        word = glossary()[translated[0]][0].split()[-1].lower() if translated else ""
    if not word:
        return ""
    return "" if word in SWEDISH_STOPWORDS or stem(word) in QUESTION_WORDS or stem(word) in GENERIC_WORDS else word


_CONTACT_STEM = frozenset({stem("kontakt")})


def names_a_contact(text: str) -> bool:
    """Whether a text gives a contact: says "kontakt…" ("Kontakt:", "kontakta"), or has an e-mail or phone number."""
    return present(_CONTACT_STEM, token_set(text)) or bool(_ANSWER_PATTERNS["email"].search(text)
                                                         or _ANSWER_PATTERNS["phone"].search(text))


#: How many words a number may stand from the noun it counts ("yrkesgrupper (22 stycken)").
COUNT_WINDOW = 3


def _number_near(sentence: str, noun: str, lowered_question: str) -> bool:
    """Whether a number the question does not give stands within COUNT_WINDOW words of the counted noun."""
    tokens = words(strip_bullet(sentence))
    target = frozenset({stem(noun)})
    noun_at = [i for i, token in enumerate(tokens) if _present(target, frozenset({stem(token)}))]
    for i, token in enumerate(tokens):
        if _NUMBER.fullmatch(token) and not _YEAR.fullmatch(token) and token not in lowered_question.split():
            if any(abs(i - j) <= COUNT_WINDOW for j in noun_at):
                return True
    return False


def states_count(question: str, sentence: str) -> bool:
    """Whether a sentence states how many of what a "hur många X" question counts ("25 insatser")."""
    noun = _counted_noun(question.lower())
    if not noun:
        return False
    target = frozenset({stem(noun)})
    tokens = words(sentence)
    for i, token in enumerate(tokens):
        if _NUMBER.fullmatch(token) and not _YEAR.fullmatch(token):
            following = frozenset(stem(t) for t in tokens[i + 1:i + 3])
            if _present(target, following):
                return True
    return False


@lru_cache(maxsize=1024)
def asks_for(question: str) -> str:
    """The kind of fact a question asks for: "year", "day", "time", "count", "name" or "" (cached)."""
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return ""


_LEADING_LABEL = re.compile(LEADING_LABEL)


def adds_words(question: str, sentence: str) -> bool:
    """Whether a sentence says anything beyond the question's own words (after a leading "Label:").

    "Aktivitet: Samverka med övriga regionala vårdkompetensråd" answers nothing about that activity.
    """
    body = _LEADING_LABEL.sub("", strip_bullet(sentence), count=1)
    asked = _asked_tokens(question)
    return any(not _present(frozenset({token}), asked) for token in token_set(body) - asked)


@lru_cache(maxsize=1024)
def _asked_tokens(question: str) -> frozenset[str]:
    """The question's tokens, and in English also the Swedish words of its glossary phrases ("clinical practice"
    → "klinisk praktik"): a Swedish title that only repeats an English question adds nothing either."""
    glossed = [term for phrase, _, _ in glossary_matches(question) for term in glossary()[phrase]]
    return token_set(" ".join([question, *glossed]))


def adds_expected_information(question: str, sentence: str) -> bool:
    """Whether a sentence gives the kind of fact the question asks for, beyond what the question says.

    "Vem är …"/"Vad heter …" needs a name, "Vilket år …" a year, "Vilken dag …" a day of a month, "Hur
    många …" a number, "När …" a time expression — each one
    that the question does not already contain. Other questions pass.
    """
    asks = asks_for(question)
    if asks == "year":
        return any(year not in question for year in _YEAR.findall(sentence))
    lowered_question = question.lower()
    if asks in _ANSWER_PATTERNS:
        return any(m.group(0).lower() not in lowered_question for m in _ANSWER_PATTERNS[asks].finditer(sentence))
    if asks == "day":
        return any(m.group(0).lower() not in lowered_question for m in _DAY.finditer(sentence))
    if asks == "count":
        sentence = TIME_EXPRESSION.sub(" ", sentence)  # "ht -26", "Q3", "kvartal 2" count nothing
        noun = _counted_noun(lowered_question)
        if noun and not _present(frozenset({stem(noun)}), token_set(sentence)):
            return False  # "Hur många timmar …": a number of something else does not answer it
        if noun:  # … and the number must count it: near the noun ("22 stycken" after "yrkesgrupper")
            return _number_near(sentence, noun, lowered_question)
        return any(m.group(0).lower() not in lowered_question for m in _NUMBER.finditer(sentence)
                   if not _YEAR.fullmatch(m.group(0)))
    if asks == "time":
        return any(m.group(0).lower() not in lowered_question for m in TIME_EXPRESSION.finditer(sentence))
    if asks == "name":
        body = strip_bullet(sentence)
        names = [m.group(0) for m in _CAPITALISED.finditer(body) if m.start() > 0]
        return any(name.lower() not in lowered_question for name in names)
    return True
