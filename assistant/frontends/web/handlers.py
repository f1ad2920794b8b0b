"""The web app's event handlers: each one catches its errors and answers in Swedish (never a traceback)."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from assistant.followup import SummaryError, plan_councils
from assistant.frontends.web.auth import Access, EditRefused
from assistant.frontends.web.conversations import empty_conversation, record_turn
from assistant.frontends.web.files import SummaryFolders, write_summary_files
from assistant.frontends.web.views import (
    answer_html,
    answer_payload,
    box,
    document_html,
    documents_rows,
    error_payload,
    esc,
    ingest_report_html,
    no_matches_html,
    plain_history,
    provenance_text,
    status_html,
    stream_prefixes,
    summary_chat_html,
    summary_payload,
    summary_preview_html,
    unreviewed_sources,
    user_error,
)
from assistant.ingest.catalog import DocumentRejected, UnknownDocumentError, suggest_metadata
from assistant.messages import API_INPUT_ERRORS
from assistant.service import Assistant

log = logging.getLogger(__name__)

STREAM_DELAY_S = 0.03     # pause between updates (the composer is fast; streaming is for the eye)


class ApiInputError(ValueError):
    """Input to the API of the wrong type or size; its text (Swedish) is the error payload's message."""


def check_api_input(question: Any, history: Any, councils: Any, sources: Any, settings) -> None:
    """Refuse wrong types and oversized history or filters before any work (raises :class:`ApiInputError`)."""
    if question is not None and not isinstance(question, str):
        raise ApiInputError(API_INPUT_ERRORS["question_type"])
    if history not in (None, "") and not isinstance(history, (str, list, tuple, dict)):
        raise ApiInputError(API_INPUT_ERRORS["history_type"])
    messages = plain_history(history)
    if len(messages) > settings.max_history_messages:
        raise ApiInputError(API_INPUT_ERRORS["history_count"].format(n=len(messages), max=settings.max_history_messages))
    longest = max((len(m["content"]) for m in messages), default=0)
    if longest > settings.max_history_message_chars:
        raise ApiInputError(API_INPUT_ERRORS["history_chars"].format(n=longest, max=settings.max_history_message_chars))
    for name, value in (("councils", councils), ("sources", sources)):
        if value in (None, "") or isinstance(value, str):
            continue
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, (str, type(None))) for v in value):
            raise ApiInputError(API_INPUT_ERRORS["filter_type"].format(name=name))
        if len(value) > settings.max_filter_values:
            raise ApiInputError(API_INPUT_ERRORS["filter_count"].format(name=name, n=len(value),
                                                                       max=settings.max_filter_values))


def _as_list(value: Any) -> list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = [value]
        value = parsed if isinstance(parsed, list) else [value]
    items = [str(v) for v in value if v not in (None, "")]
    return items or None


def _file_path(file: Any) -> Path:
    return Path(file if isinstance(file, (str, Path)) else getattr(file, "name", str(file)))


def _progress_adapter(progress):
    """An ingest progress callback that drives a gr.Progress (fractions clamped to 0–1)."""
    return lambda fraction, message: progress(min(max(float(fraction), 0.0), 1.0), desc=str(message))


class Handlers:
    """Event handlers; each one catches its errors and answers in Swedish."""

    def __init__(self, assistant: Assistant, access: Access | None = None):
        self.assistant = assistant
        self._access = access  # None: decided on first use (Access.from_assistant)
        self._summary_folders = SummaryFolders()

    # -- chat -------------------------------------------------------------
    def respond(self, question: str, conversation: dict | None, councils: list[str] | None,
                sources: list[str] | None) -> Iterator[tuple]:
        """Stream one answer into the chat. ``conversation`` holds display messages and plain history."""
        conversation = {**(conversation or {}), "display": list((conversation or {}).get("display", [])),
                        "history": list((conversation or {}).get("history", [])),
                        "turns": [dict(t) for t in (conversation or {}).get("turns", [])]}
        display = conversation["display"]
        question = (question or "").strip()
        if not question:
            gr.Warning("Skriv en fråga först.")
            yield list(display), conversation, ""
            return
        display.append({"role": "user", "content": f"<p>{esc(question)}</p>"})
        display.append({"role": "assistant", "content": '<p class="va-pending">Söker i dokumenten …</p>'})
        yield list(display), conversation, ""
        councils, sources = _as_list(councils), _as_list(sources)
        try:
            reply = self.assistant.respond(question, conversation["history"], councils=councils, sources=sources)
        except Exception as exc:
            log.exception("ask failed")
            display[-1] = {"role": "assistant", "content": box("error", user_error(exc))}
            record_turn(conversation, self.assistant, question, kind="error", text=user_error(exc))
            yield list(display), conversation, ""
            return
        if reply.kind == "summary":
            # shown, but kept out of the history: the next question is not a follow-up to a draft
            try:
                display[-1] = {"role": "assistant", "content": summary_chat_html(reply.markdown)}
            except Exception as exc:
                log.exception("rendering the draft failed")
                display[-1] = {"role": "assistant", "content": box("error", user_error(exc))}
            record_turn(conversation, self.assistant, question, kind="summary", markdown=reply.markdown)
            yield list(display), conversation, ""
            return
        answer = reply.answer
        try:
            if not answer.invalid and not answer.abstained:
                for prefix in stream_prefixes(answer.answer)[:-1]:
                    display[-1] = {"role": "assistant", "content": answer_html(answer, self.assistant, partial=prefix)}
                    yield list(display), conversation, ""
                    time.sleep(STREAM_DELAY_S)
            display[-1] = {"role": "assistant",
                           "content": answer_html(answer, self.assistant, councils=councils, sources=sources)}
        except Exception as exc:
            log.exception("rendering failed")
            display[-1] = {"role": "assistant", "content": box("error", user_error(exc))}
        if not answer.invalid:
            conversation["history"] += [{"role": "user", "content": question},
                                        {"role": "assistant", "content": answer.answer}]
        record_turn(conversation, self.assistant, question, answer=answer,
                    kind="invalid" if answer.invalid else "abstained" if answer.abstained else "answer")
        yield list(display), conversation, ""

    @staticmethod
    def new_conversation():
        return [], empty_conversation(), ""

    def chat_api(self, question: str, history: list | str | None = None, councils: list | str | None = None,
                 sources: list | str | None = None) -> dict:
        """Answer a question with citations, complete in one response (``done`` is always True).

        history: earlier turns as role/content dicts (or a JSON string of them); councils/sources: filters.
        A request for a follow-up draft ("Sammanfatta uppföljningen för Södra") is answered with the
        draft as Markdown and summary=True (citations are then listed in the Markdown itself). Only the
        browser's chat streams (paced for the eye); API callers never wait on that pacing, and the REST
        route ``/gradio_api/run/chat`` returns the whole answer.
        """
        try:
            check_api_input(question, history, councils, sources, self.assistant.settings)
        except ApiInputError as exc:
            return error_payload(str(exc))
        try:
            reply = self.assistant.respond(question or "", plain_history(history), councils=_as_list(councils),
                                           sources=_as_list(sources))
        except Exception as exc:
            log.exception("api ask failed")
            return error_payload(user_error(exc))
        if reply.kind == "summary":
            return summary_payload(reply.markdown, (question or "").strip())
        return answer_payload(reply.answer, unreviewed=unreviewed_sources(self.assistant))

    # -- documents ----------------------------------------------------------
    def filter_choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        docs = self.assistant.documents()
        councils = sorted({d["council"] for d in docs if d.get("council")})
        documents = [(f"{d.get('title') or d['source']} ({d['source']})", d["source"]) for d in docs]
        return councils, documents

    def refresh(self, selected_councils=None, selected_sources=None, selected_doc=None):
        """New choices and contents for every view that depends on the index."""
        try:
            councils, documents = self.filter_choices()
            rows = documents_rows(self.assistant)
            notice = ""
        except Exception as exc:
            log.exception("refresh failed")
            councils, documents, rows, notice = [], [], [], box("error", user_error(exc))
        known = {value for _, value in documents}
        selected_councils = [c for c in (selected_councils or []) if c in councils]
        selected_sources = [s for s in (selected_sources or []) if s in known]
        selected_doc = selected_doc if selected_doc in known else None
        return (gr.update(choices=councils, value=selected_councils),
                gr.update(choices=documents, value=selected_sources),
                gr.update(value=rows),
                gr.update(choices=documents, value=selected_doc),
                notice,
                status_html(self.assistant))

    def show_document(self, source: str | None) -> str:
        try:
            return document_html(self.assistant, source)
        except Exception as exc:
            log.exception("document view failed")
            return box("error", user_error(exc))

    def select_row(self, evt: gr.SelectData):
        try:
            row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
            source = documents_rows(self.assistant)[int(row)][0]
        except Exception:
            return gr.update()
        return gr.update(value=source)

    # -- changing the corpus (editor role; checked here, server-side: these handlers are reachable through the API)
    @property
    def access(self) -> Access:
        """Who may change the corpus (decided once, from the database's users and the settings)."""
        if self._access is None:
            self._access = Access.from_assistant(self.assistant)
        return self._access

    def edit_controls(self, request: gr.Request = None):
        """(Notice, visibility of the editing controls) for the visitor: shown to editors only."""
        refusal = self.access.refusal(request)
        if refusal is None:
            who = getattr(request, "username", "") or ""
            return (box("notice", f"Inloggad som {who} (redaktör): du kan lägga till, ersätta, ta bort och granska "
                                  "dokument."), gr.update(visible=True))
        return box("notice", refusal), gr.update(visible=False)

    def upload(self, file: Any, title: str | None = None, council: str | None = None, doc_type: str | None = None,
               period: str | None = None, request: gr.Request = None, progress=gr.Progress()) -> str:
        """Add an uploaded file (with optional metadata) to the corpus and re-index; the ingest report or a
        Swedish error. Needs the editor role."""
        try:
            editor = self.access.editor(request)
        except EditRefused as exc:
            return box("error", str(exc))
        if not file:
            return box("notice", "Välj en fil att ladda upp först.")
        path = _file_path(file)
        metadata = {"title": title, "council": council, "doc_type": doc_type, "period": period}
        progress(0.0, desc="Indexerar …")
        try:
            report = self.assistant.upload_document(path, metadata=metadata, added_by=editor,
                                                    progress=_progress_adapter(progress))
        except DocumentRejected as exc:
            return box("error", str(exc))
        except (ValueError, FileExistsError) as exc:
            return box("error", f"Dokumentet lades inte till: {user_error(exc)}")
        except UnknownDocumentError:
            return box("notice", f"{path.name} sparades, men finns inte i indexet. Se fliken Status.")
        except Exception as exc:
            log.exception("upload failed")
            return box("error", f"Dokumentet lades inte till eftersom indexeringen misslyckades: {user_error(exc)}")
        return ingest_report_html(report)

    def suggest_metadata(self, file: Any, request: gr.Request = None):
        """The upload form's metadata prefilled with what would be inferred from the chosen file (editors only)."""
        unchanged = (gr.update(),) * 4
        if not file or self.access.refusal(request) is not None:
            return unchanged
        try:
            path = _file_path(file)
            if path.stat().st_size > self.assistant.settings.max_file_bytes:
                return unchanged
            found = suggest_metadata(path)
        except Exception:  # an unreadable file is reported when it is added
            log.info("no metadata suggestion for the upload", exc_info=True)
            return unchanged
        return found["title"], found["council"], found["doc_type"], found["period"]

    def document_info(self, source: str | None):
        """For the selected document: (provenance line, title, council, type, period) for the editing form."""
        empty = ("", "", "", "", "")
        if not source:
            return empty
        try:
            entry = next((d for d in self.assistant.document_entries() if d["source"] == source), None)
        except Exception:
            log.warning("document entries failed", exc_info=True)
            return empty
        if entry is None:
            return empty
        return (f'<div class="va-meta">{esc(provenance_text(entry))}</div>', entry["title"], entry["council"],
                entry["doc_type"], entry["period"])

    def _change(self, request, source: str | None, action, done: str) -> str:
        try:
            editor = self.access.editor(request)
        except EditRefused as exc:
            return box("error", str(exc))
        if not source:
            return box("notice", "Välj ett dokument i listan Läs dokument först.")
        try:
            result = action(editor)
        except DocumentRejected as exc:
            return box("error", str(exc))
        except (ValueError, LookupError) as exc:
            return box("error", user_error(exc))
        except Exception as exc:
            log.exception("changing %s failed", source)
            return box("error", f"Ändringen kunde inte göras: {user_error(exc)}")
        return result if isinstance(result, str) else box("ok", done)

    def remove(self, source: str | None, confirmed: bool = False, request: gr.Request = None,
               progress=gr.Progress()) -> str:
        """Take the selected document out of the corpus (archived, not deleted) and update the index."""
        if not confirmed and self.access.refusal(request) is None:
            return box("notice", "Kryssa i ”Ja, ta bort dokumentet” först.")
        return self._change(request, source, lambda editor: self.assistant.remove_document(
            source, removed_by=editor, progress=_progress_adapter(progress)),
            f"{source} togs bort ur indexet. Filen finns kvar i arkivet (corpus/.removed) och uppföljningen av "
            "planens aktiviteter finns kvar, markerad som inte längre i planen.")

    def replace(self, source: str | None, file: Any, request: gr.Request = None, progress=gr.Progress()) -> str:
        """Put a new version of the selected document in its place and re-index; the ingest report."""
        if not file and self.access.refusal(request) is None:
            return box("notice", "Välj filen med den nya versionen först.")
        return self._change(request, source, lambda editor: ingest_report_html(self.assistant.replace_document(
            source, _file_path(file), replaced_by=editor, progress=_progress_adapter(progress)),
            verb="ersattes med den nya versionen"), "")

    def save_metadata(self, source: str | None, title: str | None = None, council: str | None = None,
                      doc_type: str | None = None, period: str | None = None, request: gr.Request = None,
                      progress=gr.Progress()) -> str:
        """Set the selected document's title, council, type and period (empty: inferred again); re-index."""
        metadata = {"title": title or "", "council": council or "", "doc_type": doc_type or "", "period": period or ""}
        return self._change(request, source, lambda editor: self.assistant.set_document_metadata(
            source, metadata, progress=_progress_adapter(progress)),
            f"Metadata för {source} sparades och indexet är uppdaterat.")

    def review(self, source: str | None, request: gr.Request = None) -> str:
        """Mark the selected document reviewed: its citations no longer carry the unreviewed note."""
        return self._change(request, source, lambda editor: self.assistant.review_document(
            source, reviewed_by=editor),
            f"{source} är markerat som granskat; svar som citerar det märks inte längre som ogranskade.")

    def status(self) -> str:
        return status_html(self.assistant)

    # -- follow-up drafts ----------------------------------------------------
    def summary_councils(self, selected=None):
        """Choices for the Uppföljning tab's council selector: the councils with activity plans."""
        try:
            choices = plan_councils(self.assistant.index)
        except Exception:
            log.warning("council choices for the summary failed", exc_info=True)
            choices = []
        return gr.update(choices=choices, value=[c for c in (selected or []) if c in choices])

    def make_summary(self, councils=None, period: str | None = None, keyword: str | None = None,
                     date_field: str | None = "any", overview: bool = False, delimiter: str | None = ";"):
        """The Uppföljning tab: (preview HTML, DOCX, CSV and Markdown download buttons).

        ``keyword`` may hold several words or phrases separated by commas (an activity matching any
        of them is taken). No matches or an error give a Swedish message and hidden download buttons.
        """
        hidden = gr.update(value=None, visible=False)
        keywords = [k.strip() for k in re.split(r"[,;]", keyword or "") if k.strip()]
        try:
            summary = self.assistant.summary(councils=_as_list(councils), period=(period or "").strip() or None,
                                             keyword=keywords or None, date_field=date_field or "any")
        except SummaryError as exc:
            return box("error", str(exc)), hidden, hidden, hidden
        except Exception as exc:
            log.exception("summary failed")
            return box("error", f"Utkastet kunde inte skapas: {user_error(exc)}"), hidden, hidden, hidden
        if not summary.rows:
            return no_matches_html(summary), hidden, hidden, hidden
        try:
            preview = summary_preview_html(summary, overview=bool(overview))
            files = write_summary_files(summary, self._summary_folders.new(), overview=bool(overview),
                                        author=self.assistant.settings.document_author, delimiter=delimiter or ";")
        except Exception as exc:
            log.exception("writing the summary failed")
            return box("error", f"Utkastet kunde inte sparas: {user_error(exc)}"), hidden, hidden, hidden
        return (preview,
                gr.update(value=str(files["docx"]), visible=True),
                gr.update(value=str(files["csv"]), visible=True),
                gr.update(value=str(files["md"]), visible=True))
