"""One facade over the pipeline, shared by the CLI and the web app.

It loads the index and the embedder lazily, reloads the index when a new build is published (so
answers switch from the old index to the new one without a restart), and serialises ingests. The
follow-up workflow (``Assistant.followup``) opens the application database lazily, and every ingest
registers the plans' activity records there (when a database is in use).
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assistant import __version__
from assistant.answer.engine import Answer, answer_question
from assistant.db import Repository, open_database
from assistant.embedding import get_embedder
from assistant.followup import (
    FollowupTracker,
    build_summary,
    database_in_use,
    default_user,
    resolve_database_url,
    summary_reply,
)
from assistant.ingest.pipeline import IngestReport, ingest
from assistant.settings import Settings, get_settings
from assistant.store.build import current_build_dir
from assistant.store.loaded import LoadedIndex, load_index

log = logging.getLogger(__name__)


@dataclass
class Reply:
    """What a chat message gets: an answer, or a follow-up draft as Markdown (``kind == "summary"``)."""

    kind: Literal["answer", "summary"]
    answer: Answer | None = None
    markdown: str | None = None


class Assistant:
    """Ask questions, list documents, add documents and re-index."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self._index: LoadedIndex | None = None
        self._pointer_stamp: tuple[int, int, int] | None = None
        self._embedder = None
        self._lock = threading.Lock()
        self._followup: FollowupTracker | None = None
        self._followup_lock = threading.Lock()

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = get_embedder(self.settings)
        return self._embedder

    @property
    def index(self) -> LoadedIndex:
        """The active build; reopened when ``CURRENT`` points at a newer one.

        A stat of the pointer file per question (it is replaced atomically, so a new build changes
        its inode and time); it is only read when that changes.
        """
        stamp = _file_stamp(Path(self.settings.index_dir) / "CURRENT")
        with self._lock:
            if self._index is None or stamp != self._pointer_stamp:
                current = current_build_dir(self.settings)
                if self._index is None or (current is not None and current != self._index.build_dir):
                    self._index = load_index(self.settings)
                self._pointer_stamp = stamp
            return self._index

    @property
    def followup(self) -> FollowupTracker:
        """The follow-up workflow (statuses per activity) over the application database.

        The database (``settings.database_url``, default ``<project>/var/app.db``) is opened, created
        or upgraded on first use; the index's activity records are registered before the first
        follow-up command. Raises :class:`assistant.db.DatabaseError` when it cannot be opened.
        """
        with self._followup_lock:
            if self._followup is None:
                database = open_database(resolve_database_url(self.settings))
                self._followup = FollowupTracker(Repository(database), lambda: self.index,
                                                 user=default_user(self.settings))
            return self._followup

    def _followup_in_use(self) -> FollowupTracker | None:
        """The follow-up workflow when a database is in use (configured, existing or already open), else None."""
        if self._followup is None and not database_in_use(self.settings):
            return None
        return self.followup

    def ask(self, question: str, history=None, councils: list[str] | None = None,
            sources: list[str] | None = None) -> Answer:
        """Answer a question; ``history`` holds the earlier turns of the conversation."""
        return answer_question(self.index, self.embedder, self.settings, question, history, councils, sources)

    def respond(self, text: str, history=None, councils: list[str] | None = None,
                sources: list[str] | None = None) -> Reply:
        """The one routing point for a chat message: a follow-up draft request or a question.

        "Sammanfatta uppföljningen för Södra" gives the draft (Markdown); anything else is answered as a
        question with the history, council and document filters. A draft request that cannot be
        parsed or built falls back to answering it as a question (the CLI, the chat UI and the API
        all route through here).
        """
        text = text if isinstance(text, str) else ""
        if text.strip():
            try:
                draft = self.summary_reply(text.strip())
            except Exception:  # a broken draft must not hide the question path
                log.warning("summary_reply failed; answering as a question", exc_info=True)
                draft = None
            if draft is not None:
                return Reply(kind="summary", markdown=draft)
        return Reply(kind="answer", answer=self.ask(text, history, councils=councils, sources=sources))

    def summary(self, councils=None, period=None, keyword=None, focus_area=None, date_field="any"):
        """A follow-up draft (assistant.followup.FollowUpSummary) of the councils' activity plans.

        When a database is in use, the rows carry its record ids and the latest entries fill Status
        and Kommentar; a database that cannot be read leaves them as in the plans (logged).
        """
        index = self.index
        record_ids = entries = None
        try:
            tracker = self._followup_in_use()
            if tracker is not None:
                record_ids, entries = tracker.record_ids(index), tracker.latest_entries()
        except Exception:  # the draft must not depend on the database being reachable
            log.warning("follow-up data unavailable; the draft has no statuses", exc_info=True)
            record_ids = entries = None
        return build_summary(index, councils=councils, period=period, keyword=keyword,
                             focus_area=focus_area, date_field=date_field, record_ids=record_ids, entries=entries)

    def summary_reply(self, text: str) -> str | None:
        """Markdown when a chat message asks for a follow-up draft, else None."""
        return summary_reply(self.index, text)

    def ingest(self, rebuild: bool = False, progress=None) -> IngestReport:
        report = ingest(self.settings, rebuild=rebuild, progress=progress, embedder=self.embedder, lock_wait_s=30.0)
        with self._lock:
            self._index = None
        self.sync_followup()
        return report

    def sync_followup(self) -> bool:
        """Register the index's activity records in the database (when one is in use); True when done.

        Called after every ingest, so follow-up entries stay attached to their activities when a plan
        is re-ingested; a failure is logged and never fails the ingest (the next follow-up command
        syncs again).
        """
        try:
            tracker = self._followup_in_use()
            if tracker is None:
                return False
            tracker.sync(self.index, force=True)
            return True
        except Exception:
            log.warning("could not register the activity records in the database", exc_info=True)
            return False

    def ensure_index(self, progress=None) -> IngestReport | None:
        """Build the index if there is none yet."""
        if current_build_dir(self.settings) is None:
            return self.ingest(progress=progress)
        return None

    def documents(self) -> list[dict]:
        """Indexed documents with their metadata and chunk counts."""
        return [{"source": name, **meta} for name, meta in sorted(self.index.documents().items())]

    def document_chunks(self, source: str) -> list[dict]:
        return [
            {"lines": [c.line_start, c.line_end], "kind": c.kind, "section": c.section, "text": c.text}
            for c in self.index.chunks if c.source == source
        ]

    def document_lines(self, source: str) -> list[str]:
        return self.index.doc_lines.get(source, [])

    def add_document(self, uploaded: Path, overwrite: bool = False) -> Path:
        """Copy an uploaded file into the corpus under a safe name; never overwrites unless asked."""
        name = safe_filename(uploaded.name)
        if Path(name).suffix.lower() not in self.settings.supported_suffixes:
            raise ValueError(f"Filtypen stöds inte ({Path(name).suffix or 'saknas'}). Tillåtna: "
                             + ", ".join(self.settings.supported_suffixes))
        size = uploaded.stat().st_size
        if size > self.settings.max_file_bytes:
            raise ValueError(f"Filen är för stor ({size // (1024 * 1024)} MB).")
        target = Path(self.settings.corpus_dir) / name
        if target.exists() and not overwrite:
            raise FileExistsError(f"Det finns redan ett dokument som heter {name}.")
        tmp = target.with_name(f".{name}.upload")
        shutil.copyfile(uploaded, tmp)
        tmp.replace(target)
        return target

    def status(self) -> dict:
        """Facts for the status page."""
        info: dict = {"version": __version__, "embedding_model": str(self.settings.embedding_model_path.name),
                      "llm_backend": self.settings.llm_base_url or "inget (inbyggd svarsmotor)",
                      "vector_store": self.settings.vector_store}
        try:
            index = self.index
        except Exception as exc:  # surfaced as text on the status page
            info["index"] = str(exc)
            return info
        manifest = index.manifest
        info.update({
            "index_build": index.build_id, "built_at": manifest.get("built_at"),
            "build_seconds": manifest.get("build_seconds"), "documents": len(manifest.get("documents", {})),
            "chunks": manifest.get("chunk_count"), "chunks_by_kind": manifest.get("chunks_by_kind"),
            "records": len(index.records), "skipped": manifest.get("skipped", []),
        })
        return info


def _file_stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def safe_filename(name: str) -> str:
    """A file name without path parts or odd characters (Swedish letters and spaces kept)."""
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r"[^\w åäöÅÄÖ.()-]", "_", name).strip(" .")
    if len(name) > 120:  # shorten the stem, never the file type
        suffix = Path(name).suffix[:10]
        name = name[:120 - len(suffix)].rstrip(" .") + suffix
    return name or f"dokument-{int(time.time())}.txt"
