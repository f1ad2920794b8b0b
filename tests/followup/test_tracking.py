"""The follow-up workflow (assistant.followup.tracking): statuses per activity in the application database.

The core tests run on SQLite and on a throwaway PostgreSQL cluster (the cluster code of tests/db,
``db/pg_cluster.py``; PostgreSQL cases carry the ``postgres`` and ``slow`` markers). The plans are
read straight from the corpus (``CorpusView``, no embedding model); the service test at the end
ingests for real (slow).
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant.db import STATUSES, InvalidStatusError, Repository, open_database
from assistant.followup import FollowupError, FollowupTracker, SummaryError, build_summary, render_csv, sync_records
from assistant.followup.build import content_record_ids, record_keys
from assistant.followup.tracking import database_in_use, default_user, quarter_end, row_deadlines
from followup.helpers import CORPUS_DIR, NATIONAL, SODRA, CorpusView

SODRA_FILE = "002_8b6a782e2b1e2be8.txt"
EDITED = "Rådet ska diskutera hur främjas god tillgång till handledarkompetens"  # the 2nd Södra row
REMOVED = "Rådet avser att utbyta erfarenheter och goda exempel"  # the 8th (last) Södra row

@pytest.fixture
def repo(backend_repo):
    """A migrated, empty database on each backend (the ``backend_repo`` fixture of tests/followup/conftest.py)."""
    return backend_repo


@pytest.fixture
def sqlite_repo(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'app.db'}")
    yield Repository(database)
    database.dispose()


def edited_corpus(tmp_path: Path, remove: bool = True) -> Path:
    """A copy of the corpus whose Södra plan has one row reworded slightly and (``remove``) its last row deleted."""
    corpus = tmp_path / "corpus-edited"
    shutil.copytree(CORPUS_DIR, corpus)
    path = corpus / SODRA_FILE
    lines = path.read_text(encoding="utf-8").split("\n")
    edited = [n for n, line in enumerate(lines) if line.startswith("\t" + EDITED)]
    assert len(edited) == 1
    lines[edited[0]] = lines[edited[0]].replace("hur främjas", "hur det främjas", 1)
    if remove:
        removed = [n for n, line in enumerate(lines) if "\t" in line and REMOVED in line]
        assert len(removed) == 1
        del lines[removed[0]]
    path.write_text("\n".join(lines), encoding="utf-8")
    return corpus


# ====================================================================== statuses, history
def test_set_two_sodra_statuses_and_list_them(repo, corpus_view):
    tracker = FollowupTracker(repo, corpus_view, user="anna")
    rows = tracker.list_status(council="Södra")
    assert len(rows) == 8 and {row.council for row in rows} == {SODRA}
    assert all(row.record_id.startswith("rec-") and row.latest is None for row in rows)
    assert len({row.record_id for row in rows}) == 8
    first, second = rows[0], rows[1]
    assert first.activity.startswith("Rådet ska inspireras") and second.activity.startswith(EDITED)

    tracker.set_status(first.record_id, "pågår", comment="Två exempel insamlade", entry_date="2026-11-20")
    tracker.set_status(second.record_id, "Klar", evidence="Protokoll 2026-10-05", entry_date=date(2026, 10, 5),
                       recorded_by="bertil")

    for council in ("sodra", "RVKR Södra", "Södra, Skåne"):  # as users write it
        listed = {row.record_id: row for row in tracker.list_status(council=council)}
        assert len(listed) == 8
        assert listed[first.record_id].latest.status == "Pågår"
        assert listed[first.record_id].latest.comment == "Två exempel insamlade"
        assert listed[first.record_id].latest.recorded_by == "anna"
        assert listed[second.record_id].status == "Klar"
        assert listed[second.record_id].latest.evidence == "Protokoll 2026-10-05"
        assert listed[second.record_id].latest.recorded_by == "bertil"
    data = {row["record_id"]: row for row in (r.to_dict() for r in tracker.list_status(council="Södra"))}
    assert data[first.record_id]["latest"] | {"id": 0, "recorded_at": ""} == {
        "id": 0, "record_id": first.record_id, "status": "Pågår", "comment": "Två exempel insamlade", "evidence": "",
        "date": "2026-11-20", "recorded_by": "anna", "recorded_at": ""}
    assert sum(row["latest"] is None for row in data.values()) == 6

    assert [row.record_id for row in tracker.list_status(council="Södra", status="klar")] == [second.record_id]
    not_started = tracker.list_status(council="Södra", status="Ej påbörjad")  # also those without any entry
    assert len(not_started) == 6 and first.record_id not in {row.record_id for row in not_started}
    q3 = tracker.list_status(council="Södra", period="Q3 2026")
    assert second.record_id in {row.record_id for row in q3} and len(q3) == 2
    assert len(tracker.list_status()) == len(corpus_view.records) == 29
    assert {row.council for row in tracker.list_status(council="nationella")} == {NATIONAL}


def test_history_keeps_every_change(repo, corpus_view):
    tracker = FollowupTracker(repo, corpus_view, user="anna")
    record_id = tracker.list_status(council="Södra")[2].record_id
    assert tracker.history(record_id) == []
    for status, day in (("Ej påbörjad", "2026-02-01"), ("Pågår", "2026-05-01"), ("Försenad", "2026-09-01"),
                        ("Pågår", "2026-10-01")):
        tracker.set_status(record_id, status, comment=f"läge {day}", entry_date=day)
    history = tracker.history(record_id)
    assert [entry.status for entry in history] == ["Ej påbörjad", "Pågår", "Försenad", "Pågår"]
    assert [entry.entry_date.isoformat() for entry in history] == ["2026-02-01", "2026-05-01", "2026-09-01", "2026-10-01"]
    assert tracker.latest_entries()[record_id] == history[-1]
    assert [row["status"] for row in tracker.export_entries()] == ["Ej påbörjad", "Pågår", "Försenad", "Pågår"]
    exported = tracker.export_entries()[0]
    assert exported["council"] == SODRA and exported["activity"].startswith("Rådet avser diskutera behoven")
    assert exported["recorded_by"] == "anna" and exported["in_plan"] is True


def test_reingest_with_an_edited_plan_keeps_every_entry_attached(repo, corpus_view, tmp_path):
    current = {"index": corpus_view}
    tracker = FollowupTracker(repo, lambda: current["index"], user="anna")
    before = tracker.list_status(council="Södra")
    untouched, edited, removed = before[0], before[1], before[7]
    assert edited.activity == EDITED and removed.activity.startswith(REMOVED)
    tracker.set_status(untouched.record_id, "Pågår", comment="orörd rad")
    tracker.set_status(edited.record_id, "Försenad", comment="ändrad rad", entry_date="2026-10-01")
    tracker.set_status(edited.record_id, "Pågår", comment="ändrad rad igen", entry_date="2026-11-01")
    tracker.set_status(removed.record_id, "Struken", comment="tas bort ur planen")
    national_id = tracker.list_status(council="nationella")[0].record_id
    tracker.set_status(national_id, "Klar")

    # The same plans again (a re-ingest of unchanged documents): nothing moves.
    current["index"] = CorpusView(CORPUS_DIR)
    assert [(row.record_id, row.status) for row in tracker.list_status()] == \
        [(row.record_id, row.status) for row in FollowupTracker(repo, corpus_view).list_status()]

    # Södra's plan edited: one row reworded, the last row deleted, the rest untouched.
    current["index"] = CorpusView(edited_corpus(tmp_path))
    after = {row.record_id: row for row in tracker.list_status(council="Södra")}
    assert len(after) == 7 and removed.record_id not in after
    assert set(after) == {row.record_id for row in before} - {removed.record_id}
    assert after[edited.record_id].activity == EDITED.replace("hur främjas", "hur det främjas")
    assert after[edited.record_id].latest.comment == "ändrad rad igen"
    assert [entry.comment for entry in tracker.history(edited.record_id)] == ["ändrad rad", "ändrad rad igen"]
    assert after[untouched.record_id].latest.comment == "orörd rad"
    stored = repo.get_record(removed.record_id)
    assert stored is not None and not stored.in_plan and stored.activity.startswith(REMOVED)
    assert [entry.status for entry in tracker.history(removed.record_id)] == ["Struken"]
    assert {row.record_id: row.status for row in tracker.list_status(council="nationella")}[national_id] == "Klar"
    assert len(tracker.export_entries()) == 5

    # The row comes back: same id, history intact.
    current["index"] = CorpusView(CORPUS_DIR)
    again = {row.record_id: row for row in tracker.list_status(council="Södra")}
    assert removed.record_id in again and again[removed.record_id].status == "Struken"
    assert again[edited.record_id].activity == EDITED


def test_a_removed_document_marks_its_records_not_in_plan(sqlite_repo, corpus_view):
    sync_records(sqlite_repo, corpus_view)

    class WithoutSodra:
        records = [record for record in corpus_view.records if record.source != SODRA_FILE]
        chunks = [chunk for chunk in corpus_view.chunks if chunk.source != SODRA_FILE]
        doc_lines = corpus_view.doc_lines

        def documents(self):
            return {k: v for k, v in corpus_view.documents().items() if k != SODRA_FILE}

    ids = sync_records(sqlite_repo, WithoutSodra())
    assert len(ids) == 21
    assert [record.in_plan for record in sqlite_repo.list_records(council=SODRA, in_plan=None)] == [False] * 8


# ====================================================================== due
def test_due_lists_ended_activities_that_are_not_done(repo, corpus_view):
    tracker = FollowupTracker(repo, corpus_view, user="anna")
    rows = tracker.list_status(council="Södra")
    tracker.set_status(rows[0].record_id, "Klar")
    tracker.set_status(rows[2].record_id, "Struken")
    tracker.set_status(rows[3].record_id, "Klar", entry_date="2026-03-01")
    tracker.set_status(rows[3].record_id, "Försenad", entry_date="2026-06-01")  # reopened: due again

    due = tracker.due(date(2027, 1, 15), council="Södra")
    expected = [row.record_id for row in rows if row.record_id not in (rows[0].record_id, rows[2].record_id)]
    assert sorted(row.record_id for row in due) == sorted(expected) and len(due) == 6
    assert all(row.due_date.year == 2026 and row.due_because == "tidplan" for row in due)
    assert [row.due_date for row in due] == sorted(row.due_date for row in due)
    assert due[0].timeline == "Q2 2026" and due[0].due_date == date(2026, 6, 30)
    by_id = {row.record_id: row for row in due}
    assert by_id[rows[1].record_id].due_date == date(2026, 9, 30)  # "Q3 2026"
    assert by_id[rows[3].record_id].status == "Försenad"

    assert [row.timeline for row in tracker.due(date(2026, 7, 1), council="sodra")] == ["Q2 2026"]
    assert tracker.due(date(2026, 6, 30), council="Södra") == []  # ends on, not before
    # Mellansverige's activities have no dates: a one-year plan ("2026") ends with its year.
    mellan = tracker.due(date(2027, 1, 1), council="Mellansverige")
    assert len(mellan) == 16 and {row.due_date for row in mellan} == {date(2026, 12, 31)}
    assert tracker.due(date(2026, 12, 31), council="Mellansverige") == []
    # "Kvartal 2" takes the national plan's year.
    national = tracker.due(date(2026, 7, 1), council="nationella")
    assert [(row.timeline, row.due_date) for row in national] == [("Kvartal 2", date(2026, 6, 30))]
    with pytest.raises(SummaryError, match="Okänt råd"):
        tracker.due(date(2027, 1, 15), council="Norra")


def test_deadlines_follow_the_period_grammar(corpus_view):
    assert quarter_end(2026 * 4 + 2) == date(2026, 9, 30)
    assert [quarter_end(2027 * 4 + q) for q in range(4)] == \
        [date(2027, 3, 31), date(2027, 6, 30), date(2027, 9, 30), date(2027, 12, 31)]
    row = next(r for r in build_summary(corpus_view, councils="Södra").rows if r.timeline == "Q3 2026" and r.follow_up)
    assert row_deadlines(row, "2026–2028") == [(date(2026, 9, 30), "tidplan"), (date(2027, 3, 31), "uppföljningsdatum")]


# ====================================================================== refusals
def test_bad_input_is_refused_in_swedish_and_writes_nothing(repo, corpus_view):
    tracker = FollowupTracker(repo, corpus_view, user="anna")
    record_id = tracker.list_status(council="Södra")[0].record_id
    with pytest.raises(FollowupError, match="Det finns ingen aktivitet med id 'rec-0000000000'"):
        tracker.set_status("rec-0000000000", "Klar")
    with pytest.raises(InvalidStatusError, match="Okänd status 'Halvklar'"):
        tracker.set_status(record_id, "Halvklar")
    with pytest.raises(ValueError, match="Ogiltigt datum"):
        tracker.set_status(record_id, "Klar", entry_date="15/1 2027")
    with pytest.raises(FollowupError):
        tracker.history("rec-saknas")
    with pytest.raises(SummaryError, match="Okänt råd: Norra"):
        tracker.list_status(council="Norra")
    with pytest.raises(SummaryError, match="Kunde inte tolka perioden"):
        tracker.list_status(period="någon gång")
    with pytest.raises(InvalidStatusError):
        tracker.list_status(status="Halvklar")
    assert tracker.export_entries() == []


# ====================================================================== the draft and its CSV
def fill(csv_text: str, statuses: dict[str, tuple[str, str]], delimiter: str = ",") -> str:
    """The draft CSV with Status/Kommentar filled for some ids, as a spreadsheet would save it."""
    reader = csv.DictReader(io.StringIO(csv_text, newline=""))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, delimiter=delimiter)
    writer.writeheader()
    for row in reader:
        if row["Id"] in statuses:
            row["Status"], row["Kommentar"] = statuses[row["Id"]]
        writer.writerow(row)
    return out.getvalue()


def test_the_draft_carries_ids_and_the_latest_statuses(sqlite_repo, corpus_view):
    plain = build_summary(corpus_view)  # no database at all
    assert all(row.record_id.startswith("rec-") and not row.status for row in plain.rows)
    tracker = FollowupTracker(sqlite_repo, corpus_view, user="anna")
    # A fresh database assigns exactly the ids the plans alone give.
    assert tracker.record_ids() == content_record_ids(corpus_view)
    assert len(set(content_record_ids(corpus_view).values())) == len(record_keys(corpus_view.records)) == 29
    first = plain.rows[0]
    tracker.set_status(first.record_id, "Pågår", comment="Workshop bokad")
    draft = tracker.summary(councils=first.council)
    assert (draft.rows[0].record_id, draft.rows[0].status, draft.rows[0].comment) == \
        (first.record_id, "Pågår", "Workshop bokad")
    assert all(not row.status for row in draft.rows[1:])
    rows = list(csv.DictReader(io.StringIO(render_csv(draft), newline="")))
    assert list(rows[0])[:3] == ["Id", "Råd", "Plan"] and list(rows[0])[-2:] == ["Status", "Kommentar"]
    assert (rows[0]["Id"], rows[0]["Status"], rows[0]["Kommentar"]) == (first.record_id, "Pågår", "Workshop bokad")


@pytest.mark.parametrize(("delimiter", "encoding"), [(",", "utf-8"), (";", "utf-8-sig")])
def test_import_csv_round_trip(sqlite_repo, corpus_view, tmp_path, delimiter, encoding):
    tracker = FollowupTracker(sqlite_repo, corpus_view, user="anna")
    ids = [row.record_id for row in tracker.list_status(council="Södra")]
    tracker.set_status(ids[0], "Pågår", comment="före importen")
    path = tmp_path / "ifylld.csv"
    filled = fill(render_csv(tracker.summary(councils="Södra")), {
        ids[0]: ("Klar", "klart i november"), ids[1]: ("försenad", "väntar på underlag"), ids[2]: ("", ""),
    }, delimiter)
    path.write_text(filled, encoding=encoding, newline="")

    dry = tracker.import_csv(path)
    assert not dry.applied and dry.entries == []
    assert [(c.record_id, c.old_status, c.new_status, c.comment) for c in dry.changes] == [
        (ids[0], "Pågår", "Klar", "klart i november"), (ids[1], "", "Försenad", "väntar på underlag")]
    assert dry.changes[0].line == 2 and dry.changes[0].old_comment == "före importen"
    assert dry.empty == 6 and dry.unchanged == 0
    assert len(tracker.export_entries()) == 1  # nothing recorded

    applied = tracker.import_csv(path, dry_run=False, recorded_by="cecilia")
    assert applied.applied and [entry.status for entry in applied.entries] == ["Klar", "Försenad"]
    latest = tracker.latest_entries()
    assert (latest[ids[0]].status, latest[ids[0]].comment, latest[ids[0]].recorded_by) == \
        ("Klar", "klart i november", "cecilia")
    assert len(tracker.export_entries()) == 3

    # The draft exported now carries the statuses: importing it unchanged changes nothing.
    path.write_text(render_csv(tracker.summary(councils="Södra"), delimiter), encoding=encoding, newline="")
    again = tracker.import_csv(path, dry_run=False)
    assert again.changes == [] and again.unchanged == 2 and len(tracker.export_entries()) == 3


def test_import_csv_refuses_unknown_ids_and_statuses(sqlite_repo, corpus_view, tmp_path):
    tracker = FollowupTracker(sqlite_repo, corpus_view, user="anna")
    ids = [row.record_id for row in tracker.list_status(council="Södra")]
    draft = render_csv(tracker.summary(councils="Södra"))
    path = tmp_path / "fel.csv"
    filled = fill(draft, {ids[0]: ("Klar", "ok"), ids[1]: ("Halvklar", ""), ids[2]: ("Pågår", "")})
    path.write_text(filled.replace(ids[2], "rec-okand00000"), encoding="utf-8")
    with pytest.raises(FollowupError) as refused:
        tracker.import_csv(path, dry_run=False)
    message = str(refused.value)
    assert message.startswith("Filen lästes inte in; inget har ändrats.")
    assert "Rad 3: okänd status ”Halvklar”." in message
    assert "Rad 4: det finns ingen aktivitet med id 'rec-okand00000'." in message
    assert ", ".join(STATUSES) in message
    assert tracker.export_entries() == []  # the valid row was not applied either

    path.write_text("Råd;Aktivitet;Status\nRVKR Södra;x;Klar\n", encoding="utf-8")
    with pytest.raises(FollowupError, match="saknar kolumnen Id"):
        tracker.import_csv(path)
    path.write_bytes("Id,Status,Kommentar\nrec-1,Klar,Påbörjad\n".encode("cp1252"))
    with pytest.raises(FollowupError, match="UTF-8"):
        tracker.import_csv(path)
    with pytest.raises(FollowupError, match="Kunde inte läsa"):
        tracker.import_csv(tmp_path / "saknas.csv")
    path.write_text(f"Id,Status,Kommentar\n{ids[0]},,en kommentar\n", encoding="utf-8")
    with pytest.raises(FollowupError, match="Kommentar utan Status"):
        tracker.import_csv(path)
    path.write_text(f"Id,Status\n{ids[0]},Klar\n{ids[0]},Pågår\n", encoding="utf-8")
    with pytest.raises(FollowupError, match="finns redan på rad 2"):
        tracker.import_csv(path)


# ====================================================================== settings and the service
def test_default_user_and_database_in_use(settings_factory, tmp_path, monkeypatch):
    settings = settings_factory("fu-settings", database_url=f"sqlite:///{tmp_path / 'x.db'}", followup_user=" Anna  Berg ")
    assert default_user(settings) == "Anna Berg" and database_in_use(settings)
    monkeypatch.setenv("USER", "systemanvandare")
    monkeypatch.setenv("LOGNAME", "systemanvandare")
    assert default_user(settings_factory("fu-settings-2")) == "systemanvandare"
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", "sqlite:///tmp/elsewhere.db")
    monkeypatch.setenv("ASSISTANT_FOLLOWUP_USER", "dora")
    from assistant.settings import Settings

    assert (Settings().database_url, Settings().followup_user) == ("sqlite:///tmp/elsewhere.db", "dora")


@pytest.mark.slow
def test_service_syncs_after_ingest_and_keeps_entries_on_reingest(settings_factory, model_ready, tmp_path):
    from assistant.service import Assistant

    settings = settings_factory("fu-service", database_url=f"sqlite:///{tmp_path / 'app.db'}", followup_user="anna")
    assistant = Assistant(settings)
    assistant.ingest()
    # Registered by the ingest itself (the database is configured), before any follow-up command.
    repo = Repository(open_database(settings.database_url))
    assert len(repo.list_records()) == len(assistant.index.records) == 29
    rows = assistant.followup.list_status(council="Södra")
    untouched, edited = rows[0], rows[1]
    assistant.followup.set_status(untouched.record_id, "Pågår", comment="orörd")
    assistant.followup.set_status(edited.record_id, "Klar", comment="ändras i planen")
    draft = assistant.summary(councils="Södra")
    assert [(row.record_id, row.status) for row in draft.rows[:2]] == [(untouched.record_id, "Pågår"),
                                                                        (edited.record_id, "Klar")]

    corpus = edited_corpus(tmp_path, remove=False)
    shutil.copyfile(corpus / SODRA_FILE, Path(settings.corpus_dir) / SODRA_FILE)
    report = assistant.ingest()
    assert report.changed == [SODRA_FILE]
    stored = {record.record_id: record for record in repo.list_records(council=SODRA)}
    assert stored[edited.record_id].activity == EDITED.replace("hur främjas", "hur det främjas")  # synced by ingest
    after = {row.record_id: row for row in assistant.followup.list_status(council="Södra")}
    assert set(after) == {row.record_id for row in rows}
    assert (after[untouched.record_id].status, after[untouched.record_id].latest.comment) == ("Pågår", "orörd")
    assert (after[edited.record_id].status, after[edited.record_id].latest.comment) == ("Klar", "ändras i planen")
    due = assistant.followup.due(date(2027, 1, 15), council="Södra")
    assert len(due) == 7 and edited.record_id not in {row.record_id for row in due}
    repo.database.dispose()
