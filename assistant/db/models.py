"""ORM models (SQLAlchemy 2, typed declarative) for the application database.

The schema itself is owned by the Alembic migrations in ``assistant/db/migrations/versions``; these
models must describe exactly what the migrations create (a test compares them with
``alembic.autogenerate.compare_metadata``). Change both together: edit a model, then add a migration.

The rows are internal: the repository converts them to plain dataclasses before they leave a session.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# The five follow-up statuses, in workflow order. Exactly these strings are stored.
STATUSES: tuple[str, ...] = ("Ej påbörjad", "Pågår", "Klar", "Försenad", "Struken")
# User roles, least to most privileged.
ROLES: tuple[str, ...] = ("reader", "editor", "admin")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in_list(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"{column} IN ({quoted})"


STATUS_CHECK_SQL = _in_list("status", STATUSES)
ROLE_CHECK_SQL = _in_list("role", ROLES)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored as UTC; always read back as an aware UTC datetime.

    SQLite has no timezone type (SQLAlchemy stores a naive ISO string there), so values are
    normalised to UTC on the way in and tagged as UTC on the way out, on every backend.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC timestamp column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PlanRecordRow(Base):
    """One activity record ever seen in a plan; kept (``in_plan=False``) when it leaves the plan."""

    __tablename__ = "plan_records"

    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    council: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    activity: Mapped[str] = mapped_column(Text)
    focus_area: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(Text, default="")
    timeline: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    in_plan: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        Index("ix_plan_records_source", "source"),
        Index("ix_plan_records_council", "council"),
    )


class FollowupEntryRow(Base):
    """One follow-up status report for a record. Append-only: rows are never updated or deleted."""

    __tablename__ = "followup_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(64), ForeignKey("plan_records.record_id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    entry_date: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        CheckConstraint(STATUS_CHECK_SQL, name="status"),
        Index("ix_followup_entries_record_id_entry_date", "record_id", "entry_date"),
    )


class UserRow(Base):
    """An application user. ``username_key`` (case-folded) makes names unique regardless of case."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(150))
    username_key: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (CheckConstraint(ROLE_CHECK_SQL, name="role"),)


class AppendOnlyViolation(RuntimeError):
    """Raised when code tries to update or delete a follow-up entry through the ORM."""


@event.listens_for(FollowupEntryRow, "before_update")
def _refuse_update(mapper, connection, target) -> None:  # noqa: ANN001 - SQLAlchemy event signature
    raise AppendOnlyViolation("followup_entries är append-only: lägg till en ny rad i stället för att ändra")


@event.listens_for(FollowupEntryRow, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:  # noqa: ANN001 - SQLAlchemy event signature
    raise AppendOnlyViolation("followup_entries är append-only: rader tas aldrig bort")


# A feedback rating (thumbs up or down); exactly these strings are stored.
RATINGS: tuple[str, ...] = ("up", "down")
# Who wrote a chat message.
MESSAGE_ROLES: tuple[str, ...] = ("user", "assistant")
RATING_CHECK_SQL = _in_list("rating", RATINGS)
MESSAGE_ROLE_CHECK_SQL = _in_list("role", MESSAGE_ROLES)


class ConversationRow(Base):
    """A chat conversation of one owner ("user:<name>" with a login, else "browser:<random id>")."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_conversations_owner_updated_at", "owner", "updated_at"),)


class MessageRow(Base):
    """One message of a conversation, in order (``position``).

    ``content``: the plain text (the question, or the answer text the follow-up state is built from);
    ``display``: the HTML shown in the chat; ``citations``: the answer's citations as JSON;
    ``in_history``: part of the follow-up state (a draft or a refused question is shown but is not).
    """

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(32), ForeignKey("conversations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    display: Mapped[str] = mapped_column(Text, default="")
    citations: Mapped[str] = mapped_column(Text, default="[]")
    in_history: Mapped[bool] = mapped_column(Boolean, default=True)
    build_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        CheckConstraint(MESSAGE_ROLE_CHECK_SQL, name="role"),
        Index("ix_messages_conversation_id_position", "conversation_id", "position", unique=True),
    )


class FeedbackRow(Base):
    """A thumbs up/down on an answer, with copies of the question, answer, citations and index build.

    The copies keep the feedback meaningful after its conversation is deleted (the links become NULL).
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True)
    message_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("messages.id", ondelete="SET NULL"), nullable=True)
    owner: Mapped[str] = mapped_column(String(200))
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    citations: Mapped[str] = mapped_column(Text, default="[]")
    build_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        CheckConstraint(RATING_CHECK_SQL, name="rating"),
        Index("ix_feedback_message_id", "message_id"),
    )
