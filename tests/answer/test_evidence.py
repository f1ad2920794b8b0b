"""Evidence scoring helpers against simple reference implementations (the fast paths must agree)."""

from __future__ import annotations

import random

from assistant.answer.evidence import IdfTable, _present, _same_word, adds_expected_information, asks_for, coverage
from assistant.lang.tokens import token_set


def _present_reference(group: frozenset[str], tokens: frozenset[str]) -> bool:
    """The definition: a term of the group, or another stem of the same word, is among the tokens."""
    return bool(group & tokens) or any(_same_word(term, token) for term in group for token in tokens)


def _random_stems(rng: random.Random, n: int) -> list[str]:
    roots = ["handledar", "kompetens", "utbildning", "vårdkompetens", "uppföljning", "samverk", "ansvar", "vfu"]
    out = []
    for _ in range(n):
        root = rng.choice(roots)
        out.append(root + "".join(rng.choice("aenrst") for _ in range(rng.randint(0, 8))))
        if rng.random() < 0.3:
            out[-1] = out[-1][: rng.randint(2, len(out[-1]))]
    return out


def test_present_agrees_with_the_definition():
    rng = random.Random(7)
    for _ in range(2000):
        tokens = frozenset(_random_stems(rng, rng.randint(0, 12)))
        group = frozenset(_random_stems(rng, rng.randint(1, 3)))
        assert _present(group, tokens) == _present_reference(group, tokens), (group, tokens)


def test_related_agrees_with_a_full_scan():
    rng = random.Random(11)
    table = IdfTable({token: 1.0 for token in _random_stems(rng, 300)})
    for term in _random_stems(rng, 300):
        expected = sorted(token for token in table if token != term and _same_word(term, token))
        assert sorted(set(table.related(term))) == expected, term


def test_coverage_weights_groups_by_idf_and_is_stable_across_calls():
    idf = IdfTable({"handled": 1.0, "vfu": 3.0, "ansvar": 0.5})
    terms = [frozenset({"vfu"}), frozenset({"handled"})]
    text = "VFU och annat"
    assert "vfu" in token_set(text)
    first = coverage(terms, text, idf)
    assert abs(first - 3.0 / 4.0) < 1e-9
    assert coverage(terms, text, idf) == first  # memoised weights give the same answer
    assert coverage([], text, idf) == 1.0


def test_a_sentence_states_the_count_a_question_asks_for():
    from assistant.answer.evidence import states_count

    question = "Hur många insatser innehåller planen?"
    assert states_count(question, "Planen innehåller 25 insatser som kommer att vara en utgångspunkt.")
    assert not states_count(question, "Planen gäller 2026 och har insatser inom fem områden.")  # five areas, not five insatser
    assert not states_count("Hur många av dem pågår hela året?", "Tre av dem pågår hela året.")  # counts nothing named


def test_a_text_names_a_contact_by_the_word_an_address_or_a_number():
    from assistant.answer.evidence import names_a_contact

    assert names_a_contact("För mer information, kontakta: Erik Holm, processledare")
    assert names_a_contact("Kontakt: Ingela och Anna")
    assert names_a_contact("Erik Holm, erik.holm@example.se")
    assert names_a_contact("Ring 070-123 45 67")
    assert not names_a_contact("Rådet startar hösten 2026 en satsning i Norrbotten och Västerbotten.")


def test_a_question_for_money_needs_an_amount_and_one_for_how_often_a_frequency():
    assert asks_for("Vilken budget har Södra för 2026?") == "amount"
    assert asks_for("Hur mycket pengar satsas på forskarskolorna?") == "amount"
    assert asks_for("Vem står för kostnaderna för resor?") != "amount"  # who pays: not a sum
    assert asks_for("Hur ofta träffas arbetsutskottet?") == "frequency"
    assert not adds_expected_information("Vilken budget har Södra?", "Rådet satsar på forskarskolor för sjuksköterskor.")
    assert adds_expected_information("Vilken budget har Södra?", "Budgeten för 2026 är 2 miljoner kronor.")
    assert adds_expected_information("Hur ofta träffas rådet?", "Rådet sammanträder fyra gånger årligen.")
    assert adds_expected_information("Hur ofta träffas arbetsutskottet?", "Mötesfrekvensen för arbetsutskottet följer antal rådsmöten.")
    assert not adds_expected_information("Hur ofta träffas rådet?", "Rådet består av fem ledamöter.")


def test_a_question_for_a_share_or_a_time_of_day_needs_one():
    assert asks_for("Hur stor andel av platserna går till kommunerna?") == "percent"
    assert adds_expected_information("Hur stor andel går till kommunerna?", "Hälften av platserna går till kommunerna.")
    assert not adds_expected_information("Hur stor andel går till kommunerna?", "Platserna fördelas mellan parterna.")
    assert asks_for("Vilken tid börjar mötet?") == "clock"
    assert adds_expected_information("Vilken tid börjar mötet?", "Mötet börjar kl. 9.30 i Lund.")
    assert not adds_expected_information("Vilken tid börjar mötet?", "Mötet hålls i mars 2026.")
    assert asks_for("Vilka år omfattar planen?") == "year"


def test_kinds_of_time_and_what_a_count_or_a_year_needs():
    assert asks_for("Vilken månad redovisar Södra sina insatser?") == "time"
    assert asks_for("För vilken period ska man beräkna hur många läkarstudenter som examineras?") == "time"
    # the year part of an SFS number is no year
    assert not adds_expected_information("Vilket år började det?", "Förordningen (2015:284) med instruktion.")
    assert adds_expected_information("Vilket år började det?", "Rådet inrättades den 1 januari 2020.")
    # the noun a count is about, also after a hyphenated first part and in English through the glossary
    assert not adds_expected_information("Hur många ST-tjänster behövs?", "Planen gäller 12 regioner.")
    assert adds_expected_information("Hur många ST-tjänster behövs?", "Det behövs 40 tjänster per år.")
    assert not adds_expected_information("How many midwives are needed?", "Uppdraget gäller 21 regioner.")
    assert adds_expected_information("How many midwives are needed?", "Det behövs 300 barnmorskor.")


def test_english_when_asks_only_as_a_question_word():
    assert asks_for("When is the final report due?") == "time"
    assert asks_for("Who owns it, and when?") == "time"
    assert asks_for("Which technology issues does Mellansverige raise when monitoring future competence?") != "time"


def _box(fields: dict[str, str]):
    from assistant.schema import Chunk

    text = "\n".join(f"{label}: {value}" for label, value in fields.items())
    return Chunk(chunk_id="b1", source="x.html", title="X", council="", section="Nytt utbildningsspår > Fakta",
                 line_start=1, line_end=len(fields), kind="activity", text=text, fields=fields)


def test_a_field_whose_label_the_question_names_is_about_its_box():
    from assistant.answer.evidence import unit_scoring_text
    from assistant.lang.tokens import stem

    box = _box({"Ansökan": "Senast den 15 november 2026", "Målgrupp": "Vårdbiträden"})
    terms = [frozenset({stem("ansöka")}), frozenset({stem("utbildningsspåret")})]
    scored = unit_scoring_text("Ansökan: Senast den 15 november 2026", box, terms)
    assert "Nytt utbildningsspår" in scored  # the label matches "ansöka": the box's subject counts too
    assert unit_scoring_text("Målgrupp: Vårdbiträden", box, terms) == "Målgrupp: Vårdbiträden"


def test_a_question_for_a_registration_number_needs_one():
    question = "Vilket diarienummer har regeringsbeslutet?"
    assert asks_for(question) == "reference"
    assert adds_expected_information(question, "Socialdepartementet 2026-05-21 S2026/03117")
    assert not adds_expected_information(question, "Regeringsbeslut 2026-05-21")


def test_a_question_for_a_web_address_needs_one():
    question = "Vilken webbadress har rådets webbplats?"
    assert asks_for(question) == "url"
    assert not adds_expected_information(question, "Verksamhetsplanen finns på rådets webbplats.")
    assert adds_expected_information(question, "Läs mer på www.vardkompetens.se/plan.")


def test_a_term_abbreviation_is_no_count():
    question = "Hur många platser hanterar verktyget?"
    assert not adds_expected_information(question, "Planeras presentation ht -26 av platser")


def test_antalet_inside_the_topic_does_not_ask_for_a_count():
    assert asks_for("Vem ansvarar för att öka antalet handledare i kommunerna?") != "count"
    assert asks_for("Vilket antal platser finns?") == "count"


def test_an_abbreviation_in_capitals_is_no_name():
    question = "Vilka personer ingår i arbetsgruppen?"
    assert not adds_expected_information(question, "Arbete med översyn av AT-föreskriften och ett PM")
    assert adds_expected_information(question, "I gruppen ingår bland andra Anna Letterstål.")


def test_a_word_the_documents_use_only_as_a_compound_head_reaches_the_compound():
    from assistant.answer.evidence import _compounds_ending_in

    idf = IdfTable({"placeringsverktyg": 2.0, "verktygslåda": 2.0, "plan": 1.0})
    assert _compounds_ending_in("verktyg", idf) == ["placeringsverktyg"]
    assert _compounds_ending_in("plan", idf) == []  # too short to stand for compounds


def test_a_question_for_a_place_needs_one():
    question = "Var hålls rådets fysiska möte?"
    assert asks_for(question) == "place"
    assert not adds_expected_information(question, "Rådet sammanträder fyra gånger årligen, där ett möte är fysiskt.")
    assert adds_expected_information(question, "Mötet hålls i Uppsala den 3 maj.")
    assert asks_for("Var det rådet som beslutade?") != "place"  # "var" as "was"


def test_a_swedish_title_that_only_repeats_an_english_question_adds_nothing():
    from assistant.answer.evidence import adds_words

    assert not adds_words("What does the clinical practice working group do?", "Arbetsgrupp klinisk praktik")
    assert adds_words("What does the clinical practice working group do?", "Fokus på gemensamma avtal inom en region")
