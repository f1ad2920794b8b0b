"""The English → Swedish glossary: phrases found in their inflected forms, longest first."""

from __future__ import annotations

from assistant.lang.glossary import expand_query, glossary, glossary_matches, without_glossary_phrases


def test_inflected_english_forms_match_their_glossary_phrase():
    phrases = [phrase for phrase, _, _ in glossary_matches("Who plans and organises its work? And the interim reports?")]
    assert phrases == ["plan and organise", "interim report"]


def test_the_phrase_as_typed_wins_when_the_glossary_has_several_forms():
    assert [p for p, _, _ in glossary_matches("the council")] == ["council"]
    assert [p for p, _, _ in glossary_matches("the councils")] == ["councils"]


def test_longest_phrase_first_and_no_overlap():
    phrases = [p for p, _, _ in glossary_matches("who is the contact person for the supervisor training")]
    assert phrases == ["contact person", "supervisor training"]


def test_expansion_and_blanking_use_the_same_matches():
    expanded = expand_query("Who is in charge of the follow-up of the workshops?")
    for phrase in ("in charge", "follow-up", "workshop"):
        assert all(term in expanded for term in glossary()[phrase])
    assert "workshops" not in without_glossary_phrases("Who runs the workshops?")
