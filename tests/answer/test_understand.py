"""Understanding a question: the context rules that put what users type into the documents' words."""

from __future__ import annotations

from assistant.answer.understand import paragraph_signs, years_after_number


def test_ar_after_a_number_is_years_but_not_before_a_pronoun():
    assert years_after_number("hur manga ar sitter ordforande") == "hur manga år sitter ordforande"
    assert years_after_number("antalet per ar") == "antalet per år"
    assert years_after_number("i 2 ar") == "i 2 år"
    assert years_after_number("hur manga ar de") == "hur manga ar de"  # "hur många är de"
    assert years_after_number("vilka ar kontaktpersoner") == "vilka ar kontaktpersoner"  # "vilka är …"


def test_paragraph_is_the_documents_section_sign():
    assert paragraph_signs("Vad ska rådet bidra med enligt paragraf 17 a?") == "Vad ska rådet bidra med enligt § 17 a?"
    assert paragraph_signs("vad säger paragrafen om rådet") == "vad säger paragrafen om rådet"
