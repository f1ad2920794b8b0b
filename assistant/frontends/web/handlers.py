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
from assistant.frontends.web.files import SummaryFolders, remove_quietly, write_summary_files
from assistant.frontends.web.views import (
    answer_html,
    answer_payload,
    box,
    document_html,
    documents_rows,
    error_payload,
    esc,
    no_matches_html,
    plain_history,
    status_html,
    stream_prefixes,
    summary_chat_html,
    summary_payload,
    summary_preview_html,
    user_error,
)
from assistant.service import Assistant

log = logging.getLogger(__name__)

STREAM_DELAY_S = 0.03     # pause between updates (the composer is fast; streaming is for the eye)


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


class Handlers:
    """Event handlers; each one catches its errors and answers in Swedish."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self._summary_folders = SummaryFolders()

    # -- chat -------------------------------------------------------------
    def respond(self, question: str, conversation: dict | None, councils: list[str] | None,
                sources: list[str] | None) -> Iterator[tuple]:
        """Stream one answer into the chat. ``conversation`` holds display messages and plain history."""
        conversation = {"display": list((conversation or {}).get("display", [])),
                        "history": list((conversation or {}).get("history", []))}
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
            yield list(display), conversation, ""
            return
        if reply.kind == "summary":
            # shown, but kept out of the history: the next question is not a follow-up to a draft
            try:
                display[-1] = {"role": "assistant", "content": summary_chat_html(reply.markdown)}
            except Exception as exc:
                log.exception("rendering the draft failed")
                display[-1] = {"role": "assistant", "content": box("error", user_error(exc))}
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
        yield list(display), conversation, ""

    @staticmethod
    def new_conversation():
        return [], {"display": [], "history": []}, ""

    def chat_api(self, question: str, history: list | str | None = None, councils: list | str | None = None,
                 sources: list | str | None = None) -> Iterator[dict]:
        """Answer a question with citations; streams growing partial answers, the last one has done=True.

        history: earlier turns as role/content dicts (or a JSON string of them); councils/sources: filters.
        A request for a follow-up draft ("Sammanfatta uppföljningen för Södra") is answered with the
        draft as Markdown and summary=True (citations are then listed in the Markdown itself).
        """
        try:
            reply = self.assistant.respond(question or "", plain_history(history), councils=_as_list(councils),
                                           sources=_as_list(sources))
        except Exception as exc:
            log.exception("api ask failed")
            yield error_payload(user_error(exc))
            return
        if reply.kind == "summary":
            yield summary_payload(reply.markdown, (question or "").strip())
            return
        answer = reply.answer
        if not answer.invalid:
            for prefix in stream_prefixes(answer.answer)[:-1]:
                yield answer_payload(answer, partial=prefix)
                time.sleep(STREAM_DELAY_S)
        yield answer_payload(answer)

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

    def upload(self, file: Any, progress=gr.Progress()) -> str:
        """Add an uploaded file to the corpus and re-index; a Swedish message either way."""
        if not file:
            return box("notice", "Välj en fil att ladda upp först.")
        path = Path(file if isinstance(file, (str, Path)) else getattr(file, "name", str(file)))
        try:
            target = self.assistant.add_document(path)
        except Exception as exc:
            if not isinstance(exc, (ValueError, FileExistsError)):
                log.exception("add_document failed")
            return box("error", f"Dokumentet lades inte till: {user_error(exc)}")
        progress(0.0, desc="Indexerar …")
        try:
            report = self.assistant.ingest(progress=lambda fraction, message: progress(
                min(max(float(fraction), 0.0), 1.0), desc=str(message)))
        except Exception as exc:
            log.exception("ingest after upload failed")
            remove_quietly(target)
            return box("error", f"Dokumentet lades inte till eftersom indexeringen misslyckades: {user_error(exc)}")
        skipped = {name: reason for name, reason in report.skipped}
        if target.name in skipped:
            remove_quietly(target)
            return box("error", f"Filen {target.name} kunde inte läsas och lades inte till: {skipped[target.name]}")
        chunks = next((d.get("chunks", 0) for d in self.assistant.documents() if d["source"] == target.name), None)
        if chunks is None:
            return box("notice", f"{target.name} sparades, men finns inte i indexet. Se fliken Status.")
        return box("ok", f"{target.name} lades till ({chunks} textavsnitt) och är nu sökbart i chatten. "
                          f"Indexeringen tog {report.seconds:.1f} s.")

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
                     date_field: str | None = "any", overview: bool = False):
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
                                        author=self.assistant.settings.document_author)
        except Exception as exc:
            log.exception("writing the summary failed")
            return box("error", f"Utkastet kunde inte sparas: {user_error(exc)}"), hidden, hidden, hidden
        return (preview,
                gr.update(value=str(files["docx"]), visible=True),
                gr.update(value=str(files["csv"]), visible=True),
                gr.update(value=str(files["md"]), visible=True))
