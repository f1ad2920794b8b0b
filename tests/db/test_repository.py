"""Plan records and the follow-up history, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from assistant.db import (
    STATUSES,
    DatabaseValidationError,
    Entry,
    InvalidEntryError,
    InvalidRecordError,
    InvalidStatusError,
    PlanRecord,
    UnknownRecordError,
)

COUNCIL = "Region Exempel"
OTHER = "Region Annan"
TEXTS = [
    "Inventera behovet av specialistsjuksköterskor inom psykiatrin",
    "Utveckla introduktionsprogrammet för nyanställda undersköterskor",
    "Erbjuda handledarutbildning till alla kliniska handledare",
]


def plan(texts=TEXTS, council=COUNCIL, source="plan.pdf", **extra):
    return [dict(council=council, source=source, title="Handlingsplan 2025", activity=text, position=index,
                 focus_area="Kompetensförsörjning", owner="HR", timeline="2025", follow_up="Årligen", **extra)
            for index, text in enumerate(texts)]


def test_first_sync_adds_every_record(repo):
    result = repo.sync_plan_records("plan.pdf", plan())
    assert len(result.added) == 3 and result.kept == () and result.removed == ()
    records = repo.list_records()
    assert [record.record_id for record in records] == list(result.added)
    first = records[0]
    assert isinstance(first, PlanRecord)
    assert (first.council, first.source, first.title, first.activity, first.position, first.in_plan) == \
        (COUNCIL, "plan.pdf", "Handlingsplan 2025", TEXTS[0], 0, True)
    assert (first.focus_area, first.owner, first.timeline, first.follow_up) == \
        ("Kompetensförsörjning", "HR", "2025", "Årligen")
    assert first.first_seen.tzinfo is not None and first.first_seen == first.last_seen
    assert repo.get_record(first.record_id) == first
    assert repo.get_record("rec-0000000000") is None


def test_resync_unchanged_keeps_ids_and_first_seen(repo):
    first = repo.sync_plan_records("plan.pdf", plan())
    before = {record.record_id: record for record in repo.list_records()}
    again = repo.sync_plan_records("plan.pdf", plan())
    assert again.kept == first.added and again.added == () and again.removed == () and again.changed == ()
    for record in repo.list_records():
        assert record.first_seen == before[record.record_id].first_seen
        assert record.last_seen >= before[record.record_id].last_seen


def test_edited_record_keeps_id_and_history(repo):
    ids = repo.sync_plan_records("plan.pdf", plan()).added
    repo.add_followup_entry(ids[1], "Pågår", recorded_by="anna")
    edited = list(TEXTS)
    edited[1] = "Utveckla introduktionsprogrammet för nyanställda skötare"
    result = repo.sync_plan_records("plan.pdf", plan(edited))
    assert result.kept == ids and result.changed == (ids[1],)
    assert repo.get_record(ids[1]).activity == edited[1]
    assert [entry.status for entry in repo.history(ids[1])] == ["Pågår"]


def test_record_that_disappears_keeps_history_and_leaves_the_plan(repo):
    ids = repo.sync_plan_records("plan.pdf", plan()).added
    entry = repo.add_followup_entry(ids[2], "Försenad", comment="Saknar budget", recorded_by="anna")
    result = repo.sync_plan_records("plan.pdf", plan(TEXTS[:2]))
    assert result.removed == (ids[2],) and result.kept == ids[:2]
    assert [record.record_id for record in repo.list_records()] == list(ids[:2])
    every = {record.record_id: record for record in repo.list_records(in_plan=None)}
    assert every[ids[2]].in_plan is False
    assert [record.record_id for record in repo.list_records(in_plan=False)] == [ids[2]]
    assert repo.history(ids[2]) == [entry]
    assert repo.latest_entries()[ids[2]] == entry
    # A later status for a record that left the plan is still possible (e.g. "Struken").
    repo.add_followup_entry(ids[2], "Struken", recorded_by="anna")
    # Still absent: not counted as removed again.
    assert repo.sync_plan_records("plan.pdf", plan(TEXTS[:2])).removed == ()


def test_record_that_reappears_gets_its_id_and_history_back(repo):
    ids = repo.sync_plan_records("plan.pdf", plan()).added
    repo.add_followup_entry(ids[0], "Klar", recorded_by="anna")
    repo.sync_plan_records("plan.pdf", plan(TEXTS[1:]))
    result = repo.sync_plan_records("plan.pdf", plan())
    assert result.added == (ids[0],) and set(result.kept) == set(ids[1:])
    assert repo.get_record(ids[0]).in_plan is True
    assert [entry.status for entry in repo.history(ids[0])] == ["Klar"]


def test_sources_are_synced_independently(repo):
    a = repo.sync_plan_records("a.pdf", plan(source="a.pdf"))
    b = repo.sync_plan_records("b.pdf", plan(["Rekrytera fler läkare till primärvården"], council=OTHER,
                                            source="b.pdf"))
    repo.sync_plan_records("b.pdf", [])
    assert [record.record_id for record in repo.list_records()] == list(a.added)
    assert repo.list_records(council=OTHER, in_plan=None)[0].record_id == b.added[0]
    assert [record.record_id for record in repo.list_records(source="a.pdf")] == list(a.added)


def test_same_text_in_two_sources_gets_two_records(repo):
    a = repo.sync_plan_records("plan-2024.pdf", plan(source="plan-2024.pdf"))
    b = repo.sync_plan_records("plan-2025.pdf", plan(source="plan-2025.pdf"))
    assert not set(a.added) & set(b.added)
    assert len(repo.list_records()) == 6
    # Re-syncing either keeps its own ids.
    assert repo.sync_plan_records("plan-2025.pdf", plan(source="plan-2025.pdf")).kept == b.added
    assert repo.sync_plan_records("plan-2024.pdf", plan(source="plan-2024.pdf")).kept == a.added


@pytest.mark.parametrize("source, records", [
    ("", [dict(council=COUNCIL, activity="x")]),
    ("plan.pdf", [dict(council="", activity="x")]),
    ("plan.pdf", [dict(council=COUNCIL, activity="x", source="annan.pdf")]),
])
def test_invalid_sync_input_is_refused(repo, source, records):
    with pytest.raises(InvalidRecordError) as caught:
        repo.sync_plan_records(source, records)
    assert isinstance(caught.value, ValueError)
    assert repo.list_records(in_plan=None) == []


def test_add_entry_stores_every_field(repo):
    record_id = repo.sync_plan_records("plan.pdf", plan()).added[0]
    entry = repo.add_followup_entry(record_id, "Pågår", comment=" Start i mars ",
                                    evidence="https://example.se/protokoll",
                                    entry_date=date(2025, 3, 1), recorded_by="anna")
    assert isinstance(entry, Entry)
    assert (entry.record_id, entry.status, entry.comment, entry.evidence, entry.entry_date, entry.recorded_by) == \
        (record_id, "Pågår", "Start i mars", "https://example.se/protokoll", date(2025, 3, 1), "anna")
    assert entry.recorded_at.tzinfo is not None
    assert abs(entry.recorded_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert repo.all_entries() == [entry]


def test_statuses_are_exactly_the_five(repo):
    assert STATUSES == ("Ej påbörjad", "Pågår", "Klar", "Försenad", "Struken")
    record_id = repo.sync_plan_records("plan.pdf", plan()).added[0]
    for status in STATUSES:
        assert repo.add_followup_entry(record_id, status, recorded_by="anna").status == status
    assert repo.add_followup_entry(record_id, "  ej  PÅBÖRJAD ", recorded_by="anna").status == "Ej påbörjad"


def test_entry_defaults(repo):
    record_id = repo.sync_plan_records("plan.pdf", plan()).added[0]
    entry = repo.add_followup_entry(record_id, "Klar", recorded_by="anna")
    assert entry.entry_date == date.today() and entry.comment == "" and entry.evidence == ""
    assert repo.add_followup_entry(record_id, "Klar", entry_date="2024-12-31", recorded_by="anna").entry_date == \
        date(2024, 12, 31)


@pytest.mark.parametrize("status", ["Done", "klart", "", "Pågår?"])
def test_unknown_status_is_refused_in_swedish(repo, status):
    record_id = repo.sync_plan_records("plan.pdf", plan()).added[0]
    with pytest.raises(InvalidStatusError, match="Okänd status") as caught:
        repo.add_followup_entry(record_id, status, recorded_by="anna")
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, DatabaseValidationError)
    assert "Ej påbörjad" in str(caught.value)
    assert repo.all_entries() == []


def test_unknown_record_is_refused_in_swedish(repo):
    with pytest.raises(UnknownRecordError, match="Det finns ingen aktivitet med id 'rec-saknas'") as caught:
        repo.add_followup_entry("rec-saknas", "Klar", recorded_by="anna")
    assert isinstance(caught.value, ValueError)
    with pytest.raises(UnknownRecordError):
        repo.history("rec-saknas")


@pytest.mark.parametrize("kwargs, message", [
    ({"recorded_by": ""}, "Ange vem"),
    ({"recorded_by": "  "}, "Ange vem"),
    ({"recorded_by": "x" * 151}, "för långt"),
    ({"recorded_by": "anna", "entry_date": "31/12/2024"}, "ÅÅÅÅ-MM-DD"),
])
def test_invalid_entry_fields_are_refused(repo, kwargs, message):
    record_id = repo.sync_plan_records("plan.pdf", plan()).added[0]
    with pytest.raises(InvalidEntryError, match=message):
        repo.add_followup_entry(record_id, "Klar", **kwargs)
    assert repo.all_entries() == []


def test_history_is_append_only_and_oldest_first(repo):
    record_id = repo.sync_plan_records("plan.pdf", plan()).added[0]
    first = repo.add_followup_entry(record_id, "Ej påbörjad", entry_date=date(2025, 1, 1), recorded_by="anna")
    second = repo.add_followup_entry(record_id, "Pågår", entry_date=date(2025, 2, 1), recorded_by="bo")
    third = repo.add_followup_entry(record_id, "Klar", entry_date=date(2025, 3, 1), recorded_by="anna")
    assert repo.history(record_id) == [first, second, third]
    # A correction is a new row; the earlier rows are untouched.
    correction = repo.add_followup_entry(record_id, "Pågår", comment="Klar var fel", entry_date=date(2025, 3, 1),
                                         recorded_by="anna")
    assert repo.history(record_id) == [first, second, third, correction]
    assert repo.latest_entries()[record_id] == correction
    assert repo.all_entries() == [first, second, third, correction]


def test_latest_is_by_entry_date_then_recording_order(repo):
    ids = repo.sync_plan_records("plan.pdf", plan()).added
    later = repo.add_followup_entry(ids[0], "Klar", entry_date=date(2025, 6, 1), recorded_by="anna")
    backfilled = repo.add_followup_entry(ids[0], "Pågår", entry_date=date(2025, 1, 1), recorded_by="anna")
    only = repo.add_followup_entry(ids[1], "Försenad", recorded_by="anna")
    latest = repo.latest_entries()
    assert latest == {ids[0]: later, ids[1]: only}
    assert repo.history(ids[0]) == [backfilled, later]
    assert ids[2] not in latest  # no entries yet


def test_latest_filters_by_council_and_ids(repo):
    mine = repo.sync_plan_records("a.pdf", plan(source="a.pdf")).added
    theirs = repo.sync_plan_records("b.pdf", plan(["Rekrytera fler läkare"], council=OTHER, source="b.pdf")).added
    a = repo.add_followup_entry(mine[0], "Pågår", recorded_by="anna")
    b = repo.add_followup_entry(mine[1], "Klar", recorded_by="anna")
    c = repo.add_followup_entry(theirs[0], "Klar", recorded_by="bo")
    assert repo.latest_entries(council=COUNCIL) == {mine[0]: a, mine[1]: b}
    assert repo.latest_entries(council=OTHER) == {theirs[0]: c}
    assert repo.latest_entries(record_ids=[mine[1], theirs[0], "rec-saknas"]) == {mine[1]: b, theirs[0]: c}
    assert repo.latest_entries(council=OTHER, record_ids=[mine[1]]) == {}
    assert repo.latest_entries(record_ids=[]) == {}


def test_many_record_ids_are_queried_in_chunks(repo):
    texts = [f"Aktivitet nummer {n} om bemanning och schemaläggning i region {n * 7}" for n in range(1200)]
    ids = repo.sync_plan_records("stor.pdf", plan(texts, source="stor.pdf")).added
    assert len(set(ids)) == 1200
    repo.add_followup_entry(ids[-1], "Klar", recorded_by="anna")
    assert list(repo.latest_entries(record_ids=ids)) == [ids[-1]]


def test_api_returns_frozen_dataclasses(repo):
    record_id = repo.sync_plan_records("plan.pdf", plan()).added[0]
    entry = repo.add_followup_entry(record_id, "Klar", recorded_by="anna")
    for value in (entry, repo.list_records()[0], repo.history(record_id)[0]):
        assert dataclasses.is_dataclass(value)
        with pytest.raises(dataclasses.FrozenInstanceError):
            value.record_id = "x"
