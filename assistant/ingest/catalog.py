"""The corpus catalog as users change it: metadata set at upload or later, provenance, removed documents.

``corpus/catalog.json`` maps a file name to its metadata (``{"documents": {name: {...}}}``, read by
:func:`assistant.ingest.corpus.load_catalog`). Besides the metadata the pipeline reads (title,
council, doc_type, period, url) an entry carries its **provenance**:

* ``added_by`` / ``added_at``: who uploaded (or last replaced) the file and when (UTC, ISO 8601);
* ``reviewed``: False for an upload nobody has checked yet; ``reviewed_by`` / ``reviewed_at`` once an
  editor has marked it reviewed.

An entry without ``reviewed`` (the seed documents, entries written by hand) and a file without an
entry (put into ``corpus/`` by whoever runs the server) count as reviewed: only uploads through the
app or ``assistant documents`` start out unreviewed.

Every change is a read-modify-write under an exclusive file lock (``index/.catalog.lock``) and is
written atomically (temporary file, fsync, rename), so a crash leaves the old or the new catalog,
never half of one. A removed or replaced file is never deleted: it is moved to ``corpus/.removed/``
with its catalog entry next to it (hidden folders are not indexed).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

from assistant.ingest.corpus import infer_council, infer_doc_type, infer_period, infer_title, read_text
from assistant.settings import Settings

#: The metadata a user may set (at upload, with ``assistant documents set`` or in the Dokument tab).
METADATA_FIELDS = ("title", "council", "doc_type", "period")
#: Provenance fields written by the app (never taken from a user's metadata form).
PROVENANCE_FIELDS = ("added_by", "added_at", "reviewed", "reviewed_by", "reviewed_at")
#: Where removed and replaced files are kept (inside the corpus folder, hidden, so never indexed).
ARCHIVE_DIR = ".removed"
LOCK_FILE = ".catalog.lock"
MAX_FIELD_CHARS = 300  # a metadata value longer than this is cut (titles are shown in lists and filters)

_thread_lock = threading.RLock()
_held = threading.local()


class CatalogError(Exception):
    """The catalog cannot be read or written; the message is meant for the user."""


class UnknownDocumentError(LookupError):
    """No document in the corpus has the given name; the message is meant for the user."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0]) if self.args else ""


class DocumentRejected(ValueError):
    """A document that was not added (or not replaced): unreadable, empty, too large …; for the user."""


def now_iso() -> str:
    """The current time in UTC, to the second: ``2026-12-01T19:55:02+00:00``."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def catalog_path(settings: Settings) -> Path:
    return Path(settings.corpus_dir) / settings.catalog_file


def is_reviewed(meta: dict | None) -> bool:
    """Whether a catalog entry counts as reviewed (no entry, or no ``reviewed`` field, counts as reviewed)."""
    if not meta:
        return True
    value = meta.get("reviewed", True)
    return not (value is False or str(value).strip().lower() in ("false", "0", "nej", "no"))


def provenance(meta: dict | None) -> dict:
    """The provenance of one entry: added_by, added_at, reviewed, reviewed_by, reviewed_at ("" when unknown)."""
    meta = meta or {}
    return {"added_by": str(meta.get("added_by") or ""), "added_at": str(meta.get("added_at") or ""),
            "reviewed": is_reviewed(meta), "reviewed_by": str(meta.get("reviewed_by") or ""),
            "reviewed_at": str(meta.get("reviewed_at") or "")}


def clean_metadata(fields: dict | None) -> dict[str, str]:
    """The user-settable fields of ``fields`` (:data:`METADATA_FIELDS`), trimmed; empty values left out."""
    cleaned = {}
    for key in METADATA_FIELDS:
        value = (fields or {}).get(key)
        if value is None:
            continue
        text = " ".join(str(value).split())[:MAX_FIELD_CHARS]
        if text:
            cleaned[key] = text
    return cleaned


def read_catalog_file(settings: Settings) -> dict:
    """The whole catalog file as a dict with a ``documents`` mapping (empty when there is none).

    Raises :class:`CatalogError` when the file exists but is not valid JSON: a change must never
    overwrite a catalog someone has broken by hand (reading for the index tolerates it, see load_catalog).
    """
    path = catalog_path(settings)
    if not path.exists():
        return {"documents": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogError(f"Katalogen {settings.catalog_file} kunde inte läsas ({type(exc).__name__}); "
                           "rätta eller ta bort filen och försök igen.") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"Katalogen {settings.catalog_file} har fel format (ett JSON-objekt väntades).")
    if "documents" not in data:  # the old flat format: name → metadata
        data = {"documents": {k: v for k, v in data.items() if isinstance(v, dict)}}
    if not isinstance(data["documents"], dict):
        raise CatalogError(f"Katalogen {settings.catalog_file} har fel format (”documents” ska vara ett objekt).")
    return data


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    with contextlib.suppress(OSError):  # the rename itself survives a power cut once the folder is synced
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def catalog_lock(settings: Settings):
    """Exclusive lock for changing the corpus and its catalog (threads and processes); re-entrant in a thread."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    Path(settings.corpus_dir).mkdir(parents=True, exist_ok=True)
    folder = Path(settings.index_dir)  # beside the ingest lock, so the corpus folder holds documents only
    folder.mkdir(parents=True, exist_ok=True)
    with _thread_lock, open(folder / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


def _save(settings: Settings, data: dict) -> None:
    _write_atomically(catalog_path(settings), json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def get_entry(settings: Settings, name: str) -> dict | None:
    """The catalog entry of ``name`` (a copy), or None."""
    entry = read_catalog_file(settings)["documents"].get(name)
    return dict(entry) if isinstance(entry, dict) else None


def update_entry(settings: Settings, name: str, fields: dict, *, remove: tuple[str, ...] = ()) -> dict:
    """Set ``fields`` in the entry of ``name`` (created when missing), drop the keys in ``remove``;
    returns the new entry."""
    with catalog_lock(settings):
        data = read_catalog_file(settings)
        entry = dict(data["documents"].get(name) or {})
        entry.update(fields)
        for key in remove:
            entry.pop(key, None)
        data["documents"][name] = entry
        _save(settings, data)
        return dict(entry)


def put_entry(settings: Settings, name: str, entry: dict | None) -> None:
    """Replace the entry of ``name`` with ``entry`` (None removes it)."""
    with catalog_lock(settings):
        data = read_catalog_file(settings)
        if entry is None:
            if name not in data["documents"]:
                return
            data["documents"].pop(name)
        else:
            data["documents"][name] = dict(entry)
        _save(settings, data)


def suggest_metadata(path: Path) -> dict[str, str]:
    """Title, council, doc_type and period as the pipeline would infer them from the file's text (the
    upload form's defaults); raises :class:`assistant.ingest.corpus.DocumentError` for an unreadable file."""
    text = read_text(path)
    title = infer_title(text.split("\n"))
    return {"title": title, "council": infer_council(text), "doc_type": infer_doc_type(title),
            "period": infer_period(title)}


def archive_file(settings: Settings, path: Path, entry: dict | None, reason: str, by: str) -> Path:
    """Move ``path`` into ``corpus/.removed/`` (with its catalog entry beside it as JSON); returns where.

    The file keeps its name after a time stamp: ``.removed/20261201T195502Z-plan.pdf``. A copy is made
    first and the original removed only after it, so a crash leaves the file in one place or both.
    """
    folder = Path(settings.corpus_dir) / ARCHIVE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{stamp}-{uuid.uuid4().hex[:4]}-{path.name}"
    shutil.copy2(path, target)
    note = {"source": path.name, "reason": reason, "by": by, "at": now_iso(), "catalog_entry": entry}
    _write_atomically(target.with_name(target.name + ".json"), json.dumps(note, ensure_ascii=False, indent=2) + "\n")
    return target


def restore_file(archived: Path, target: Path) -> None:
    """Put an archived file back at ``target`` (atomically)."""
    tmp = target.with_name(f".{target.name}.restore")
    shutil.copy2(archived, tmp)
    os.replace(tmp, target)


__all__ = [
    "ARCHIVE_DIR", "METADATA_FIELDS", "PROVENANCE_FIELDS", "CatalogError", "DocumentRejected", "UnknownDocumentError",
    "archive_file", "catalog_lock", "catalog_path", "clean_metadata", "get_entry", "infer_period", "is_reviewed",
    "now_iso", "provenance", "put_entry", "read_catalog_file", "restore_file", "suggest_metadata", "update_entry",
]
