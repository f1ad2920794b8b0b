"""Validation errors of the database API. All are ``ValueError``s; every message is Swedish and
meant for the user (show ``str(error)`` as it is)."""

from __future__ import annotations


class DatabaseValidationError(ValueError):
    """Base class: the input was refused; nothing was written."""


class UnknownRecordError(DatabaseValidationError):
    """No plan record has the given id."""


class InvalidStatusError(DatabaseValidationError):
    """The status is not one of :data:`assistant.db.models.STATUSES`."""


class InvalidEntryError(DatabaseValidationError):
    """A follow-up entry field (date, recorded by, ...) is invalid."""


class InvalidRecordError(DatabaseValidationError):
    """A plan record given to ``sync_plan_records`` is invalid."""


class InvalidUsernameError(DatabaseValidationError):
    pass


class InvalidPasswordError(DatabaseValidationError):
    pass


class InvalidRoleError(DatabaseValidationError):
    """The role is not one of :data:`assistant.db.models.ROLES`."""


class UserExistsError(DatabaseValidationError):
    pass


class UnknownUserError(DatabaseValidationError):
    pass


class LastAdminError(DatabaseValidationError):
    """The change would leave no active administrator."""


class UnknownConversationError(DatabaseValidationError):
    """No conversation with the given id belongs to the given owner."""


class InvalidConversationError(DatabaseValidationError):
    """A conversation or message field (owner, title, role …) is invalid."""


class InvalidFeedbackError(DatabaseValidationError):
    """A feedback field (rating, comment …) is invalid, or the feedback is unknown."""
