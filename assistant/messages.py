"""Every text a user reads, in one place: the refusal phrase, answer-time messages, LLM notes.

Swedish by default, English when the question was asked in English (keys "sv" / "en").
"""

from __future__ import annotations

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
    "part_not_found": {"sv": "Det framgår inte av dokumenten: ”{part}”.", "en": "The documents do not say: “{part}”."},
    "missing_field": {"sv": "{refusal} ({what} anges inte för ”{activity}”.)",
                      "en": "{refusal} (No {what} is given for “{activity}”.)"},
}

# Notes added to an answer by the optional LLM backend.
LLM_NOTES = {
    "unavailable": {"sv": "LLM otillgänglig – svaret kommer från den inbyggda svarsmotorn.",
                    "en": "LLM unavailable – the answer comes from the built-in answer engine."},
    "unsupported": {"sv": "LLM-svaret kunde inte beläggas med källorna – svaret kommer från den inbyggda svarsmotorn.",
                    "en": "The LLM answer could not be backed by the sources – the answer comes from the built-in "
                          "answer engine."},
    "used": {"sv": "Svaret är formulerat av språkmodellen {model}; varje mening är kontrollerad mot de citerade källorna.",
             "en": "The answer was worded by the language model {model}; every sentence was checked against the "
                   "cited sources."},
    "dropped": {"sv": "{n} mening(ar) utan giltigt källstöd togs bort ur språkmodellens svar.",
                "en": "{n} sentence(s) without valid source support were removed from the model's answer."},
    "refused": {"sv": "Språkmodellen fann inte stöd för ett svar i källorna; de närmaste avsnitten visas.",
                "en": "The language model found no support for an answer in the sources; the closest passages are shown."},
}
