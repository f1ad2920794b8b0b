"""Conversations, messages and feedback in the application database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from assistant.db import (
    InvalidConversationError,
    InvalidFeedbackError,
    UnknownConversationError,
)
from assistant.db.database import downgrade, upgrade

ANNA, BERIT = "user:anna", "browser:0123456789abcdef"
CITATION = {"n": 1, "source": "plan.txt", "title": "Plan för Södra", "section": "VFU", "lines": [3, 4],
            "quote": "Rådet ansvarar för VFU."}


def _turn(repo, conversation_id, owner=ANNA, question="Vem ansvarar för VFU?", answer="Rådet [1]."):
    return repo.add_messages(conversation_id, owner, [
        {"role": "user", "content": question, "display": f"<p>{question}</p>"},
        {"role": "assistant", "kind": "answer", "content": answer, "display": "<div>svar</div>",
         "citations": [CITATION], "build_id": "build-1"},
    ])


def test_conversation_round_trip(repo):
    conversation = repo.create_conversation(ANNA, "  Vem ansvarar\nför VFU?  ")
    assert conversation.title == "Vem ansvarar för VFU?"
    stored = _turn(repo, conversation.id)
    assert [m.position for m in stored] == [0, 1]
    more = _turn(repo, conversation.id, question="Och i Mellansverige?", answer="Det framgår inte av dokumenten.")
    assert [m.position for m in more] == [2, 3]
    messages = repo.conversation_messages(conversation.id, ANNA)
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[1].citations == [CITATION] and messages[1].build_id == "build-1" and messages[1].in_history
    assert messages[2].content == "Och i Mellansverige?"
    assert repo.get_conversation(conversation.id, ANNA).title == "Vem ansvarar för VFU?"


def test_each_owner_sees_only_their_own(repo):
    mine = repo.create_conversation(ANNA, "Min")
    theirs = repo.create_conversation(BERIT, "Deras")
    assert [c.id for c in repo.list_conversations(ANNA)] == [mine.id]
    assert [c.id for c in repo.list_conversations(BERIT)] == [theirs.id]
    assert repo.get_conversation(theirs.id, ANNA) is None
    for action in (lambda: repo.conversation_messages(theirs.id, ANNA),
                   lambda: repo.rename_conversation(theirs.id, ANNA, "Kapad"),
                   lambda: repo.delete_conversation(theirs.id, ANNA),
                   lambda: _turn(repo, theirs.id, owner=ANNA)):
        with pytest.raises(UnknownConversationError):
            action()
    assert repo.get_conversation(theirs.id, BERIT).title == "Deras"
    assert repo.conversation_messages(theirs.id, BERIT) == []


def test_most_recently_used_first(repo):
    first = repo.create_conversation(ANNA, "Första")
    second = repo.create_conversation(ANNA, "Andra")
    assert [c.title for c in repo.list_conversations(ANNA)] == ["Andra", "Första"]
    _turn(repo, first.id)
    assert [c.id for c in repo.list_conversations(ANNA)] == [first.id, second.id]


def test_rename_and_delete(repo):
    conversation = repo.create_conversation(ANNA, "Gammalt namn")
    _turn(repo, conversation.id)
    assert repo.rename_conversation(conversation.id, ANNA, "Nytt namn").title == "Nytt namn"
    with pytest.raises(InvalidConversationError):
        repo.rename_conversation(conversation.id, ANNA, "   ")
    assert repo.rename_conversation(conversation.id, ANNA, "x" * 500).title.endswith("…")
    repo.delete_conversation(conversation.id, ANNA)
    assert repo.list_conversations(ANNA) == []
    with pytest.raises(UnknownConversationError):
        repo.conversation_messages(conversation.id, ANNA)


def test_invalid_messages_are_refused_and_nothing_is_written(repo):
    conversation = repo.create_conversation(ANNA, "T")
    with pytest.raises(InvalidConversationError):
        repo.add_messages(conversation.id, ANNA, [{"role": "user", "content": "a"}, {"role": "system", "content": "b"}])
    assert repo.conversation_messages(conversation.id, ANNA) == []
    with pytest.raises(InvalidConversationError):
        repo.create_conversation("", "Utan ägare")


def test_feedback_is_stored_with_its_answer(repo):
    conversation = repo.create_conversation(ANNA, "T")
    answer = _turn(repo, conversation.id)[1]
    feedback = repo.set_feedback(ANNA, "down", question="Vem ansvarar för VFU?", answer=answer.content,
                                 citations=answer.citations, build_id=answer.build_id,
                                 conversation_id=conversation.id, message_id=answer.id)
    assert (feedback.rating, feedback.comment, feedback.citations, feedback.build_id) == ("down", "", [CITATION], "build-1")
    commented = repo.set_feedback_comment(feedback.id, ANNA, "  Fel råd  ")
    assert commented.comment == "Fel råd"
    # a second rating of the same answer replaces the first and keeps the comment
    again = repo.set_feedback(ANNA, True, question="Vem ansvarar för VFU?", answer=answer.content,
                              conversation_id=conversation.id, message_id=answer.id)
    assert again.id == feedback.id and again.rating == "up" and again.comment == "Fel råd"
    assert [f.id for f in repo.all_feedback()] == [feedback.id]
    assert repo.message_feedback(answer.id, ANNA).id == feedback.id and repo.message_feedback(answer.id, BERIT) is None
    exported = repo.all_feedback()[0].to_dict()
    assert exported["question"] == "Vem ansvarar för VFU?" and exported["citations"] == [CITATION]


def test_feedback_survives_deleting_its_conversation(repo):
    conversation = repo.create_conversation(ANNA, "T")
    answer = _turn(repo, conversation.id)[1]
    feedback = repo.set_feedback(ANNA, "up", question="q", answer=answer.content, conversation_id=conversation.id,
                                 message_id=answer.id)
    repo.delete_conversation(conversation.id, ANNA)
    (kept,) = repo.all_feedback()
    assert kept.id == feedback.id and kept.answer == "Rådet [1]."
    assert kept.conversation_id is None and kept.message_id is None


def test_feedback_validation_and_ownership(repo):
    with pytest.raises(InvalidFeedbackError):
        repo.set_feedback(ANNA, "kanske", question="q", answer="a")
    feedback = repo.set_feedback(ANNA, "up", question="q", answer="a")
    with pytest.raises(InvalidFeedbackError):
        repo.set_feedback_comment(feedback.id, BERIT, "inte min")
    with pytest.raises(InvalidFeedbackError):
        repo.set_feedback_comment(feedback.id, ANNA, "x" * 5000)
    repo.delete_feedback(feedback.id, ANNA)
    assert repo.all_feedback() == []


def test_rating_check_constraint_in_the_database(database):
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(text("INSERT INTO feedback (owner, rating, comment, question, answer, citations, build_id, "
                             "created_at, updated_at) VALUES ('o', 'meh', '', '', '', '[]', '', "
                             "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))


def test_downgrade_to_the_initial_schema_keeps_the_follow_up_tables(repo, database):
    repo.create_conversation(ANNA, "T")
    downgrade(database, "0001_initial")
    assert database.schema_revision() == "0001_initial"
    upgrade(database)
    assert repo.list_conversations(ANNA) == []
