"""The application database: plan records with stable ids, the follow-up history, users, chat
conversations and feedback on answers.

Quick start::

    from assistant.db import Repository, default_database_url, open_database

    db = open_database(default_database_url(PROJECT_ROOT))   # creates/upgrades the schema
    repo = Repository(db)
    result = repo.sync_plan_records("plan.pdf", records)
    repo.add_followup_entry(result.added[0], "Pågår", comment="Start i mars", recorded_by="anna")

The database URL will be the setting ``ASSISTANT_DATABASE_URL`` (default
``sqlite:///<project>/var/app.db``, see :func:`default_database_url`); PostgreSQL works through
``postgresql+psycopg://user:password@host/dbname``. See :mod:`assistant.db.database` for opening and
migrations, :mod:`assistant.db.repository` for the API and :mod:`assistant.db.record_ids` for how
record ids stay stable.
"""

from assistant.db.database import (
    DATABASE_URL_ENV,
    Database,
    DatabaseConnectionError,
    DatabaseError,
    DatabaseVersionError,
    MigrationLockTimeout,
    UnsupportedDatabaseError,
    default_database_url,
    head_revision,
    open_database,
)
from assistant.db.errors import (
    DatabaseValidationError,
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
from assistant.db.models import RATINGS, ROLES, STATUSES
from assistant.db.record_ids import assign_record_ids
from assistant.db.repository import (
    Conversation,
    Entry,
    Feedback,
    Message,
    PlanRecord,
    Repository,
    SyncResult,
    User,
)

__all__ = [
    "DATABASE_URL_ENV", "RATINGS", "ROLES", "STATUSES",
    "Conversation", "Feedback", "InvalidConversationError", "InvalidFeedbackError", "Message",
    "UnknownConversationError",
    "Database", "DatabaseConnectionError", "DatabaseError", "DatabaseValidationError", "DatabaseVersionError", "Entry",
    "InvalidEntryError", "InvalidPasswordError", "InvalidRecordError", "InvalidRoleError",
    "InvalidStatusError", "InvalidUsernameError", "LastAdminError", "MigrationLockTimeout", "PlanRecord",
    "Repository", "SyncResult", "UnknownRecordError", "UnknownUserError", "UnsupportedDatabaseError", "User",
    "UserExistsError", "assign_record_ids", "default_database_url", "head_revision", "open_database",
]
