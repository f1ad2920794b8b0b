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
from collections import Counter
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
from assistant.followup.status_questions import status_reply
from assistant.ingest.catalog import (
    CatalogError,
    DocumentRejected,
    UnknownDocumentError,
    archive_file,
    catalog_lock,
    catalog_path,
    clean_metadata,
    get_entry,
    is_reviewed,
    now_iso,
    provenance,
    put_entry,
    restore_file,
    update_entry,
)
from assistant.ingest.corpus import find_documents, load_catalog
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
        self._catalog_stamp: tuple[int, int, int] | None = None
        self._unreviewed: frozenset[str] = frozenset()

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

    @property
    def repository(self) -> Repository:
        """The application database's repository (users, plan records, follow-up); opened on first use."""
        return self.followup.repository

    def database_in_use(self) -> bool:
        """Whether an application database is configured, exists or is already open."""
        return self._followup is not None or database_in_use(self.settings)

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
        """The one routing point for a chat message: a follow-up draft request, a status question or a question.

        "Sammanfatta uppföljningen för Södra" gives the draft (Markdown); a question on the recorded
        statuses ("Vad återstår för Mellansverige i år?") is answered from the follow-up entries
        (:meth:`status_reply`); anything else is answered as a
        question with the history, council and document filters. A draft request that cannot be
        parsed or built falls back to answering it as a question (the CLI, the chat UI and the API
        all route through here).
        """
        text = text if isinstance(text, str) else ""
        if text.strip() and len(text) <= self.settings.max_question_chars:  # too long: ask() says so at once
            try:
                draft = self.summary_reply(text.strip())
            except Exception:  # a broken draft must not hide the question path
                log.warning("summary_reply failed; answering as a question", exc_info=True)
                draft = None
            if draft is not None:
                return Reply(kind="summary", markdown=draft)
            try:
                status = self.status_reply(text.strip(), councils=councils)
            except Exception:  # a broken status lookup must not hide the question path
                log.warning("status_reply failed; answering as a question", exc_info=True)
                status = None
            if status is not None:
                return Reply(kind="answer", answer=status)
        return Reply(kind="answer", answer=self.ask(text, history, councils=councils, sources=sources))

    def status_reply(self, text: str, councils: list[str] | None = None) -> Answer | None:
        """The answer from the follow-up entries when a chat message asks about statuses ("Vilka
        aktiviteter i Södra är försenade?", "Vad är status för handledarfrågan?"), else None.
        ``councils`` (the chat's council filter) applies when the question names none."""
        return status_reply(self._followup_in_use, self.index, text, councils=councils)  # opened only when asked

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

    def add_document(self, uploaded: Path, overwrite: bool = False, metadata: dict | None = None,
                     added_by: str | None = None) -> Path:
        """Copy an uploaded file into the corpus under a safe name; never overwrites unless asked.

        Its catalog entry gets ``metadata`` (title, council, doc_type, period; empty → inferred from the
        text) and its provenance: ``added_by`` (default "okänd"), ``added_at``, ``reviewed: False``. The
        entry is written before the file, so a crash in between leaves an entry without a file
        (harmless), never an upload that would count as reviewed. An overwritten file is archived first.
        """
        name = self._check_upload(uploaded)
        target = Path(self.settings.corpus_dir) / name
        with catalog_lock(self.settings):
            if target.exists() and not overwrite:
                raise FileExistsError(f"Det finns redan ett dokument som heter {name}.")
            if target.exists():
                archive_file(self.settings, target, get_entry(self.settings, name), "ersatt", added_by or "okänd")
            put_entry(self.settings, name, {**clean_metadata(metadata), "added_by": added_by or "okänd",
                                            "added_at": now_iso(), "reviewed": False})
            _copy_atomically(uploaded, target)
        return target

    def _check_upload(self, uploaded: Path) -> str:
        """The safe corpus name of an uploaded file; ValueError for a file type or size the corpus takes not."""
        name = safe_filename(uploaded.name)
        if Path(name).suffix.lower() not in self.settings.supported_suffixes:
            raise ValueError(f"Filtypen stöds inte ({Path(name).suffix or 'saknas'}). Tillåtna: "
                             + ", ".join(self.settings.supported_suffixes))
        size = uploaded.stat().st_size
        if size > self.settings.max_file_bytes:
            raise ValueError(f"Filen är för stor ({size // (1024 * 1024)} MB).")
        return name

    # -- documents users manage: upload, remove, replace, metadata, review (corpus/catalog.json) ----------
    def upload_document(self, uploaded: Path, metadata: dict | None = None, added_by: str | None = None,
                        progress=None) -> dict:
        """Add a file to the corpus and index it; returns its ingest report (:meth:`document_report`).

        A file the index could not take is removed again (file and catalog entry) and
        :class:`DocumentRejected` raised with the reason; a failed ingest removes it too and re-raises.
        """
        target = self.add_document(uploaded, metadata=metadata, added_by=added_by)
        try:
            report = self.ingest(progress=progress)
        except Exception:
            self._undo_add(target)
            raise
        reason = dict(report.skipped).get(target.name)
        if reason:
            self._undo_add(target)
            raise DocumentRejected(f"Filen {target.name} lades inte till: {reason}")
        return self.document_report(target.name, report)

    def _undo_add(self, target: Path) -> None:
        with catalog_lock(self.settings):
            try:
                target.unlink(missing_ok=True)
            except OSError:
                log.warning("could not remove %s", target.name)
            put_entry(self.settings, target.name, None)

    def corpus_file(self, name: str) -> Path:
        """The corpus file called ``name``; :class:`UnknownDocumentError` (listing the names) when none is."""
        paths = find_documents(Path(self.settings.corpus_dir), self.settings)
        wanted = (name or "").strip()
        for path in paths:
            if path.name == wanted:
                return path
        folded = [path for path in paths if path.name.casefold() == wanted.casefold()]
        if len(folded) == 1:
            return folded[0]
        names = ", ".join(path.name for path in paths) or "inga"
        raise UnknownDocumentError(f"Det finns inget dokument som heter ”{wanted}”. Dokumenten: {names}.")

    def remove_document(self, name: str, removed_by: str | None = None, progress=None) -> IngestReport:
        """Take a document out of the corpus and update the index.

        The file is archived in ``corpus/.removed/`` with its catalog entry (never deleted). Follow-up
        entries of a removed plan's activities stay in the database, marked as no longer in the plan.
        """
        with catalog_lock(self.settings):
            path = self.corpus_file(name)
            archive_file(self.settings, path, get_entry(self.settings, path.name), "borttaget", removed_by or "okänd")
            path.unlink()  # the file before the entry: a crash between leaves an entry without a file
            put_entry(self.settings, path.name, None)
        return self.ingest(progress=progress)

    def replace_document(self, name: str, uploaded: Path, replaced_by: str | None = None,
                         metadata: dict | None = None, progress=None) -> dict:
        """Put a new version of a document in place of the old one (same name, same file type) and re-index.

        The old file is archived; the entry keeps its metadata (``metadata`` overrides it) and gets new
        provenance (unreviewed). When the new version cannot be read the old one is restored and
        :class:`DocumentRejected` raised; the previous index keeps answering until the new one is published.
        """
        by = replaced_by or "okänd"
        with catalog_lock(self.settings):
            path = self.corpus_file(name)
            self._check_upload(uploaded)
            if Path(uploaded.name).suffix.lower() != path.suffix.lower():
                raise DocumentRejected(
                    f"Den nya versionen måste ha samma filtyp som {path.name} ({path.suffix}), så att planens "
                    "aktiviteter behåller sin uppföljning. Ta annars bort dokumentet och lägg till den nya filen.")
            old_entry = get_entry(self.settings, path.name)
            archived = archive_file(self.settings, path, old_entry, "ersatt", by)
            entry = {k: v for k, v in (old_entry or {}).items() if k not in ("reviewed_by", "reviewed_at")}
            entry.update({**clean_metadata(metadata), "added_by": by, "added_at": now_iso(), "reviewed": False})
            put_entry(self.settings, path.name, entry)
            _copy_atomically(uploaded, path)

        def restore() -> None:
            with catalog_lock(self.settings):
                restore_file(archived, path)
                put_entry(self.settings, path.name, old_entry)

        try:
            report = self.ingest(progress=progress)
        except Exception:
            restore()
            raise
        reason = dict(report.skipped).get(path.name)
        if reason:
            restore()
            try:
                self.ingest()
            except Exception:
                log.warning("re-indexing the restored %s failed", path.name, exc_info=True)
            raise DocumentRejected(f"Den nya versionen av {path.name} togs inte emot; den gamla behålls: {reason}")
        return self.document_report(path.name, report)

    def set_document_metadata(self, name: str, metadata: dict, progress=None) -> IngestReport:
        """Set title, council, doc_type and/or period of a document (an empty value: inferred again); re-index."""
        given = {key: value for key, value in (metadata or {}).items() if value is not None}
        unknown = sorted(set(given) - {"title", "council", "doc_type", "period"})
        if unknown:
            raise ValueError(f"Okända metadatafält: {', '.join(unknown)}.")
        if not given:
            raise ValueError("Ange minst ett fält att ändra (titel, råd, typ eller period).")
        cleaned = clean_metadata(given)
        with catalog_lock(self.settings):
            path = self.corpus_file(name)
            update_entry(self.settings, path.name, cleaned, remove=tuple(k for k in given if k not in cleaned))
        return self.ingest(progress=progress)

    def review_document(self, name: str, reviewed_by: str | None = None) -> dict:
        """Mark a document reviewed (its citations then carry no note); returns its provenance.

        No re-index is needed: the note is looked up in the catalog when answers are shown."""
        with catalog_lock(self.settings):
            path = self.corpus_file(name)
            entry = update_entry(self.settings, path.name, {"reviewed": True, "reviewed_by": reviewed_by or "okänd",
                                                            "reviewed_at": now_iso()})
        return provenance(entry)

    def unreviewed_sources(self) -> frozenset[str]:
        """Names of the documents whose catalog entry says unreviewed (re-read when the catalog changes)."""
        path = catalog_path(self.settings)
        stamp = _file_stamp(path)
        if stamp != self._catalog_stamp:
            catalog = load_catalog(Path(self.settings.corpus_dir), self.settings)
            self._unreviewed = frozenset(name for name, meta in catalog.items() if not is_reviewed(meta))
            self._catalog_stamp = stamp
        return self._unreviewed

    def document_entries(self) -> list[dict]:
        """Every document in the corpus: metadata (as indexed, else the catalog's), provenance, chunks.

        Works without an index (then ``indexed`` is False and ``chunks`` None for every document)."""
        corpus_dir = Path(self.settings.corpus_dir)
        catalog = load_catalog(corpus_dir, self.settings)
        try:
            indexed = self.index.documents()
        except Exception:  # no index yet, or a damaged one: the corpus is still listed
            indexed = {}
        rows = []
        for path in find_documents(corpus_dir, self.settings):
            meta, info = catalog.get(path.name, {}), indexed.get(path.name, {})
            rows.append({"source": path.name, **{key: str(info.get(key) or meta.get(key) or "")
                                                 for key in ("title", "council", "doc_type", "period")},
                         "chunks": info.get("chunks"), "indexed": bool(info), **provenance(meta)})
        return rows

    def document_report(self, source: str, report: IngestReport | None = None) -> dict:
        """What the index made of one document: metadata, chunks by kind, activity records, warnings."""
        index = self.index
        meta = index.documents().get(source)
        if meta is None:
            raise UnknownDocumentError(f"Dokumentet {source} finns inte i indexet.")
        kinds = Counter(chunk.kind for chunk in index.chunks if chunk.source == source)
        records = sum(1 for record in index.records if record.source == source)
        warnings = []
        if not meta.get("council"):
            warnings.append("Inget råd kunde utläsas ur dokumentet. Ange rådet i metadata, annars syns dokumentet "
                            "inte i rådsfiltret eller under Uppföljning.")
        looks_like_plan = (meta.get("doc_type") in ("aktivitetsplan", "verksamhetsplan")
                           or "aktivitet" in str(meta.get("title", "")).lower())
        if looks_like_plan and not records:
            warnings.append("Dokumentet ser ut som en plan, men inga aktiviteter (med ansvarig, tidplan eller "
                            "uppföljning) kunde läsas ut. Frågor om aktiviteterna besvaras då bara ur löptexten.")
        return {"source": source, "title": meta.get("title", ""), "council": meta.get("council", ""),
                "doc_type": meta.get("doc_type", ""), "period": meta.get("period", ""),
                "chunks": sum(kinds.values()), "chunks_by_kind": dict(sorted(kinds.items())), "records": records,
                "warnings": warnings, "seconds": round(report.seconds, 1) if report is not None else None,
                **provenance(get_entry_quietly(self.settings, source))}

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


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a hidden temporary file and a rename (never half a file)."""
    tmp = target.with_name(f".{target.name}.upload")
    try:
        shutil.copyfile(source, tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def get_entry_quietly(settings: Settings, name: str) -> dict | None:
    """The catalog entry of ``name``; None when the catalog cannot be read (a report must not fail on it)."""
    try:
        return get_entry(settings, name)
    except CatalogError:
        return None


def safe_filename(name: str) -> str:
    """A file name without path parts or odd characters (Swedish letters and spaces kept)."""
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r"[^\w åäöÅÄÖ.()-]", "_", name).strip(" .")
    if len(name) > 120:  # shorten the stem, never the file type
        suffix = Path(name).suffix[:10]
        name = name[:120 - len(suffix)].rstrip(" .") + suffix
    return name or f"dokument-{int(time.time())}.txt"
