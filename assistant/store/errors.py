"""Index errors; every message is meant for the user and names the fix."""

from __future__ import annotations

REBUILD_HINT = "Bygg om indexet med `assistant ingest --rebuild`."


class IndexError_(Exception):
    """Base class for index problems; messages are meant for the user."""


class IndexNotFound(IndexError_):
    pass


class IndexDamaged(IndexError_):
    pass


class IngestBusy(IndexError_):
    pass


class IndexStorageError(IndexError_):
    """The index folder or the vector store could not be written or read (a read-only folder, a full
    disk, a file-system or Chroma error); the message names the (relative) path. CLI exit code 6."""
