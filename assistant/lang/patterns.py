"""Language patterns used by more than one stage, each defined once.

The composer, the BM25 tokens and the follow-up drafts recognise the same constructions; they build
their regexes from the definitions here instead of writing their own copies.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

from assistant.lang.spelling import fold

#: Swedish "när" that asks (never "när det gäller", "as regards"): opening the question or a second question ("… och när?"), or anywhere in a question that
#: opens without another question word ("kan du säga när …"); not the conjunction inside a question that asks
#: something else ("Vad vill rådet komma bort från när utbildningen förnyas?").
WHEN = (r"(?:^\s*|[,;:?]\s*|\b(?:och|samt|eller|men|alltså)\s+)när\b(?!\s+det\s+gäller)"
        r"|^(?!\s*(?:vad|vem|vilka|vilken|vilket|hur|varför|var|vart)\b).*?\bnär\b(?!\s+det\s+gäller)")
#: English "when" that asks ("When is …", "… and when?"), not the conjunction ("issues it raises when monitoring").
ENGLISH_WHEN = (r"(?:^|[,;:?]\s*|\b(?:and|or|but|so|then|by)\s+)when\b"
                r"|\bwhen\s+(?:is|are|was|were|will|would|does|do|did|should|can|could|has|have|must)\b")


def follow_up_verb(max_words_between: int, inflections: str = "a|er|s|as|de|ts|t", optional: bool = True) -> str:
    """The particle verb "följa … upp" ("följs (aktiviteterna) upp") as a regex source.

    ``max_words_between`` is how many words may stand between the verb and its particle: the BM25
    tokens allow 4, intent detection 10, the follow-up drafts' sentence cues 3.
    """
    ending = f"(?:{inflections})" + ("?" if optional else "")
    return rf"\bfölj{ending}\s+(?:[\wåäö]+\s+){{0,{max_words_between}}}?upp\b"


def compile_ci(pattern: str) -> re.Pattern:
    """A case-insensitive compiled pattern."""
    return re.compile(pattern, re.IGNORECASE)


# -- questions over the activity records ("Hur många …", "Vilka av Södras aktiviteter …") ----------
#: A question asks for a count.
COUNT_QUESTION = r"\bhur\s+m[aå]nga\b|\bantal(?:et)?\b|\bhow\s+many\b|\bnumber\s+of\b"
#: A question is about the plans' activities as a set (plural), not one activity.
ACTIVITIES_WORD = r"\baktiviteter(?:na)?\b|\bactivities\b"
#: A question about a plan itself ("Vilken period gäller Södras verksamhetsplan?"), not about its activity rows.
PLAN_WORD = r"\b(?:verksamhets|aktivitets|handlings)?plan(?:en|erna|s)?\b|\bplans?\b"
ACTIVITY_WORD = r"\baktivitet\w*|\bactivit\w*"
#: "Vilka (av) …", "which …", "lista …": a question for a set.
SET_QUESTION = r"\bvilka\b|\bvilken\b|\bwhich\b|\bwhat\b|\blista\b|\blist\b|\bräkna\s+upp\b|\bnämn\b"
#: Activities that run all year.
WHOLE_YEAR = r"\bhela\s+(?:[aå]ret|[aå]r)\b|\bhelår|\bårets\s+alla\s+kvartal|\ball\s+year\b|\bwhole\s+year\b|\bfull\s+year\b|\bthroughout\s+the\s+year\b|\ball\s+(?:four\s+)?quarters\b"
#: Activities planned for one quarter only.
SINGLE_QUARTER = r"\b(?:ett\s+enda|enda|ett|bara\s+ett|endast\s+ett)\s+kvartal\b|\b(?:a\s+single|one|only\s+one)\s+quarter\b"
#: A term, season or quarter in running text ("ht -26", "Q3", "kvartal 2", "hösten"), not a bare year.
TERM_OR_QUARTER = r"\b(?:[hv]t\s*-?\s*\d\d|q[1-4]|kvartal\s+\d|hösten|våren|sommaren|vintern)\b"
#: A field the plan leaves empty ("saknar kontaktperson", "without a timeline").
MISSING_FIELD = r"\bsaknar\b|\butan\b|\bhar\s+ingen\b|\bhar\s+inte\b|\binte\s+har\b|\blacks?\b|\bwithout\b|\bhave\s+no\b|\bhas\s+no\b|\bmissing\b"
#: Owner mentioned alone ("ensamt", "only the secretariat").
OWNER_ALONE = r"\bensam(?:t|ma)?\b|\bsjälv(?:a|t)?\b|\bbara\b|\bendast\b|\balone\b|\bonly\b|\bsolely\b"
#: "Vilka råd …", "which councils …": the answer is a set of councils.
COUNCILS_QUESTION = r"\bvilka\s+(?:regionala\s+)?(?:råd|rad|vårdkompetensråd|vardkompetensrad)(?:en)?\b|\bwhich\s+councils?\b"


# -- definitions ("Vad står VFU för?", "what does AT mean") ------------------------------------------
#: The term asked about is the named group ``term``.
DEFINITION_QUESTIONS = (
    r"\bvad\s+(?:st[aå]r|betyder|innebär|innebar)\s+(?:förkortningen\s+|forkortningen\s+)?(?P<term>[\wåäöÅÄÖ-]{2,12})(?:\s+f[öo]r)?\b",
    r"\bvad\s+(?:är|ar)\s+(?:en\s+|ett\s+)?(?P<term>[\wåäöÅÄÖ-]{2,8})\s*\??$",
    r"\bwhat\s+(?:does|do)\s+(?:the\s+abbreviation\s+)?(?P<term>[\w-]{2,12})\s+(?:stand\s+for|mean)\b",
    r"\b(?:what|wat|whats|what's)\s+(?:is|s)?\s*(?:an?\s+|the\s+)?(?P<term>[\w-]{2,8})\s*\??$",
    r"\b(?:förkortningen|forkortningen|abbreviation)\s+(?P<term>[\wåäöÅÄÖ-]{2,12})\b",
)

#: A definition question that asks for the long form itself ("Vad står SKR för?", "what does X stand
#: for", "förkortningen X"): only a passage that spells the abbreviation out can answer it.
EXPANSION_QUESTION = (r"\bst[aå]r\s+(?:förkortningen\s+|forkortningen\s+)?[\wåäöÅÄÖ-]{2,12}\s+f[öo]r\b"
                      r"|\bstands?\s+for\b|\b(?:förkortningen|forkortningen|abbreviation)\b")

#: "Vad är X?", "Vad för slags forum är X?", "what (kind of body) is X": X is described by a sentence
#: "X är …" in the documents. ``subject`` is X; "enligt …"/"according to …" is left out of it.
DESCRIPTION_QUESTIONS = (
    r"^\s*vad\s+(?:för\s+(?:slags|sorts|typ\s+av)\s+[\wåäöÅÄÖ-]+\s+)?(?:är|ar)\s+(?P<subject>.+?)"
    r"(?:\s+(?:enligt|i)\s+[\wåäöÅÄÖ-]+s?\s+(?:verksamhetsplan|aktivitetsplan|plan|dokument)\w*)?\s*\??\s*$",
    r"^\s*vilken\s+(?:sorts?|slags|typ\s+av)\s+[\wåäöÅÄÖ-]+\s+är\s+(?P<subject>.+?)\s*\??\s*$",
    r"^\s*(?:what|wat|whats|what's)\s+does\s+(?P<subject>.+?)\s+mean\s*\??\s*$",
    r"^\s*(?:what|wat|whats|what's)\s+(?:kind\s+of\s+[\w-]+\s+)?(?:is\s+)?(?P<subject>.+?)"
    r"(?:\s+according\s+to\b.*)?\s*\??\s*$",
    # "Hur beskriver Södras plan det nationella rådet?" (the describing document first), "Hur beskrivs X i …?"
    r"^\s*hur\s+beskriver\s+(?P<source>[\wåäöÅÄÖ-]+(?:\s+[\wåäöÅÄÖ-]+)?)\s+(?P<subject>(?:det|den|de)\s+.+?)\s*\??\s*$",
    r"^\s*hur\s+beskrivs\s+(?P<subject>.+?)(?:\s+(?:i|enligt)\s+.+?)?\s*\??\s*$",
    r"^\s*how\s+(?:is|are)\s+(?P<subject>.+?)\s+described\b.*$",
)
#: The copula of a describing sentence ("X är ett samverkansforum …", "X is a …").
COPULA = r"\s+(?:är|utgör|is)\s+"


# -- the kind of fact a question asks for (an answer must contain one that the question does not) ----
#: (not "Vem är ansvarig …", "Who is responsible …": a body or a role, "Processledaren", answers that)
ASKS_NAME = (r"\bvem\s+är\b(?!\s+(?:ansvarig|ansvarar|huvudansvarig))|\bvad\s+heter\b|\bvilka\s+personer\b|\bvem\s+leder\b"
             r"|\bwho\s+leads\b"
             r"|\bwho\s+is\b(?!\s+(?:responsible|in\s+charge|accountable))|\bwhat\s+is\s+the\s+name\b")
ASKS_YEAR = r"\bvilk(?:et|a)\s+år\b|\bwhich\s+years?\b|\bwhat\s+years?\b"
#: The words of a question for a time that name its kind ("vilken period", "vilket kvartal"): not its topic.
ASKS_TIME_PHRASE = (r"\bunder\s+vilken\s+tid\b|\bvilket\s+datum\b|\bwhat\s+date\b|\bvilken\s+månad\b|\bvilket\s+kvartal\b|\bvilken\s+(?:tids)?period\b"
                    r"|\b(?:which|what|in\s+which|in\s+what|for\s+which|for\s+what|during\s+which)\s+(?:month|quarter|period)\b")
ASKS_TIME = rf"{WHEN}|{ENGLISH_WHEN}|{ASKS_TIME_PHRASE}"
ASKS_DAY = r"\bvilken\s+dag\b|\bvilket\s+datum\b|\bwhich\s+day\b|\bwhat\s+day\b|\bexact\s+date\b|\bwhich\s+date\b"
#: ("antalet" asks only as the question's own noun — "Vilket antal …", "Antalet deltagare?" — not in "Vem ansvarar
#: för att öka antalet handledare?")
ASKS_COUNT = (r"\bhur\s+många\b|\bhur\s+mycket\b|\bhur\s+stor\b|\b(?:vilket|vad\s+är|hur\s+stort)\s+antal(?:et)?\b"
              r"|^\s*antal(?:et)?\b|\bhow\s+many\b|\bhow\s+much\b"
              r"|\bhow\s+(?:large|big)\b|\bnumber\s+of\b")
ASKS_DURATION = r"\bhur\s+långt?\b|\bhur\s+länge\b|\bhow\s+long\b|\bfor\s+how\s+long\b"
#: A question for a sum of money ("Vilken budget har …", "Hur mycket pengar …", "Vad kostar …").
ASKS_AMOUNT = (r"\bvad\s+kostar\b|\bhur\s+mycket\s+(?:pengar|kostar)\b|\bvilken\s+budget\b|\bhur\s+stor\s+(?:är\s+)?budget"
               r"|\bbudget(?:en)?\s+för\b|\bvilket\s+belopp\b|\bhow\s+much\s+(?:money|does\s+\w+\s+cost)\b"
               r"|\bwhat\s+(?:is\s+the\s+)?(?:budget|funding)\b|\bwhat\s+does\s+\w+\s+cost\b|\bhow\s+much\s+funding\b")
#: A sum of money ("5 miljarder kronor", "300 000 kr", "2 mnkr").
AMOUNT = (r"\b\d[\d\s.,]*\s*(?:kr|kronor|sek|tkr|mnkr|msek|mkr)\b"
          r"|\b(?:miljon(?:er)?|miljard(?:er)?|tusen)\s+(?:kr|kronor)\b|\b(?:SEK|kronor)\b")
#: A question for how often something happens ("Hur ofta träffas …?").
ASKS_FREQUENCY = r"\bhur\s+ofta\b|\bhow\s+often\b|\bhow\s+frequently\b|\bhur\s+många\s+gånger\b|\bhow\s+many\s+times\b"
#: How often ("fyra gånger årligen", "varje månad", "Mötesfrekvensen …", "once a year").
FREQUENCY = (r"\b\w*frekvens\w*|\bgång(?:er)?\s+(?:per|om|i|varje|årligen)\b|\bårligen\b|\b(?:varje|var)\s+(?:år|månad|vecka|kvartal|termin)\b"
             r"|\bper\s+(?:år|månad|vecka|kvartal|termin)\b|\bmånatlig\w*|\bkvartalsvis\b|\bveckovis\b|\b\w+\s+gånger\b"
             r"|\b(?:once|twice|\w+\s+times)\s+(?:a|per)\s+(?:year|month|week)\b|\b(?:annually|monthly|weekly|quarterly)\b")
#: A question for a share ("Hur stor andel …", "Hur många procent …").
ASKS_PERCENT = r"\bandel(?:en)?\b|\bprocent\w*|\bhow\s+many\s+percent\b|\bwhat\s+(?:share|percentage|proportion)\b"
PERCENT = (r"\d+(?:[.,]\d+)?\s*(?:%|procent\b)|\bpercent\b|\b(?:hälften|half|a\s+third|a\s+quarter)\b"
           r"|\b(?:en|två|tre)\s+(?:tredje|fjärde|femte|tionde)del(?:ar)?\b"
           r"|\bvar\s+(?:annan|tredje|fjärde|femte|sjätte|sjunde|åttonde|nionde|tionde)\b")
#: A question for the time of day ("Vilken tid börjar mötet?", "Vilket klockslag …").
ASKS_CLOCK = r"\bvilken\s+tid\s+(?:på\s+dagen|börjar|startar|slutar)\b|\bklockslag\w*|\bklockan\s+hur\s+mycket\b|\bwhat\s+time\b"
CLOCK = r"\b(?:kl\.?|klockan)\s*\d{1,2}(?:[.:]\d{2})?\b|\b\d{1,2}[.:]\d{2}\b|\b\d{1,2}\s*(?:am|pm)\b"
#: A question for a place ("Var hålls rådsmötet?", "Where is the conference held?"), not "var" as "was".
ASKS_PLACE = (r"^\s*var\s+(?:hålls|halls|ska|skall|äger|sker|ligger|finns|träffas|möts|arrangeras)\b|\bvar\s+och\s+när\b"
              r"|\bvar\s+någonstans\b|\bvilken\s+(?:ort|stad|lokal|plats)\b"
              r"|^\s*where\s+(?:is|are|will|does|do|was|were|can)\b|\bin\s+which\s+(?:city|town|place|venue)\b")
#: A place: "i Uppsala", "på Karolinska", "vid Socialstyrelsen", "digitalt", "på rådets webbplats", "online".
PLACE = (r"\b(?:i|på|vid|in|at)\s+(?:[A-ZÅÄÖ][\wåäö-]+|rådets\s+webbplats|webbplatsen)|\bdigital(?:t|a)?\b"
         r"|\bonline\b|\bvia\s+(?:Teams|Zoom|länk)\b|\b[Ll]okal(?:en)?:|\b[Pp]lats(?:en)?:")
#: A question for a web address ("Vilken webbadress har rådet?", "länk till …").
ASKS_URL = r"\bwebbadress\w*|\bwebbsida\w*\s+adress|\burl\b|\blänk(?:en)?\s+till\b|\b(?:web\s*)?address\s+of\s+the\s+website|\bweb\s+address|\blink\s+to\b"
#: A web address ("https://…", "www.…", "vimeo.com/…").
URL = r"\bhttps?://\S+|\bwww\.\S+|\b[\w-]+\.(?:se|com|org|nu|eu|net)(?:/\S*)?\b"
#: A question for a registration number ("Vilket diarienummer har beslutet?").
ASKS_REFERENCE = r"\bdiarienummer\w*|\bdnr\b|\bärendenummer\w*|\b(?:reference|case|registration|file)\s+number\b"
#: A registration number: a government "S2026/03117", "Dnr 2026/1234", "SOS 2025-4711".
REFERENCE = r"\b[A-ZÅÄÖ]{1,4}\s?\d{4}/\d{2,6}(?:/\w+)?\b|\bdnr\.?:?\s*[\w./-]*\d[\w./-]*"
ASKS_EMAIL = r"\be-?post(?:adress)?\w*|\bmejl\w*|\be-?mail\w*"
ASKS_PHONE = r"\btelefon\w*|\bphone\b|\bphone\s+number|\bnummer\s+till\b"
#: A span of time: a number (or number word) with a unit ("två år", "3 månader").
DURATION = (r"\b(?:\d+|ett|en|två|tre|fyra|fem|sex|sju|åtta|nio|tio|one|two|three|four|five|six)\s+"
            r"(?:år|månad(?:er)?|veck(?:a|or)|dag(?:ar)?|timm(?:e|ar)|years?|months?|weeks?|days?|hours?)\b")
EMAIL = r"[\w.+-]+@[\w-]+\.[\w.]+"
PHONE = r"(?:\+46|0)\d[\d\s-]{5,}\d"
#: A day of a month ("1 januari 2020", "31 maj") or an ISO date.
DAY_OF_MONTH = (r"\b\d{1,2}\s+(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
                r"|january|february|march|may|june|july|august|october)\b|\b20\d\d-\d\d-\d\d\b")
#: A number written as digits or as a word, or a share in words ("var fjärde", "hälften", "en tredjedel").
NUMBER = (r"\b\d+(?:[.,]\d+)?\b|\b(?:två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tjugo|hundra|tusen"
          r"|miljon(?:er)?|miljard(?:er)?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty"
          r"|hundred|thousand|million|billion|hälften|half)\b"
          r"|\bvar\s+(?:annan|tredje|fjärde|femte|sjätte|sjunde|åttonde|nionde|tionde)\b"
          r"|\b(?:en|två|tre)\s+(?:tredje|fjärde|femte|tionde)del(?:ar)?\b")


# -- questions made of two questions ("Vem är kontakt för X, och när ska Södra …?") ------------------
#: The start of a second question inside one: a conjunction followed by an interrogative.
SECOND_QUESTION = (r"(?:,\s*|\s+)(?:och|samt|men|and|but)\s+(?=(?:(?:i|på|för|under|till|in|on|at|for|by|to)\s+)?"
                   r"(?:när|nar|vem|vilka|vilken|vilket|hur|var|vad|varför|when|who|which|how|where|what|why)\b)|[;?]\s+(?=\w)")


# -- questions on follow-up statuses ("Vilka aktiviteter i Södra är försenade?") ----------------------
def status_question_phrases() -> dict:
    """The phrase lists of ``lang/data/status_questions.json`` (status words, "återstår", "i år" …), folded
    (lower case, å/ä/ö as a/a/o), as :mod:`assistant.followup.status_questions` matches them."""
    return _status_question_phrases()


def folded_phrase_pattern(phrases) -> re.Pattern:
    """Any of the (folded) phrases as whole words, longest first."""
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


@functools.lru_cache(maxsize=1)
def _status_question_phrases() -> dict:
    raw = json.loads(resources.files("assistant.lang").joinpath("data/status_questions.json").read_text(encoding="utf-8"))
    folded: dict = {}
    for key, value in raw.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict):
            folded[key] = {name: tuple(fold(p) for p in phrases) for name, phrases in value.items()}
        else:
            folded[key] = tuple(fold(p) for p in value)
    return folded


# -- intent: what kind of answer a question wants (answer/question.py) ----------------------------
#: Checked in order; the first match wins. "Vem/who" outranks "följs upp" ("Vem ansvarar för att följa upp …").
INTENT_QUESTIONS: list[tuple[str, str]] = [
    ("contact", r"kontakt|\bcontact"
                r"|\b(?:vem|vilka)\s+(?:kan|ska|bör|skall)\s+(?:jag|man|vi)\s+(?:fråga|prata\s+med|ringa|mejla|vända|höra)"
                r"|\bvänd(?:a|er)\s+(?:mig|sig|oss|man)\s+till\b|\bhöra\s+av\s+(?:mig|sig|oss)\b"
                r"|\bwho\s+(?:can|should|do)\s+(?:i|we|you)\s+(?:ask|talk\s+to|call|email|turn\s+to)\b"),
    ("owner", r"\bvem\b|\bvilka\s+(?:ansvarar|äger|genomför)|\bwho\b"),
    ("goal", r"\bmål(?:et)?\s+med\b|\bsyftet?\s+med\b|\bvad\s+vill\s+(?:\S+\s+){1,3}?(?:uppnå|åstadkomma|få\s+ut)\b"
             r"|\b(?:goal|aim|purpose)\s+of\b|\bwhat\s+(?:does|do)\s+.*\b(?:want\s+to\s+achieve|hope\s+to\s+gain)\b"),
    ("measure", r"\bhur\s+vet\s+(?:man|vi|rådet)\b|\bräknas\s+som\s+genomförd|\bhow\s+do\s+(?:we|you|they)\s+know\b"
                r"|\bmått(?:et)?\b|\bmäts\b|\bmeasured?\b|hur\s+följs\b|how\s+(?:is|are|will)\b.*\bfollowed up"),
    ("followup", rf"{follow_up_verb(10)}|uppfölj|\bstäm(?:ma|s|mer)\s+(?:\S+\s+){{0,3}}?av\b|\bavstämning|follow(?:ed)?[- ]?up|evaluat"),
    ("owner", r"ansvar|genomför|\bowns?\b|responsib|in charge|carries? (?:it )?out"),
    ("time", rf"{WHEN}|{ENGLISH_WHEN}|{ASKS_TIME_PHRASE}|tidplan|tidpunkt|kvartal|datum|vilket år|deadline|timeline"),
    ("content", r"\bvad\s+(?:ska|skall)\s+(?:\S+\s+){0,4}?(?:göra|göras)\b|\bvad\s+(?:planerar|innebär|görs)\b"
                r"|\bvad\s+handlar\s+aktiviteten\b|\bwhat\s+(?:will|does|do)\b.*\b(?:do|involve)\b|\bwhat\s+is\s+planned\b"),
    ("list", r"\bvilka\b|\blista\b|räkna upp|hur många|\bwhich\b|\blist\b|how many|name the|\bwhat\s+are\b"),
]
#: A question comparing councils or documents.
CROSS_QUESTION = r"skiljer|jämför|skillnad|\bbåda\b|\bbåde\b|respektive|differ|compare|difference|\bboth\b|\beach\b"
#: A number of items asked for ("vilka fem områden").
COUNT_WORD = r"\b(två|tre|fyra|fem|sex|sju|åtta|nio|tio|two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\b"
#: How a follow-up turn opens ("Och i Mellansverige?", "What about …").
FOLLOW_UP_OPENING = r"^\s*(och|men|samt|än|då|and|what about|how about|hur är det|gäller det|också)\b"
#: A word referring back to what the previous answer was about.
REFERRING_WORD = r"\b(det|den|dessa|denna|detta|de|dem|it|that|this|those|they|them)\b"


# -- typed forms the documents write otherwise (answer/understand.py) ------------------------------
#: "ar" typed for "år" after a number ("hur manga ar sitter de", "2 ar"), not for "är" ("hur många är de").
YEARS_TYPED_AFTER_NUMBER = (r"\b(många|manga|\d+|två|tva|tre|fyra|fem|sex|sju|åtta|atta|nio|tio|per|varje|flera)\s+ar\b"
                            r"(?!\s+(?:de|det|dem|dom|ni|vi|där|dar|kvar|alla)\b)")
#: "paragraf 17 a" / "section 17" before a number: the documents write "§ 17 a".
PARAGRAPH_WORD = r"\b(?:paragraf(?:en)?|section)\s+(?=\d)"


# -- evidence (answer/evidence.py) -----------------------------------------------------------------
#: A word right after an infinitive marker or a modal verb is a verb ("… att klargöra", "ska tydliggöra").
AFTER_INFINITIVE_MARKER = r"\b(?:att|ska|skall|kan|kunna|vill|bör|måste|får|behöver)\s+([a-zåäö]+)"
#: A Swedish verb form in the past or the passive ("startade", "skickades", "beaktas").
PAST_OR_PASSIVE_ENDING = r"(?:ade|ades|ats|des|tes|as)$"
#: An English count question and the noun it counts ("how many midwives").
HOW_MANY_ENGLISH = r"\bhow\s+many\s+([a-z]{3,})"
#: A field label opening a unit ("Aktivitet: …", "Uppföljning - mått: …").
LEADING_LABEL = r"^\s*[\w ()/–-]{1,40}:\s+"
#: A lead-in without a colon that a bulleted list continues ("Socialstyrelsen föreslår att" / "- …").
OPEN_LEAD_IN = r"\b(?:att|följande|bland\s+annat|bl\.\s?a\.|nämligen|genom)\s*$"
#: A named item opens with its noun, then a number or a name ("Målområde 2: …", "Arbetsgrupp Klinisk forskning").
NAMED_ITEM = r"^[\wåäöÅÄÖ-]+\s+(?:\d{1,2}\b|[IVX]{1,4}\b|[A-ZÅÄÖ])"


# -- questions over the activity records (answer/aggregate.py) ------------------------------------
#: What a council plans or does in a period ("Vad planerar Södra för Q4 2026?", "What does Södra plan for Q3?").
PLANNED_QUESTION = (r"\bplanera[rst]?\b|\bplanerat\b|\bska\s+(?:\w+\s+){0,2}göra\b|\bgör\b|\bhänder\b"
                    r"|\bplans?\b|\bplanned\b|\bdo(?:es)?\b.*\bdo\b|\bhappens?\b|\bon\s+the\s+agenda\b")
#: "Vilka arbetsgrupper …", "which goals …": a question for things other than the activities.
WHICH_THING = r"\b(?:vilka|vilken|vilket|which)\s+(?!av\b|of\b|aktivitet|activit)[\wåäö]+"
