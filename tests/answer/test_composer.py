"""The composer's record lines (assistant.answer.composer): a field the question names by the plan's own label."""

from __future__ import annotations

from assistant.answer.composer import _field_named_by
from assistant.schema import ActivityRecord


def _record(**fields) -> ActivityRecord:
    base = dict(council="RVKR Test", source="p.md", title="P", section="S", line_start=1, line_end=4, chunk_id="c",
                activity="Ta fram en plan för fler handledare")
    return ActivityRecord(**{**base, **fields})


def test_a_question_naming_a_field_by_its_label_gets_that_field():
    record = _record(follow_up="Senast den 1 mars 2027", labels={"activity": "Beslut", "follow_up": "Återrapportering"})
    assert _field_named_by("När ska arbetsgruppen återrapportera?", record, needs_time=True) == "follow_up"


def test_a_named_field_without_a_time_does_not_answer_when():
    record = _record(measure="Planen är antagen", labels={"measure": "Uppföljning - mått"})
    assert _field_named_by("När följs uppföljningen upp?", record, needs_time=True) == ""
    assert _field_named_by("Hur ser uppföljningen ut?", record, needs_time=False) == "measure"
