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
    # the first line of an English answer: the quotes that follow are the Swedish documents' own words
    "quoted_in_swedish": {"sv": "", "en": "According to the documents (quoted in Swedish):"},
    "part_not_found": {"sv": "Det framgår inte av dokumenten: ”{part}”.", "en": "The documents do not say: “{part}”."},
    "missing_field": {"sv": "{refusal} ({what} anges inte för ”{activity}”.)",
                      "en": "{refusal} (No {what} is given for “{activity}”.)"},
}

# Wrong input to the API (assistant.frontends.web.handlers), answered with the error payload before any work.
API_INPUT_ERRORS = {
    "question_type": "Frågan måste vara text (question: en sträng).",
    "history_type": "Historiken måste vara en lista med {{role, content}} eller JSON-text av en sådan lista (history).",
    "history_count": "Historiken har {n} meddelanden; högst {max} tas emot (history).",
    "history_chars": "Ett meddelande i historiken är för långt ({n} tecken, högst {max}) (history).",
    "filter_type": "Filtret {name} måste vara en lista med namn (eller JSON-text av en sådan lista).",
    "filter_count": "Filtret {name} har {n} värden; högst {max} tas emot.",
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

# The follow-up statuses as counted in a sentence: status → (one, several) ("6 av 8 klara, 1 försenad").
STATUS_FORMS = {
    "Ej påbörjad": ("ej påbörjad", "ej påbörjade"),
    "Pågår": ("pågår", "pågår"),
    "Klar": ("klar", "klara"),
    "Försenad": ("försenad", "försenade"),
    "Struken": ("struken", "strukna"),
}
# Texts of the follow-up workflow (the Uppföljning tab, the annual report, status questions in the chat).
FOLLOWUP_MESSAGES = {
    "no_database": "Inga statusar är registrerade ännu. Registrera dem under fliken Uppföljning eller med "
                   "”assistant followup set”.",
    "no_activities": "Inga aktiviteter i planerna matchar urvalet.",
    "no_entry": "ingen status registrerad",
    "no_topic": "Ingen aktivitet i planerna handlar om ”{topic}”.",
    "read_only": "Statusen sparades inte: att registrera statusar kräver en aktiv användare med rollen redaktör "
                 "eller administratör. Be en administratör om redigeringsrätt.",
    "choose_activity": "Välj en aktivitet i listan först.",
    "choose_status": "Välj en status.",
    "saved": "Status ”{status}” registrerad för ”{activity}” ({date}, {user}).",
    "nothing_due": "Inga förfallna aktiviteter per {date}.",
    "start": "Inga statusar är registrerade ännu. Klicka på Visa för att lista aktiviteterna och börja registrera.",
}

# Ingest: why a document was skipped (the ingest report, the upload answer), index repair and storage
# errors. A limit names the setting (ASSISTANT_<NAME>) that raises it.
INGEST_MESSAGES = {
    "file_unreadable": "Filen kunde inte läsas.",
    "file_empty": "Filen är tom.",
    "file_too_large": "Filen är för stor ({size} MB; gränsen är {limit} MB).",
    "no_chunks": "Inga textavsnitt hittades.",
    "read_failed": "Kunde inte läsas ({error}).",
    "too_many_pages": "PDF-filen har {pages} sidor; gränsen är {limit} sidor per dokument (inställningen max_pdf_pages).",
    "docx_unpacked_too_large": "DOCX-filen blir {size} MB uppackad; gränsen är {limit} MB "
                               "(inställningen max_docx_unpacked_bytes). Filen lästes inte.",
    "too_many_chars": "Dokumentet har mer än {limit} tecken text (inställningen max_document_chars).",
    "too_many_chunks": "Dokumentet ger {chunks} textavsnitt; gränsen är {limit} per dokument "
                       "(inställningen max_document_chunks).",
    "parse_timeout": "Läsningen av filen tog längre än {limit} s och avbröts (inställningen parse_timeout_s).",
    "parse_memory": "Läsningen av filen behövde mer än {limit} MB minne och avbröts (inställningen parse_memory_mb).",
    "parse_crashed": "Läsningen av filen avbröts oväntat ({code}).",
    "parser_unavailable": "Läsprocessen för PDF, DOCX och HTML kunde inte startas ({error}).",
    "repaired": "Indexet var skadat ({reason}) och byggdes om.",
    "storage_error": "Indexet kunde inte skrivas eller läsas i {path} ({error}). Kontrollera att mappen finns och "
                     "är skrivbar och att disken inte är full.",
    "vector_store_error": "Vektorlagret kunde inte skrivas ({error}). Kontrollera att indexmappen {path} är "
                          "skrivbar och att disken inte är full.",
}

# Gradio's own labels in the web app, in Swedish (gr.I18n in layout.launch; flat "section.key" ids as in
# Gradio's translation files). Gradio ships Swedish for most labels but not for these; they are given
# for the "sv" and "en" locales, so a browser set to English also gets a Swedish app.
GRADIO_LABELS = {
    "chatbot.copy_message": "Kopiera svaret som text",
    "chatbot.copied_message": "Kopierat",
    "chatbot.like": "Bra svar",
    "chatbot.dislike": "Dåligt svar",
    "chatbot.clear": "Rensa konversationen",
    "chatbot.retry": "Försök igen",
    "chatbot.undo": "Ångra",
    "chatbot.edit": "Redigera",
    "chatbot.submit": "Skicka",
    "chatbot.cancel": "Avbryt",
    "chatbot.complete": "Klar",
    "common.clear": "Rensa",
    "common.download": "Ladda ned",
    "common.loading": "Laddar",
    "common.error": "Fel",
    "common.edit": "Redigera",
    "common.remove": "Ta bort",
    "common.submit": "Skicka",
    "common.undo": "Ångra",
    "common.empty": "Tom",
    "common.settings": "Inställningar",
    "common.language": "Språk",
    "common.display_theme": "Tema",
    "common.built_with_gradio": "Byggt med Gradio",
    "common.built_with": "Byggt med",
    "common.share": "Dela",
    "common.or": "eller",
    "errors.use_via_api": "Använd via API",
    "file.uploading": "Laddar upp …",
    "upload_text.click_to_upload": "Klicka för att ladda upp",
    "upload_text.drop_file": "Släpp filen här",
    "dataframe.sort_column": "Sortera kolumnen",
    "dataframe.sort_ascending": "Sortera stigande",
    "dataframe.sort_descending": "Sortera fallande",
    "dataframe.clear_sort": "Ta bort sorteringen",
}

# Provenance of a cited document: shown next to a citation of an upload nobody has reviewed yet.
PROVENANCE_NOTES = {
    "unreviewed": {"sv": "ogranskad uppladdning", "en": "unreviewed upload"},
}
