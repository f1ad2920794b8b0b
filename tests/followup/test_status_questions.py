"""Chat questions on follow-up statuses (assistant.followup.status_questions), answered from the entries.

Entries are recorded in a real database (SQLite and PostgreSQL through ``backend_repo``) over the plans
read straight from the corpus; every listed activity must be cited to its record in the plan with a
verified quote, and carry the entry's status, date and author.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant.answer.citations import verify_quote
from assistant.followup import FollowupTracker
from assistant.followup.status_questions import parse_status_question, status_reply
from followup.helpers import KNOWN, MELLAN, SODRA

ON = date(2026, 12, 1)
EVAL_DIR = Path(__file__).resolve().parents[2] / "eval"


@pytest.mark.parametrize("question, kind, councils, status, period", [
    ("Vilka aktiviteter i Södra är försenade?", "status", [SODRA], "Försenad", ""),
    ("vilka aktiviteter i sodra ar forsenade", "status", [SODRA], "Försenad", ""),
    ("Vilka av Södras aktiviteter är inte påbörjade?", "status", [SODRA], "Ej påbörjad", ""),
    ("Vilka aktiviteter är klara i Mellansverige?", "status", [MELLAN], "Klar", ""),
    ("Vad återstår för Mellansverige i år?", "remaining", [MELLAN], "", "2026"),
    ("vad aterstar for mellansverige i ar", "remaining", [MELLAN], "", "2026"),
    ("Vilka aktiviteter i Södra är förfallna?", "overdue", [SODRA], "", ""),
    ("Vad är status för Södras aktiviteter Q3 2026?", "status", [SODRA], "", "Q3 2026"),
])
def test_questions_are_read(question, kind, councils, status, period):
    parsed = parse_status_question(question, KNOWN, today=ON)
    assert parsed is not None and (parsed.kind, parsed.councils, parsed.status, parsed.period) == \
        (kind, councils, status, period)


@pytest.mark.parametrize("question, topic, roots", [
    ("Vad är status för handledarfrågan?", "handledarfrågan", ("handledar",)),
    ("vad ar status for handledarfragan", "handledarfragan", ("handledar",)),
    ("Hur går det med VFU-arbetet i Södra?", "VFU-arbetet", ("vfu",)),
])
def test_topics_are_read(question, topic, roots):
    parsed = parse_status_question(question, KNOWN, today=ON)
    assert parsed.kind == "topic" and parsed.topic == topic
    assert all(any(root.startswith(r) for r in parsed.topic_roots) for root in roots)


def test_plan_questions_and_english_are_left_to_the_answer_engine():
    for question in ("Vilka av Södras aktiviteter pågår hela året?", "Vem ansvarar för VFU-arbetet i Södra?",
                     "När följs aktiviteterna upp i Södra?", "Which activities in Södra are delayed?",
                     "Sammanfatta uppföljningen för Södra", ""):
        assert parse_status_question(question, KNOWN, today=ON) is None, question
    routed = []
    for path in sorted(EVAL_DIR.glob("questions*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            for text in [item["question"], *item.get("history", [])]:
                if parse_status_question(text, KNOWN, today=ON) is not None:
                    routed.append(text)
    assert not routed, f"evaluation questions on the plans must not be routed as status questions: {routed}"


@pytest.fixture
def recorded(backend_repo, corpus_view):
    tracker = FollowupTracker(backend_repo, corpus_view, user="anna")
    sodra = tracker.list_status(council="Södra")
    tracker.set_status(sodra[0].record_id, "Klar", comment="Tre exempel presenterade", entry_date="2026-10-05")
    tracker.set_status(sodra[1].record_id, "Försenad", comment="Väntar på underlag", entry_date="2026-11-02",
                       recorded_by="bertil")
    mellan = tracker.list_status(council="Mellansverige", period="2026")
    tracker.set_status(mellan[0].record_id, "Klar", entry_date="2026-06-01")
    return tracker, sodra, mellan


def _cited_lines(answer):
    return [line for line in answer.answer.splitlines() if line.startswith("- ")]


def test_delayed_in_sodra(recorded, corpus_view):
    tracker, sodra, _ = recorded
    answer = status_reply(tracker, corpus_view, "Vilka aktiviteter i Södra är försenade?", on=ON)
    assert not answer.abstained and answer.plan == "followup"
    assert answer.answer.splitlines()[0].endswith("1 av 8.")
    (line,) = _cited_lines(answer)
    assert sodra[1].activity in line and "Försenad" in line and "2026-11-02" in line and "bertil" in line
    assert "Väntar på underlag" in line and "[1]" in line
    (citation,) = answer.citations
    assert citation.source == sodra[1].source and citation.quote == sodra[1].activity
    assert verify_quote(corpus_view, citation)
    typed = status_reply(tracker, corpus_view, "vilka aktiviteter i sodra ar forsenade", on=ON)
    assert typed.answer == answer.answer


def test_status_of_a_topic(recorded, corpus_view):
    tracker, sodra, _ = recorded
    answer = status_reply(tracker, corpus_view, "Vad är status för handledarfrågan?", on=ON)
    lines = _cited_lines(answer)
    ours = next(line for line in lines if sodra[1].activity in line)
    assert "Försenad" in ours and "2026-11-02" in ours and "bertil" in ours
    assert all("[" in line for line in lines) and len(answer.citations) == len(lines)
    assert all(verify_quote(corpus_view, c) for c in answer.citations)
    assert "handledarkompetens" in sodra[1].activity
    nothing = status_reply(tracker, corpus_view, "Vad är status för ubåtsfrågan?", on=ON)
    assert "Ingen aktivitet" in nothing.answer and "ubåtsfrågan" in nothing.answer and not nothing.citations


def test_what_remains_this_year(recorded, corpus_view):
    tracker, _, mellan = recorded
    answer = status_reply(tracker, corpus_view, "Vad återstår för Mellansverige i år?", on=ON)
    assert answer.answer.splitlines()[0].endswith(f"{len(mellan) - 1} av {len(mellan)}.")
    assert mellan[0].activity not in answer.answer  # Klar: nothing remains of it
    assert "ingen status registrerad" in answer.answer
    assert status_reply(tracker, corpus_view, "vad aterstar for mellansverige i ar", on=ON).answer == answer.answer


def test_overdue_uses_the_due_rule(recorded, corpus_view):
    tracker, sodra, _ = recorded
    answer = status_reply(tracker, corpus_view, "Vilka aktiviteter i Södra är förfallna?", on=ON)
    due = tracker.due(on=ON, council="Södra")
    assert answer.answer.splitlines()[0].endswith(f"{len(due)} av 8.")
    assert all(row.activity in answer.answer for row in due) and sodra[0].activity not in answer.answer


def test_council_filter_and_no_database(recorded, corpus_view):
    tracker, sodra, _ = recorded
    filtered = status_reply(tracker, corpus_view, "Vilka aktiviteter är försenade?", on=ON, councils=["sodra"])
    assert sodra[1].activity in filtered.answer and SODRA in filtered.answer
    none = status_reply(None, corpus_view, "Vilka aktiviteter i Södra är försenade?", on=ON)
    assert "Inga statusar är registrerade" in none.answer and not none.citations
    assert status_reply(None, corpus_view, "Vem ansvarar för VFU-arbetet i Södra?", on=ON) is None


def test_the_database_is_opened_only_for_status_questions(recorded, corpus_view):
    tracker, sodra, _ = recorded
    calls = []

    def open_tracker():
        calls.append(1)
        return tracker

    assert status_reply(open_tracker, corpus_view, "Vem ansvarar för VFU-arbetet i Södra?", on=ON) is None
    assert not calls
    answer = status_reply(open_tracker, corpus_view, "Vilka aktiviteter i Södra är försenade?", on=ON)
    assert calls == [1] and sodra[1].activity in answer.answer
