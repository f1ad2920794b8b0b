"""Follow-up as a workflow: a status per activity, kept in the application database.

The follow-up draft (:mod:`assistant.followup.build`) lists what the plans promise; this module
records how each promise stands. Every activity record of every plan in the index is registered in
the database (:func:`sync_records`, through :meth:`assistant.db.Repository.sync_plan_records`), which
gives it a stable id (:mod:`assistant.db.record_ids`): re-ingesting a plan unchanged, or with other
rows edited, keeps the ids and so the entries attached; records that disappear are kept, marked not
in the plan. Entries are append-only: setting a status adds a row to the record's history.

:class:`FollowupTracker` is what the service (``Assistant.followup``) and the CLI
(``assistant followup …``) use:

* :meth:`~FollowupTracker.list_status`: the activities with their latest entry, filtered like the
  draft (councils as users write them, periods as in :mod:`assistant.lang.periods`, status);
* :meth:`~FollowupTracker.set_status` and :meth:`~FollowupTracker.history`;
* :meth:`~FollowupTracker.due`: activities whose follow-up date or timeline has ended and that are
  not "Klar" or "Struken";
* :meth:`~FollowupTracker.import_csv`: the draft's CSV (``assistant summary --format csv``) with
  Status/Kommentar filled in a spreadsheet, read back (a dry run unless asked);
* :meth:`~FollowupTracker.export_entries`: every entry, for CSV or JSON.

Refused input raises a ``ValueError`` with a Swedish message (:class:`FollowupError`,
:class:`~assistant.followup.build.SummaryError` or :class:`~assistant.db.DatabaseValidationError`)
and writes nothing.
"""

from __future__ import annotations

import csv
import getpass
import io
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from assistant.db import STATUSES, Entry, PlanRecord, Repository, default_database_url
from assistant.db.repository import validate_status
from assistant.followup.build import (
    FollowUpSummary,
    RecordKey,
    SummaryError,
    SummaryRow,
    build_summary,
    record_payloads,
)
from assistant.lang.periods import Interval, is_single_year, parse_period, plan_year
from assistant.settings import PROJECT_ROOT

NOT_STARTED = "Ej påbörjad"
CLOSED_STATUSES = ("Klar", "Struken")  # an activity with one of these as its latest status is never due
ENTRY_COLUMNS: list[tuple[str, str]] = [
    ("id", "Post"), ("record_id", "Id"), ("council", "Råd"), ("activity", "Aktivitet"), ("source", "Källa"),
    ("status", "Status"), ("comment", "Kommentar"), ("evidence", "Underlag"), ("entry_date", "Datum"),
    ("recorded_by", "Registrerad av"), ("recorded_at", "Registrerad"),
]
_ID_HEADERS = ("id", "record id", "record_id", "aktivitets-id", "aktivitetsid")
_STATUS_HEADERS = ("status",)
_COMMENT_HEADERS = ("kommentar", "comment")


class FollowupError(ValueError):
    """Follow-up input that was refused (an unreadable CSV, unknown ids …); nothing was written."""


# ====================================================================== setup
def resolve_database_url(settings) -> str:
    """``settings.database_url``, else the default SQLite file ``<project>/var/app.db``."""
    return settings.database_url or default_database_url(PROJECT_ROOT)


def database_in_use(settings) -> bool:
    """Whether follow-up data may exist: a database URL is configured or the default file exists.

    Implicit work (syncing after an ingest, statuses in the draft) only happens then, so that merely
    indexing or writing a draft never creates a database.
    """
    if settings.database_url:
        return True
    return Path(default_database_url(PROJECT_ROOT).removeprefix("sqlite:///")).exists()


def default_user(settings=None) -> str:
    """Who records entries from the CLI: ``settings.followup_user``, else the OS user name."""
    configured = " ".join(str(getattr(settings, "followup_user", None) or "").split())
    if configured:
        return configured
    try:
        return getpass.getuser() or "okänd"
    except Exception:  # no user name in the environment or the password database
        return "okänd"


def sync_records(db_repo: Repository, index) -> dict[RecordKey, str]:
    """Register every activity record of every plan in ``index``; returns the record ids by record key.

    One :meth:`~assistant.db.Repository.sync_plan_records` per source (sorted): ids are kept for
    unchanged and slightly edited activities; a source stored before but no longer in the index has
    its records marked not in the plan (they keep their history). Keys are
    :func:`assistant.followup.build.record_keys`.
    """
    payloads = record_payloads(index)
    for source, records in payloads.items():
        db_repo.sync_plan_records(source, records)
    stored = {record.source for record in db_repo.list_records(in_plan=True)}
    for source in sorted(stored - set(payloads)):
        db_repo.sync_plan_records(source, [])
    return {(record.source, record.position): record.record_id
            for record in db_repo.list_records(in_plan=True) if record.source in payloads}


def quarter_end(quarter: int) -> date:
    """The last day of a quarter index (:func:`assistant.lang.periods.quarter_index`)."""
    year, number = divmod(quarter, 4)
    return date(year, 3 * (number + 1), (31, 30, 30, 31)[number])


def row_deadlines(row: SummaryRow, plan_period: str = "") -> list[tuple[date, str]]:
    """When a draft row's activity ends: (last day, "tidplan" / "uppföljningsdatum"), earliest first.

    A timeline or follow-up date ends with its last quarter ("Q3 2026" → 2026-09-30); years missing
    from them ("Kvartal 2") are the plan's; an undated activity of a one-year plan ends with that year.
    """
    year = plan_year(plan_period)
    timeline: Interval | None = parse_period(row.timeline, year)
    follow_up = parse_period(row.follow_up, year)
    if timeline is None and follow_up is None and is_single_year(plan_period):
        timeline = parse_period(plan_period, year)
    found = [(quarter_end(interval[1]), what) for interval, what in ((timeline, "tidplan"), (follow_up, "uppföljningsdatum"))
             if interval is not None]
    return sorted(found)


# ====================================================================== results
@dataclass(frozen=True)
class StatusRow:
    """An activity of a plan with its latest follow-up entry (None before the first)."""

    record_id: str
    council: str
    activity: str
    owner: str
    timeline: str
    follow_up: str
    focus_area: str
    source: str
    plan: str
    latest: Entry | None = None
    due_date: date | None = None  # (due()) the earliest end that has passed
    due_because: str = ""  # "tidplan" or "uppföljningsdatum"

    @property
    def status(self) -> str:
        return self.latest.status if self.latest else ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "record_id": self.record_id, "council": self.council, "activity": self.activity, "owner": self.owner,
            "timeline": self.timeline, "follow_up": self.follow_up, "focus_area": self.focus_area,
            "source": self.source, "plan": self.plan, "latest": entry_dict(self.latest) if self.latest else None,
        }
        if self.due_date is not None:
            data.update(due_date=self.due_date.isoformat(), due_because=self.due_because)
        return data


@dataclass(frozen=True)
class ImportChange:
    """One CSV row that changes an activity's follow-up: the entry it adds."""

    line: int  # line in the file (the header is line 1)
    record_id: str
    council: str
    activity: str
    old_status: str  # "" before the first entry
    new_status: str
    old_comment: str
    comment: str


@dataclass
class ImportResult:
    changes: list[ImportChange]
    applied: bool
    unchanged: int = 0  # rows whose Status and Kommentar equal the latest entry
    empty: int = 0  # rows with neither Status nor Kommentar
    entries: list[Entry] = field(default_factory=list)  # what was recorded (when applied)


def entry_dict(entry: Entry) -> dict[str, Any]:
    return {"id": entry.id, "record_id": entry.record_id, "status": entry.status, "comment": entry.comment,
            "evidence": entry.evidence, "date": entry.entry_date.isoformat(), "recorded_by": entry.recorded_by,
            "recorded_at": entry.recorded_at.isoformat()}


# ====================================================================== the workflow
class FollowupTracker:
    """The follow-up workflow over one :class:`~assistant.db.Repository` and the current index.

    ``index``: an index (anything :func:`~assistant.followup.build.build_summary` takes) or a callable
    returning the current one (the service passes ``lambda: assistant.index`` so a new build is
    picked up). The index's records are synced to the database before the first command and
    whenever the index object changes. ``user`` records the entries (``recorded_by``).
    """

    def __init__(self, repository: Repository, index: Any, user: str = "okänd") -> None:
        self.repository = repository
        self._index = index if callable(index) else (lambda: index)
        self.user = user
        self._lock = threading.Lock()
        self._synced_index: Any = None
        self._ids: dict[RecordKey, str] = {}

    # ------------------------------------------------------------------ records
    def sync(self, index: Any = None, force: bool = False) -> dict[RecordKey, str]:
        """Register the records of ``index`` (default: the current one) unless already done; the ids."""
        index = self._index() if index is None else index
        with self._lock:
            if force or index is not self._synced_index:
                self._ids = sync_records(self.repository, index)
                self._synced_index = index
            return dict(self._ids)

    def record_ids(self, index: Any = None) -> dict[RecordKey, str]:
        return self.sync(index)

    def latest_entries(self) -> dict[str, Entry]:
        return self.repository.latest_entries()

    def summary(self, index: Any = None, **filters: Any) -> FollowUpSummary:
        """The follow-up draft with the database's record ids and the latest entries in Status/Kommentar."""
        index = self._index() if index is None else index
        ids = self.sync(index)
        return build_summary(index, record_ids=ids, entries=self.latest_entries(), **filters)

    def record(self, record_id: str) -> PlanRecord:
        self.sync()
        found = self.repository.get_record(str(record_id or "").strip())
        if found is None:
            raise FollowupError(f"Det finns ingen aktivitet med id {str(record_id)!r}. "
                                "Se id:na med ”assistant followup list”.")
        return found

    # ------------------------------------------------------------------ reading
    def list_status(self, council: list[str] | str | None = None, period: str | None = None,
                    status: str | None = None, focus_area: str | None = None) -> list[StatusRow]:
        """The activities in the plans with their latest entry, in the draft's order.

        ``council``, ``period`` and ``focus_area`` filter as in the draft (an unknown council or an
        unreadable period raises :class:`SummaryError`); ``status`` keeps the activities whose latest
        status it is ("Ej påbörjad" also takes those without any entry).
        """
        wanted = validate_status(status) if status else None
        index = self._index()
        entries = self.latest_entries()
        summary = build_summary(index, councils=council, period=period, focus_area=focus_area,
                                record_ids=self.sync(index), entries=entries)
        rows = [_status_row(row, entries.get(row.record_id)) for row in summary.rows]
        if wanted is not None:
            rows = [row for row in rows if (row.status or NOT_STARTED) == wanted]
        return rows

    def due(self, on: date | None = None, council: list[str] | str | None = None) -> list[StatusRow]:
        """Activities whose follow-up date or timeline ended before ``on`` (default today) and whose
        latest status is not "Klar" or "Struken", earliest first."""
        on = on or date.today()
        index = self._index()
        documents = index.documents()
        entries = self.latest_entries()
        summary = build_summary(index, councils=council, record_ids=self.sync(index), entries=entries)
        found = []
        for row in summary.rows:
            latest = entries.get(row.record_id)
            if latest is not None and latest.status in CLOSED_STATUSES:
                continue
            passed = [(end, what) for end, what in row_deadlines(row, documents.get(row.source, {}).get("period", ""))
                      if end < on]
            if passed:
                found.append(_status_row(row, latest, due=passed[0]))
        return sorted(found, key=lambda row: row.due_date or on)  # stable: the draft's order within a day

    def history(self, record_id: str) -> list[Entry]:
        """Every entry of an activity, oldest first."""
        return self.repository.history(self.record(record_id).record_id)

    def export_entries(self) -> list[dict[str, Any]]:
        """Every entry ever recorded (in recording order) with its activity's council, text and source."""
        self.sync()
        records = {record.record_id: record for record in self.repository.list_records(in_plan=None)}
        rows = []
        for entry in self.repository.all_entries():
            record = records.get(entry.record_id)
            rows.append({**entry_dict(entry), "council": record.council if record else "",
                         "activity": record.activity if record else "", "source": record.source if record else "",
                         "in_plan": record.in_plan if record else False})
        return rows

    # ------------------------------------------------------------------ writing
    def set_status(self, record_id: str, status: str, comment: str = "", evidence: str = "",
                   entry_date: date | str | None = None, recorded_by: str | None = None) -> Entry:
        """Record a status for an activity (a new entry in its history)."""
        record = self.record(record_id)
        return self.repository.add_followup_entry(record.record_id, status, comment=comment, evidence=evidence,
                                                  entry_date=entry_date, recorded_by=recorded_by or self.user)

    def import_csv(self, path: str | Path, dry_run: bool = True, recorded_by: str | None = None,
                   entry_date: date | str | None = None) -> ImportResult:
        """Read a filled-in draft CSV: the changes it makes, recorded unless ``dry_run``.

        The file is the one ``assistant summary --format csv`` writes (an "Id" column, "Status" and
        "Kommentar"), saved by a spreadsheet: ``,`` or ``;`` between fields, UTF-8 with or without BOM.
        A row changes its activity when its Status or Kommentar differs from the latest entry (an
        empty Status keeps the latest status); each change adds one entry. Any unknown id, unknown
        status or conflicting row refuses the whole file (:class:`FollowupError`, every problem
        listed) and nothing is recorded.
        """
        rows = _read_csv(Path(path))
        self.sync()
        records = {record.record_id: record for record in self.repository.list_records(in_plan=None)}
        latest = self.latest_entries()
        problems: list[str] = []
        changes: list[ImportChange] = []
        seen: dict[str, int] = {}
        unchanged = empty = 0
        for line, record_id, status_text, comment in rows:
            if not record_id and not status_text and not comment:
                empty += 1
                continue
            if not record_id:
                problems.append(f"Rad {line}: Id saknas.")
                continue
            record = records.get(record_id)
            if record is None:
                problems.append(f"Rad {line}: det finns ingen aktivitet med id {record_id!r}.")
                continue
            if record_id in seen:
                problems.append(f"Rad {line}: id {record_id} finns redan på rad {seen[record_id]}.")
                continue
            seen[record_id] = line
            if not status_text and not comment:
                empty += 1
                continue
            previous = latest.get(record_id)
            if status_text:
                try:
                    new_status = validate_status(status_text)
                except ValueError:
                    problems.append(f"Rad {line}: okänd status ”{status_text}”.")
                    continue
            elif previous is not None:
                new_status = previous.status
            else:
                problems.append(f"Rad {line}: Kommentar utan Status för {record_id} – ange en status.")
                continue
            old_status, old_comment = (previous.status, previous.comment) if previous else ("", "")
            if previous is not None and (new_status, comment) == (old_status, old_comment):
                unchanged += 1
                continue
            changes.append(ImportChange(line=line, record_id=record_id, council=record.council,
                                        activity=record.activity, old_status=old_status, new_status=new_status,
                                        old_comment=old_comment, comment=comment))
        if problems:
            shown = problems[:20] + ([f"… och {len(problems) - 20} problem till."] if len(problems) > 20 else [])
            raise FollowupError("Filen lästes inte in; inget har ändrats.\n" + "\n".join(shown)
                                + "\nGiltiga statusar: " + ", ".join(STATUSES) + ".")
        result = ImportResult(changes=changes, applied=not dry_run, unchanged=unchanged, empty=empty)
        if not dry_run:
            who = recorded_by or self.user
            for change in changes:
                result.entries.append(self.repository.add_followup_entry(
                    change.record_id, change.new_status, comment=change.comment, entry_date=entry_date,
                    recorded_by=who))
        return result


def _status_row(row: SummaryRow, latest: Entry | None, due: tuple[date, str] | None = None) -> StatusRow:
    return StatusRow(record_id=row.record_id, council=row.council, activity=row.activity, owner=row.owner,
                     timeline=row.timeline, follow_up=row.follow_up, focus_area=row.focus_area, source=row.source,
                     plan=row.plan, latest=latest, due_date=due[0] if due else None, due_because=due[1] if due else "")


def _read_csv(path: Path) -> list[tuple[int, str, str, str]]:
    """(line, id, status, comment) per data row of a draft CSV; FollowupError when it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FollowupError(f"Kunde inte läsa {path}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FollowupError(f"{path.name} är inte sparad som UTF-8. Spara den som ”CSV UTF-8” och försök igen.") \
            from None
    header = text.splitlines()[0] if text.strip() else ""
    if not header:
        raise FollowupError(f"{path.name} är tom.")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    names = [" ".join(cell.split()).casefold() for cell in next(reader)]

    def column(candidates: tuple[str, ...]) -> int | None:
        return next((number for number, name in enumerate(names) if name in candidates), None)

    id_column, status_column, comment_column = column(_ID_HEADERS), column(_STATUS_HEADERS), column(_COMMENT_HEADERS)
    missing = [label for label, found in (("Id", id_column), ("Status", status_column)) if found is None]
    if missing:
        raise FollowupError(f"{path.name} saknar kolumnen {' och '.join(missing)}. Använd CSV-filen från "
                            "”assistant summary --format csv” (den har kolumnerna Id, Status och Kommentar).")

    def cell(values: list[str], number: int | None) -> str:
        return " ".join(values[number].split()) if number is not None and number < len(values) else ""

    rows = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            comment = values[comment_column].strip() if comment_column is not None and comment_column < len(values) else ""
            rows.append((reader.line_num, cell(values, id_column), cell(values, status_column), comment))
    except csv.Error as exc:
        raise FollowupError(f"{path.name} rad {reader.line_num}: {exc}.") from None
    return rows


def entries_csv(rows: list[Mapping[str, Any]], delimiter: str = ",") -> str:
    """:meth:`FollowupTracker.export_entries` as CSV (Swedish headers)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow([header for _, header in ENTRY_COLUMNS])
    for row in rows:
        writer.writerow([_entry_cell(row, name) for name, _ in ENTRY_COLUMNS])
    return buffer.getvalue()


def _entry_cell(row: Mapping[str, Any], name: str) -> str:
    value = row.get("date") if name == "entry_date" else row.get(name)
    return "" if value is None else str(value)


__all__ = [
    "CLOSED_STATUSES", "FollowupError", "FollowupTracker", "ImportChange", "ImportResult", "NOT_STARTED",
    "StatusRow", "SummaryError", "database_in_use", "default_user", "entries_csv", "entry_dict", "quarter_end",
    "resolve_database_url", "row_deadlines", "sync_records",
]
