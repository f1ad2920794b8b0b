"""The database API: plan records, the follow-up history and users.

Everything returns plain frozen dataclasses (:class:`PlanRecord`, :class:`Entry`, :class:`User`,
:class:`SyncResult`), never live ORM objects, so callers never deal with sessions. Every write runs in
one transaction (``Database.transaction``). Refused input raises a
:class:`~assistant.db.errors.DatabaseValidationError` (a ``ValueError``) with a Swedish message and
writes nothing.

Semantics worth knowing:

* Plan records are never deleted. ``sync_plan_records`` marks the records of a source that are no
  longer in the plan ``in_plan=False``; they keep their follow-up history and get it back (same id)
  if they reappear.
* The follow-up history is append-only (also enforced by database triggers): a new status is a new
  row. The *latest* entry of a record is the one with the latest ``entry_date`` (the date the status
  refers to); among entries for the same date, the one recorded last. ``history()`` uses the same
  order, so ``history(r)[-1] == latest_entries(record_ids=[r])[r]``.
* User names are unique regardless of case ("Anna" and "anna" are one user) and keep the spelling
  they were created with. Passwords are hashed with Argon2id (argon2-cffi); a hash made with older
  parameters is upgraded on the next successful login. The last active administrator cannot be
  removed, demoted or disabled.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.db.database import Database
from assistant.db.errors import (
    InvalidConversationError,
    InvalidEntryError,
    InvalidFeedbackError,
    InvalidPasswordError,
    InvalidRecordError,
    InvalidRoleError,
    InvalidStatusError,
    InvalidUsernameError,
    LastAdminError,
    UnknownConversationError,
    UnknownRecordError,
    UnknownUserError,
    UserExistsError,
)
from assistant.db.models import (
    MESSAGE_ROLES,
    RATINGS,
    ROLES,
    STATUSES,
    ConversationRow,
    FeedbackRow,
    FollowupEntryRow,
    MessageRow,
    PlanRecordRow,
    UserRow,
    utcnow,
)
from assistant.db.record_ids import assign_record_ids, content_hash, field_value

MAX_USERNAME_LENGTH = 150
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
RECORD_FIELDS = ("title", "activity", "focus_area", "owner", "timeline", "follow_up")
_SYNC_LOCK = "assistant.plan_records.sync"
_ADMIN_LOCK = "assistant.users.admins"
_IN_CHUNK = 500
MAX_TITLE_LENGTH = 200      # longer conversation titles are shortened with "…"
MAX_OWNER_LENGTH = 200
MAX_COMMENT_LENGTH = 4000


@dataclass(frozen=True)
class PlanRecord:
    record_id: str
    council: str
    source: str
    title: str
    activity: str
    focus_area: str
    owner: str
    timeline: str
    follow_up: str
    position: int
    content_hash: str
    first_seen: datetime
    last_seen: datetime
    in_plan: bool


@dataclass(frozen=True)
class Entry:
    id: int
    record_id: str
    status: str
    comment: str
    evidence: str
    entry_date: date
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class User:
    username: str
    role: str
    created_at: datetime
    disabled: bool

    @property
    def can_edit(self) -> bool:
        """May record follow-up entries (editor or admin, and not disabled)."""
        return not self.disabled and self.role in ("editor", "admin")

    @property
    def is_admin(self) -> bool:
        return not self.disabled and self.role == "admin"


@dataclass(frozen=True)
class SyncResult:
    """Record ids per outcome of one ``sync_plan_records`` call.

    ``added``: now in the plan and not before (new, or reappeared with their old id and history);
    ``kept``: in the plan before and now; ``removed``: in the plan before, now marked not in plan;
    ``changed``: the subset of ``kept`` whose stored fields changed (e.g. an edited activity text).
    """

    added: tuple[str, ...]
    kept: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversation:
    """A stored chat conversation; ``owner`` is "user:<name>" or "browser:<id>" (see the web app)."""

    id: str
    owner: str
    title: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Message:
    """One message of a conversation (``citations``: the answer's citations as dicts)."""

    id: int
    conversation_id: str
    position: int
    role: str
    kind: str
    content: str
    display: str
    citations: list[dict]
    in_history: bool
    build_id: str
    created_at: datetime


@dataclass(frozen=True)
class Feedback:
    """A thumbs up (``"up"``) or down (``"down"``) on an answer, with what it was about."""

    id: int
    conversation_id: str | None
    message_id: int | None
    owner: str
    rating: str
    comment: str
    question: str
    answer: str
    citations: list[dict]
    build_id: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict:
        return {"id": self.id, "rating": self.rating, "comment": self.comment, "question": self.question,
                "answer": self.answer, "citations": self.citations, "build_id": self.build_id,
                "owner": self.owner, "conversation_id": self.conversation_id, "message_id": self.message_id,
                "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat()}


def validate_status(status: str) -> str:
    """The canonical spelling of ``status`` (case and surrounding space are forgiven)."""
    cleaned = " ".join(str(status or "").split())
    for known in STATUSES:
        if cleaned.casefold() == known.casefold():
            return known
    raise InvalidStatusError(
        f"Okänd status {str(status)!r}. Välj en av: " + ", ".join(f"”{known}”" for known in STATUSES) + "."
    )


def validate_role(role: str) -> str:
    cleaned = str(role or "").strip().lower()
    if cleaned not in ROLES:
        raise InvalidRoleError(f"Okänd roll {str(role)!r}. Välj en av: {', '.join(ROLES)}.")
    return cleaned


def username_key(username: str) -> str:
    """The case-insensitive identity of a user name."""
    return unicodedata.normalize("NFKC", username).casefold()


def _clean_username(username: str) -> str:
    cleaned = unicodedata.normalize("NFKC", str(username or "")).strip()
    if not cleaned:
        raise InvalidUsernameError("Ange ett användarnamn.")
    if len(cleaned) > MAX_USERNAME_LENGTH:
        raise InvalidUsernameError(f"Användarnamnet är för långt (högst {MAX_USERNAME_LENGTH} tecken).")
    if any(unicodedata.category(char).startswith("C") for char in cleaned):
        raise InvalidUsernameError("Användarnamnet innehåller otillåtna tecken.")
    return cleaned


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidPasswordError(f"Lösenordet måste vara minst {MIN_PASSWORD_LENGTH} tecken långt.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidPasswordError(f"Lösenordet är för långt (högst {MAX_PASSWORD_LENGTH} tecken).")
    return password


def _coerce_date(value: date | str | None) -> date:
    if value is None:
        return date.today()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidEntryError(f"Ogiltigt datum {str(value)!r}. Skriv datumet som ÅÅÅÅ-MM-DD.") from None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _record(row: PlanRecordRow) -> PlanRecord:
    return PlanRecord(
        record_id=row.record_id, council=row.council, source=row.source, title=row.title,
        activity=row.activity, focus_area=row.focus_area, owner=row.owner, timeline=row.timeline,
        follow_up=row.follow_up, position=row.position, content_hash=row.content_hash,
        first_seen=row.first_seen, last_seen=row.last_seen, in_plan=row.in_plan,
    )


def _entry(row: FollowupEntryRow) -> Entry:
    return Entry(
        id=row.id, record_id=row.record_id, status=row.status, comment=row.comment, evidence=row.evidence,
        entry_date=row.entry_date, recorded_by=row.recorded_by, recorded_at=row.recorded_at,
    )


def _user(row: UserRow) -> User:
    return User(username=row.username, role=row.role, created_at=row.created_at, disabled=row.disabled)


def _clean_title(title: Any) -> str:
    cleaned = " ".join("".join(" " if unicodedata.category(ch).startswith("C") else ch
                               for ch in str(title or "")).split())
    if not cleaned:
        raise InvalidConversationError("Ange ett namn på konversationen.")
    if len(cleaned) > MAX_TITLE_LENGTH:
        cleaned = cleaned[:MAX_TITLE_LENGTH - 1].rstrip() + "…"
    return cleaned


def _clean_owner(owner: Any) -> str:
    cleaned = str(owner or "").strip()
    if not cleaned or len(cleaned) > MAX_OWNER_LENGTH:
        raise InvalidConversationError("Konversationen saknar en giltig ägare.")
    return cleaned


def validate_rating(rating: Any) -> str:
    """``"up"`` or ``"down"``; also accepts True/False and 👍/👎-style words (upp, ner, like, dislike)."""
    if rating is True:
        return "up"
    if rating is False:
        return "down"
    cleaned = str(rating or "").strip().casefold()
    value = {"up": "up", "upp": "up", "like": "up", "bra": "up", "+": "up", "+1": "up",
             "down": "down", "ner": "down", "ned": "down", "dislike": "down", "dåligt": "down", "-": "down",
             "-1": "down"}.get(cleaned)
    if value not in RATINGS:
        raise InvalidFeedbackError(f"Okänt betyg {str(rating)!r}. Välj up (tumme upp) eller down (tumme ned).")
    return value


def _json_list(value: Any) -> str:
    return json.dumps(list(value or []), ensure_ascii=False)


def _load_list(text: str | None) -> list[dict]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _conversation(row: ConversationRow) -> Conversation:
    return Conversation(id=row.id, owner=row.owner, title=row.title, created_at=row.created_at,
                        updated_at=row.updated_at)


def _message(row: MessageRow) -> Message:
    return Message(id=row.id, conversation_id=row.conversation_id, position=row.position, role=row.role,
                   kind=row.kind, content=row.content, display=row.display, citations=_load_list(row.citations),
                   in_history=row.in_history, build_id=row.build_id, created_at=row.created_at)


def _feedback(row: FeedbackRow) -> Feedback:
    return Feedback(id=row.id, conversation_id=row.conversation_id, message_id=row.message_id, owner=row.owner,
                    rating=row.rating, comment=row.comment, question=row.question, answer=row.answer,
                    citations=_load_list(row.citations), build_id=row.build_id, created_at=row.created_at,
                    updated_at=row.updated_at)


def _chunks(values: Sequence[str], size: int = _IN_CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class Repository:
    """All reads and writes of the application data, over one :class:`Database`.

    Thread-safe: each call uses its own session. ``password_hasher`` defaults to argon2-cffi's
    ``PasswordHasher()`` (its recommended parameters).
    """

    def __init__(self, database: Database, password_hasher: PasswordHasher | None = None) -> None:
        self.database = database
        self.hasher = password_hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    # ----------------------------------------------------------------------------- plan records

    def sync_plan_records(self, source: str, records: Sequence[Any]) -> SyncResult:
        """Make the stored records of ``source`` match ``records`` (the activities now in that plan).

        ``records``: objects or dicts with council, activity, position (default: index in the list),
        title, focus_area, owner, timeline, follow_up (and optionally source, which must match).
        Ids are assigned by :func:`assistant.db.record_ids.assign_record_ids` against the stored
        records of the source. Records no longer present are marked ``in_plan=False``; nothing is
        deleted.
        """
        source = _text(source)
        if not source:
            raise InvalidRecordError("Ange vilken källfil aktiviteterna kommer från.")
        records = list(records)
        for index, record in enumerate(records):
            if not _text(field_value(record, "council")):
                raise InvalidRecordError(f"Aktivitet nr {index + 1} i {source} saknar vårdkompetensråd.")
            record_source = _text(field_value(record, "source"))
            if record_source and record_source != source:
                raise InvalidRecordError(
                    f"Aktivitet nr {index + 1} kommer från {record_source!r}, inte från {source!r}."
                )

        with self.database.transaction() as session:
            # One sync at a time: fresh ids must not collide with ids another sync is creating.
            self.database.advisory_lock(session, _SYNC_LOCK)
            rows = session.scalars(select(PlanRecordRow).where(PlanRecordRow.source == source)).all()
            reserved = set(session.scalars(select(PlanRecordRow.record_id).where(PlanRecordRow.source != source)))
            ids = assign_record_ids(records, [_record(row) for row in rows], reserved=reserved)
            by_id = {row.record_id: row for row in rows}
            now = utcnow()
            added: list[str] = []
            kept: list[str] = []
            changed: list[str] = []
            for index, (record, record_id) in enumerate(zip(records, ids, strict=True)):
                position = field_value(record, "position", None)
                values = {name: _text(field_value(record, name)) for name in RECORD_FIELDS}
                values.update(council=_text(field_value(record, "council")), source=source,
                              position=int(position) if position is not None else index)
                values["content_hash"] = content_hash(values)
                row = by_id.get(record_id)
                if row is None:
                    session.add(PlanRecordRow(record_id=record_id, first_seen=now, last_seen=now, in_plan=True,
                                              **values))
                    added.append(record_id)
                    continue
                (kept if row.in_plan else added).append(record_id)
                if row.in_plan and row.content_hash != values["content_hash"]:
                    changed.append(record_id)
                for name, value in values.items():
                    setattr(row, name, value)
                row.last_seen = now
                row.in_plan = True
            present = set(ids)
            removed = []
            for row in rows:
                if row.in_plan and row.record_id not in present:
                    row.in_plan = False
                    removed.append(row.record_id)
        return SyncResult(added=tuple(added), kept=tuple(kept), removed=tuple(removed), changed=tuple(changed))

    def list_records(self, council: str | None = None, in_plan: bool | None = True,
                     source: str | None = None) -> list[PlanRecord]:
        """Stored records ordered by council, source and position; ``in_plan=None`` means all."""
        query = select(PlanRecordRow)
        if council is not None:
            query = query.where(PlanRecordRow.council == council)
        if in_plan is not None:
            query = query.where(PlanRecordRow.in_plan.is_(in_plan))
        if source is not None:
            query = query.where(PlanRecordRow.source == source)
        query = query.order_by(PlanRecordRow.council, PlanRecordRow.source, PlanRecordRow.position,
                               PlanRecordRow.record_id)
        with self.database.read() as session:
            return [_record(row) for row in session.scalars(query)]

    def get_record(self, record_id: str) -> PlanRecord | None:
        with self.database.read() as session:
            row = session.get(PlanRecordRow, record_id)
            return _record(row) if row is not None else None

    # ------------------------------------------------------------------------ follow-up entries

    def add_followup_entry(self, record_id: str, status: str, comment: str = "", evidence: str = "",
                           entry_date: date | str | None = None, *, recorded_by: str) -> Entry:
        """Append a status report for ``record_id``; returns the stored entry.

        ``entry_date``: the date the status refers to (a date or "ÅÅÅÅ-MM-DD"; default today).
        ``evidence``: free text or a link. Raises :class:`UnknownRecordError`,
        :class:`InvalidStatusError` or :class:`InvalidEntryError`.
        """
        status = validate_status(status)
        who = _text(recorded_by)
        if not who:
            raise InvalidEntryError("Ange vem som registrerar uppföljningen.")
        if len(who) > MAX_USERNAME_LENGTH:
            raise InvalidEntryError(
                f"Namnet på den som registrerar är för långt (högst {MAX_USERNAME_LENGTH} tecken)."
            )
        when = _coerce_date(entry_date)
        with self.database.transaction() as session:
            if session.get(PlanRecordRow, record_id) is None:
                raise UnknownRecordError(f"Det finns ingen aktivitet med id {str(record_id)!r}.")
            row = FollowupEntryRow(record_id=record_id, status=status, comment=_text(comment),
                                   evidence=_text(evidence), entry_date=when, recorded_by=who,
                                   recorded_at=utcnow())
            session.add(row)
            session.flush()
            return _entry(row)

    def latest_entries(self, council: str | None = None,
                       record_ids: Iterable[str] | None = None) -> dict[str, Entry]:
        """The latest entry of every record that has one (optionally of one council / some ids)."""
        if record_ids is not None:
            wanted = sorted(set(record_ids))
            result: dict[str, Entry] = {}
            for chunk in _chunks(wanted):
                result.update(self._latest(council, chunk))
            return result
        return self._latest(council, None)

    def _latest(self, council: str | None, record_ids: Sequence[str] | None) -> dict[str, Entry]:
        rank = func.row_number().over(
            partition_by=FollowupEntryRow.record_id,
            order_by=(FollowupEntryRow.entry_date.desc(), FollowupEntryRow.id.desc()),
        ).label("rank")
        ranked = select(FollowupEntryRow.id, rank)
        if council is not None:
            ranked = ranked.join(PlanRecordRow, PlanRecordRow.record_id == FollowupEntryRow.record_id) \
                .where(PlanRecordRow.council == council)
        if record_ids is not None:
            ranked = ranked.where(FollowupEntryRow.record_id.in_(record_ids))
        ranked_subquery = ranked.subquery()
        query = select(FollowupEntryRow).join(ranked_subquery, ranked_subquery.c.id == FollowupEntryRow.id) \
            .where(ranked_subquery.c.rank == 1)
        with self.database.read() as session:
            return {row.record_id: _entry(row) for row in session.scalars(query)}

    def history(self, record_id: str) -> list[Entry]:
        """Every entry of ``record_id``, oldest first (by entry date, then by when it was recorded)."""
        with self.database.read() as session:
            if session.get(PlanRecordRow, record_id) is None:
                raise UnknownRecordError(f"Det finns ingen aktivitet med id {str(record_id)!r}.")
            query = select(FollowupEntryRow).where(FollowupEntryRow.record_id == record_id) \
                .order_by(FollowupEntryRow.entry_date, FollowupEntryRow.id)
            return [_entry(row) for row in session.scalars(query)]

    def all_entries(self) -> list[Entry]:
        """Every entry in the order they were recorded (for export)."""
        with self.database.read() as session:
            return [_entry(row) for row in session.scalars(select(FollowupEntryRow).order_by(FollowupEntryRow.id))]

    # ---------------------------------------------------------------------------- conversations

    def create_conversation(self, owner: str, title: str) -> Conversation:
        """A new, empty conversation of ``owner`` (the title is shortened to 200 characters)."""
        owner, title = _clean_owner(owner), _clean_title(title)
        now = utcnow()
        with self.database.transaction() as session:
            row = ConversationRow(id=uuid.uuid4().hex, owner=owner, title=title, created_at=now, updated_at=now)
            session.add(row)
            session.flush()
            return _conversation(row)

    def list_conversations(self, owner: str) -> list[Conversation]:
        """The conversations of ``owner``, the most recently used first."""
        query = select(ConversationRow).where(ConversationRow.owner == str(owner or "")) \
            .order_by(ConversationRow.updated_at.desc(), ConversationRow.created_at.desc(), ConversationRow.id)
        with self.database.read() as session:
            return [_conversation(row) for row in session.scalars(query)]

    def get_conversation(self, conversation_id: str, owner: str) -> Conversation | None:
        """The conversation when it exists and belongs to ``owner``, else None."""
        with self.database.read() as session:
            row = session.get(ConversationRow, str(conversation_id or ""))
            return _conversation(row) if row is not None and row.owner == owner else None

    def rename_conversation(self, conversation_id: str, owner: str, title: str) -> Conversation:
        title = _clean_title(title)
        with self.database.transaction() as session:
            row = self._own_conversation(session, conversation_id, owner)
            row.title = title
            return _conversation(row)

    def delete_conversation(self, conversation_id: str, owner: str) -> None:
        """Delete a conversation and its messages; feedback on it is kept (without the link)."""
        with self.database.transaction() as session:
            row = self._own_conversation(session, conversation_id, owner)
            message_ids = select(MessageRow.id).where(MessageRow.conversation_id == row.id)
            session.execute(update(FeedbackRow).where(FeedbackRow.message_id.in_(message_ids))
                            .values(message_id=None))
            session.execute(update(FeedbackRow).where(FeedbackRow.conversation_id == row.id)
                            .values(conversation_id=None))
            session.execute(delete(MessageRow).where(MessageRow.conversation_id == row.id))
            session.delete(row)

    def add_messages(self, conversation_id: str, owner: str, messages: Sequence[dict]) -> list[Message]:
        """Append ``messages`` (dicts: role, content, kind, display, citations, in_history, build_id).

        They get the next positions in the conversation; the conversation becomes the most recent.
        """
        prepared = []
        for index, message in enumerate(messages):
            role = str(message.get("role") or "")
            if role not in MESSAGE_ROLES:
                raise InvalidConversationError(f"Meddelande nr {index + 1} har en okänd roll {role!r}.")
            prepared.append(dict(role=role, kind=_text(message.get("kind")), content=str(message.get("content") or ""),
                                 display=str(message.get("display") or ""),
                                 citations=_json_list(message.get("citations")),
                                 in_history=bool(message.get("in_history", True)),
                                 build_id=_text(message.get("build_id"))[:64]))
        with self.database.transaction() as session:
            row = self._own_conversation(session, conversation_id, owner)
            last = session.scalar(select(func.max(MessageRow.position)).where(MessageRow.conversation_id == row.id))
            start = -1 if last is None else last
            now = utcnow()
            rows = [MessageRow(conversation_id=row.id, position=start + 1 + i, created_at=now, **values)
                    for i, values in enumerate(prepared)]
            session.add_all(rows)
            row.updated_at = now
            session.flush()
            return [_message(message_row) for message_row in rows]

    def conversation_messages(self, conversation_id: str, owner: str) -> list[Message]:
        """The messages of a conversation of ``owner``, in order."""
        with self.database.read() as session:
            row = self._own_conversation(session, conversation_id, owner)
            query = select(MessageRow).where(MessageRow.conversation_id == row.id).order_by(MessageRow.position)
            return [_message(message_row) for message_row in session.scalars(query)]

    @staticmethod
    def _own_conversation(session: Session, conversation_id: str, owner: str) -> ConversationRow:
        row = session.get(ConversationRow, str(conversation_id or ""))
        if row is None or row.owner != owner:  # someone else's conversation is as good as missing
            raise UnknownConversationError("Konversationen finns inte (den kan ha tagits bort).")
        return row

    # ---------------------------------------------------------------------------------- feedback

    def set_feedback(self, owner: str, rating: Any, *, question: str = "", answer: str = "",
                     citations: Sequence[dict] | None = None, build_id: str = "", comment: str | None = None,
                     conversation_id: str | None = None, message_id: int | None = None) -> Feedback:
        """Record a rating of an answer; returns the stored feedback.

        With ``message_id``, a second rating of the same message by the same owner replaces the first
        (and keeps its comment unless a new one is given). The question, answer, citations and build
        id are stored as copies.
        """
        owner, rating = _clean_owner(owner), validate_rating(rating)
        comment_text = None if comment is None else self._clean_comment(comment)
        now = utcnow()
        with self.database.transaction() as session:
            row = None
            if message_id is not None:
                row = session.scalars(select(FeedbackRow).where(FeedbackRow.message_id == int(message_id),
                                                                FeedbackRow.owner == owner)
                                      .order_by(FeedbackRow.id.desc()).limit(1)).one_or_none()
                if session.get(MessageRow, int(message_id)) is None:
                    message_id = None
            if conversation_id is not None and session.get(ConversationRow, str(conversation_id)) is None:
                conversation_id = None
            if row is None:
                row = FeedbackRow(owner=owner, rating=rating, comment=comment_text or "", question=_text(question),
                                  answer=str(answer or ""), citations=_json_list(citations),
                                  build_id=_text(build_id)[:64], conversation_id=conversation_id,
                                  message_id=message_id, created_at=now, updated_at=now)
                session.add(row)
            else:
                row.rating, row.updated_at = rating, now
                if comment_text is not None:
                    row.comment = comment_text
            session.flush()
            return _feedback(row)

    def set_feedback_comment(self, feedback_id: int, owner: str, comment: str) -> Feedback:
        comment = self._clean_comment(comment)
        with self.database.transaction() as session:
            row = self._own_feedback(session, feedback_id, owner)
            row.comment, row.updated_at = comment, utcnow()
            return _feedback(row)

    def delete_feedback(self, feedback_id: int, owner: str) -> None:
        """Withdraw a rating (the user clicked the same thumb again)."""
        with self.database.transaction() as session:
            session.delete(self._own_feedback(session, feedback_id, owner))

    def message_feedback(self, message_id: int, owner: str) -> Feedback | None:
        """The rating ``owner`` gave the message ``message_id``, if any."""
        query = select(FeedbackRow).where(FeedbackRow.message_id == int(message_id), FeedbackRow.owner == owner) \
            .order_by(FeedbackRow.id.desc()).limit(1)
        with self.database.read() as session:
            row = session.scalars(query).one_or_none()
            return _feedback(row) if row is not None else None

    def all_feedback(self) -> list[Feedback]:
        """Every feedback in the order it was given (for export)."""
        with self.database.read() as session:
            return [_feedback(row) for row in session.scalars(select(FeedbackRow).order_by(FeedbackRow.id))]

    @staticmethod
    def _clean_comment(comment: Any) -> str:
        text = str(comment or "").strip()
        if len(text) > MAX_COMMENT_LENGTH:
            raise InvalidFeedbackError(f"Kommentaren är för lång (högst {MAX_COMMENT_LENGTH} tecken).")
        return text

    @staticmethod
    def _own_feedback(session: Session, feedback_id: int, owner: str) -> FeedbackRow:
        try:
            row = session.get(FeedbackRow, int(feedback_id))
        except (TypeError, ValueError):
            row = None
        if row is None or row.owner != owner:
            raise InvalidFeedbackError("Betyget finns inte (det kan ha tagits tillbaka).")
        return row

    # ------------------------------------------------------------------------------------ users

    def add_user(self, username: str, password: str, role: str = "reader") -> User:
        """Create a user; raises :class:`UserExistsError` when the name is taken (in any case)."""
        name = _clean_username(username)
        role = validate_role(role)
        password_hash = self.hasher.hash(_check_password(password))  # slow: before the transaction
        try:
            with self.database.transaction() as session:
                if self._find(session, name) is not None:
                    raise UserExistsError(f"Det finns redan en användare som heter {name!r}.")
                row = UserRow(username=name, username_key=username_key(name), password_hash=password_hash,
                              role=role, created_at=utcnow(), disabled=False)
                session.add(row)
                session.flush()
                return _user(row)
        except IntegrityError:  # created concurrently by someone else
            raise UserExistsError(f"Det finns redan en användare som heter {name!r}.") from None

    def get_user(self, username: str) -> User | None:
        with self.database.read() as session:
            row = self._find(session, username)
            return _user(row) if row is not None else None

    def list_users(self) -> list[User]:
        with self.database.read() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.username_key))]

    def remove_user(self, username: str) -> None:
        """Delete a user. Follow-up entries keep the name they were recorded by."""
        with self.database.transaction() as session:
            row = self._require(session, username)
            self._guard_last_admin(session, row, "ta bort")
            session.delete(row)

    def set_role(self, username: str, role: str) -> User:
        role = validate_role(role)
        with self.database.transaction() as session:
            row = self._require(session, username)
            if role != "admin":
                self._guard_last_admin(session, row, "ta administratörsrollen från")
            row.role = role
            return _user(row)

    def set_disabled(self, username: str, disabled: bool = True) -> User:
        """Disable (or re-enable) a user; a disabled user cannot log in."""
        with self.database.transaction() as session:
            row = self._require(session, username)
            if disabled:
                self._guard_last_admin(session, row, "inaktivera")
            row.disabled = bool(disabled)
            return _user(row)

    def set_password(self, username: str, password: str) -> None:
        password_hash = self.hasher.hash(_check_password(password))
        with self.database.transaction() as session:
            self._require(session, username).password_hash = password_hash

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when the name and password match and the user is not disabled, else None.

        Takes about as long for unknown names as for wrong passwords. A hash made with outdated
        parameters is replaced after a successful check.
        """
        if not isinstance(password, str) or not isinstance(username, str):
            return None
        with self.database.read() as session:
            row = self._find(session, username)
            found = (row.id, row.password_hash, _user(row)) if row is not None else None
        if found is None:
            self._verify(self._dummy(), password)
            return None
        user_id, stored_hash, user = found
        if not self._verify(stored_hash, password) or user.disabled:
            return None
        if self.hasher.check_needs_rehash(stored_hash):
            new_hash = self.hasher.hash(password)
            with self.database.transaction() as session:
                # Only if the hash was not changed meanwhile (e.g. a concurrent password change).
                session.execute(update(UserRow).where(UserRow.id == user_id, UserRow.password_hash == stored_hash)
                                .values(password_hash=new_hash))
        return user

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("not a real password, only for timing")
        return self._dummy_hash

    @staticmethod
    def _find(session: Session, username: str) -> UserRow | None:
        key = username_key(unicodedata.normalize("NFKC", str(username or "")).strip())
        return session.scalars(select(UserRow).where(UserRow.username_key == key)).one_or_none()

    def _require(self, session: Session, username: str) -> UserRow:
        row = self._find(session, username)
        if row is None:
            raise UnknownUserError(f"Det finns ingen användare som heter {str(username)!r}.")
        return row

    def _guard_last_admin(self, session: Session, row: UserRow, action: str) -> None:
        if row.role != "admin" or row.disabled:
            return
        self.database.advisory_lock(session, _ADMIN_LOCK)
        others = session.scalar(select(func.count()).select_from(UserRow).where(
            UserRow.role == "admin", UserRow.disabled.is_(False), UserRow.id != row.id))
        if not others:
            raise LastAdminError(
                f"Det går inte att {action} {row.username!r}: det måste finnas minst en aktiv administratör."
            )
