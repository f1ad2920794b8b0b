"""Query repair: words typed without å/ä/ö or with small slips are put into the documents' spelling."""

from __future__ import annotations

from assistant.lang.spelling import Lexicon, SpellingSettings, Vocabulary, fold, repair, repair_opening

TEXTS = [
    "Kontaktperson för språkkraven i RVKR Mellansverige är Anna.",
    "Rådet ansvarar för att aktiviteterna genomförs. Ansvar och ansvarig anges i tabellen.",
    "När ska workshoppen hållas? Den hålls i Södra under Q3 2026.",
    "Mellansverige Mellansverige Mellansverige år är är",
]


def vocabulary() -> Vocabulary:
    return Vocabulary.from_texts(TEXTS)


def test_fold_lowercases_and_drops_diacritics():
    assert fold("Språkkraven") == "sprakkraven"
    assert fold("SÖDRA") == "sodra"
    assert fold("café") == "cafe"


def test_words_typed_without_diacritics_get_the_documents_spelling():
    words = vocabulary()
    assert words.correct("sprakkraven") == "språkkraven"
    assert words.correct("nar") == "när"
    assert words.correct("sodra") == "södra"
    assert words.correct("hallas") == "hållas"


def test_a_correctly_typed_word_is_kept_even_when_another_spelling_folds_the_same():
    words = vocabulary()
    assert words.correct("år") == "år"  # "år" and "är" both fold to "ar"
    assert words.correct("ar") == "är"  # typed without diacritics: the more frequent spelling


def test_one_slip_in_a_long_word_is_corrected_to_a_document_word():
    words = vocabulary()
    assert words.correct("ansvarr") == "ansvar"      # doubled letter
    assert words.correct("mellansverge") == "mellansverige"  # dropped letter
    assert words.correct("ansvraig") == "ansvarig"   # swapped letters
    assert words.correct("genomfors") == "genomförs"


def test_short_or_unknown_words_are_left_alone():
    words = vocabulary()
    assert words.correct("kat") is None                # short: only folding, no edit distance
    assert words.correct("budgeten") is None            # no document word within one edit
    assert words.correct("2026") == "2026"


def test_two_edits_only_for_long_words():
    words = Vocabulary.from_texts(["kontaktpersonerna finns"])
    assert words.correct("kontaktpersonrna") == "kontaktpersonerna"  # one edit
    assert words.correct("kontaktpersnrna") == "kontaktpersonerna"   # two edits in a long word
    assert words.correct("kontaktpersnrna", SpellingSettings(one_edit_max_length=30)) is None


def test_repair_keeps_case_punctuation_and_kept_words():
    words = vocabulary()
    assert repair("Vem ar kontakt for sprakkraven i mellansverge?", words) == \
        "Vem är kontakt för språkkraven i mellansverige?"
    assert repair("Nar ska workshoppen hallas", words) == "När ska workshoppen hållas"
    assert repair("vem ar det", words, keep=frozenset({"ar"})) == "vem ar det"


def test_a_key_pressed_twice_is_undone_also_in_short_words():
    words = Vocabulary.from_texts(["VFU och AT ingår i planen"])
    assert words.correct("vffu") == "vfu"
    assert words.correct("vfuu") == "vfu"
    assert words.correct("vfu") == "vfu"


def test_a_compound_the_documents_lack_is_put_together_from_two_parts_they_use():
    words = Vocabulary.from_texts(["Tandvård och frågor om tandvården. Frågor om språk."], stemmer=lambda w: w[:-2] if len(w) > 6 else w)
    assert words.correct("tandvardsfragor") == "tandvårdsfrågor"
    assert words.correct("sprakfragor") == "språkfrågor"
    assert words.correct("tandvardsbudget") is None  # "budget" is no document word


def test_a_question_typed_without_any_diacritics_takes_the_documents_spelling_of_real_words():
    words = Vocabulary.from_texts(["Stärkt handledarutbildning. Stärkt samverkan."], frequency=lambda w: 4.0)
    # "starkt" is a real word: typed among words with diacritics it is meant as written …
    assert repair("Är det starkt", words) == "Är det starkt"
    # … in a question typed without any å/ä/ö it is the documents' "stärkt"
    assert repair("nar kommer starkt handledarutbildning", words) == "nar kommer stärkt handledarutbildning"


def test_a_slip_in_the_opening_question_word_is_repaired():
    question_words = frozenset({"vem", "vilka", "vilken", "vilket", "hur", "var", "vad", "när"})
    assert repair_opening("vila ar kontakterna", question_words) == "vilka ar kontakterna"
    assert repair_opening("Viken skrivelse", question_words) == "Vilken skrivelse"
    assert repair_opening("har rådet mål", question_words) == "har rådet mål"  # a common opener, not a slip
    assert repair_opening("vilka är", question_words) == "vilka är"
    assert repair_opening("jag vila", question_words) == "jag vila"


def _lexicon_vocabulary() -> Vocabulary:
    # a toy language: its common words with made-up Zipf frequencies ("upsala" is a rare real word)
    frequency = {"träffas": 4.5, "senast": 4.8, "göras": 4.6, "grunda": 3.6, "gruda": 2.2, "uppsala": 5.0, "upsala": 3.1}
    zipf = lambda word: frequency.get(word, 0.0)  # noqa: E731
    counts = Vocabulary.from_texts(TEXTS + ["Region Uppsala"]).counts
    return Vocabulary(counts, None, zipf, Lexicon([w for w in frequency if w != "upsala"], zipf))


def test_a_word_the_documents_lack_takes_the_languages_spelling_with_diacritics():
    words = _lexicon_vocabulary()
    assert words.correct("traffas") == "träffas"


def test_a_slip_in_a_common_word_the_documents_lack_is_corrected_against_the_language():
    words = _lexicon_vocabulary()
    assert words.correct("sennast") == "senast"   # doubled letter
    assert words.correct("groas") == "göras"      # swapped letters, without ö
    assert words.correct("gruda") == "grunda"     # a rare word itself is not what was meant


def test_a_rare_real_word_one_slip_from_a_far_more_common_document_word_takes_the_document_word():
    words = _lexicon_vocabulary()
    assert words.correct("upsala") == "uppsala"


def test_lexicon_nearest_prefers_the_most_common_word_and_never_the_typed_one():
    frequency = {"stora": 6.0, "sorg": 4.0, "sora": 1.0}
    lexicon = Lexicon(list(frequency), lambda word: frequency.get(word, 0.0))
    assert lexicon.nearest("sora") == "stora"
    assert lexicon.nearest("xyzxyz") == ""
    assert lexicon.spelling("traffas") == ""


def test_aa_typed_for_a_ring_and_a_compound_whose_second_part_takes_the_languages_spelling():
    words = Vocabulary.from_texts(["Tandvårdens skrivelse. Uppföljning – mått."])
    assert words.correct("tandvaardens") == "tandvårdens"
    frequency = {"måttet": 3.6}
    with_lexicon = Vocabulary(words.counts, None, lambda w: frequency.get(w, 0.0),
                              Lexicon(list(frequency), lambda w: frequency.get(w, 0.0)))
    assert with_lexicon.correct("uppfoljningsmattet") == "uppföljningsmåttet"


def test_a_short_word_with_swapped_letters_takes_the_documents_word():
    words = Vocabulary.from_texts(["NVKR och RVKR samverkar. NVKR NVKR"])
    assert words.correct("nvrk") == "nvkr"
    assert words.correct("xqzt") is None  # no document word one swap or one doubled letter away


def test_a_rare_short_word_one_slip_from_a_far_more_common_one_is_corrected_but_not_a_common_one():
    frequency = {"which": 6.5, "wich": 2.8, "from": 6.9, "form": 5.0}
    zipf = lambda word: frequency.get(word, 0.0)  # noqa: E731
    english = SpellingSettings(known_word_zipf=2.0)  # as for English questions
    words = Vocabulary(Vocabulary.from_texts(["which from form"]).counts, None, zipf)
    assert words.correct("wich", english) == "which"   # gain 3.7: a known misspelling
    assert words.correct("form", english) == "form"    # a word the vocabulary has is never changed
    only_from = Vocabulary(Vocabulary.from_texts(["from"]).counts, None, zipf)
    assert only_from.correct("form", english) is None  # gain 1.9 < 3 for a short word


def test_a_typed_inflection_holding_the_whole_stem_is_not_lengthened():
    from assistant.lang.spelling import Vocabulary
    from assistant.lang.tokens import stem

    vocabulary = Vocabulary.from_texts(["inriktning och inriktningar"], stem)
    assert vocabulary.correct("inrikta") in (None, "inrikta")  # not "inriktta"
