"""The Chatt tab's conversations: plain-text copies, exports, stored conversations and feedback.

Pure parts (no gradio, no database): :func:`record_turn` keeps, next to the chat's display messages,
what each answer was (question, answer text, citations, build id); :func:`plain_text` is an answer
with its sources as plain text (what the copy button copies, see :data:`COPY_JS`);
:func:`conversation_markdown` and :func:`write_conversation_docx` export a conversation.

:class:`ChatSessions` wires those to the application database (``Assistant.repository``): every
finished answer is stored (table ``messages``), the conversations of the browser or the logged-in
user are listed, renamed, deleted and resumed with their follow-up state, and thumbs up/down with an
optional comment are stored with the question, the answer, its citations and the index build.

Owners: with a login the conversations belong to ``user:<name>`` (``gr.Request.username``), else to
``browser:<id>``, a random id kept in the browser's localStorage (``gr.BrowserState``).
"""

from __future__ import annotations

import copy
import html
import logging
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import gradio as gr
from docx import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt

from assistant.db.repository import username_key
from assistant.frontends.web.files import SummaryFolders
from assistant.frontends.web.views import box, esc, user_error

if TYPE_CHECKING:
    from assistant.service import Assistant

log = logging.getLogger(__name__)

#: localStorage key of the browser's random id (gr.BrowserState).
BROWSER_STORAGE_KEY = "va-browser-id"
#: gr.BrowserState encrypts its value with this; it is sent to the browser anyway, so it only has to be
#: stable across restarts (a random one per start would make every browser's id unreadable after one).
BROWSER_STATE_SECRET = "vardkompetens-assistenten-conversations"
TITLE_CHARS = 80            # a new conversation is named after its first question, shortened to this
LIST_LIMIT = 50             # at most this many conversations in the list (most recent first)
SOURCES_TITLE = {"sv": "Källor", "en": "Sources"}
CLOSEST_TITLE = {"sv": "Närmaste avsnitt som granskades", "en": "Closest passages reviewed"}

#: Runs once when the page loads (``launch(js=…)``). Gradio's copy button copies a message's raw
#: content (our HTML); this makes the clipboard get the message as text instead: the answer with its
#: sources as the server wrote it into the hidden ``.va-plain`` block, or the message's visible text.
COPY_JS = r"""
() => {
  const clip = navigator.clipboard;
  if (!clip || clip.__vaPlain) return;
  const original = clip.writeText.bind(clip);
  const toPlain = (text) => {
    if (typeof text !== "string" || !/<[a-z][^>]*>/i.test(text)) return text;
    const doc = new DOMParser().parseFromString(text, "text/html");
    const plain = doc.querySelectorAll(".va-plain");
    if (plain.length) return Array.from(plain).map((el) => el.textContent).join("\n\n");
    doc.querySelectorAll("style, script").forEach((el) => el.remove());
    return (doc.body.innerText || doc.body.textContent || "").trim();
  };
  clip.writeText = (text) => original(toPlain(text));
  clip.__vaPlain = true;
}
"""


# ------------------------------------------------------------------ plain text of an answer
def _span(lines: Any) -> str:
    try:
        start, end = int(lines[0]), int(lines[1])
    except (TypeError, ValueError, IndexError):
        return ""
    return f"rad {start}" if start == end else f"rad {start}–{end}"


def sources_text(citations: list[dict], title: str = "Källor", labels: bool = True) -> str:
    """The sources as plain text: ``[n] title · council · section · lines`` and the quote under each."""
    if not citations:
        return ""
    out = [f"{title}:"]
    for i, citation in enumerate(citations, 1):
        label = f"[{citation.get('n', i)}]" if labels else f"Avsnitt {i}:"
        parts = [citation.get("title") or citation.get("source") or "", citation.get("council") or "",
                 f"avsnitt: {citation['section']}" if citation.get("section") else "", _span(citation.get("lines")),
                 f"fil: {citation['source']}" if citation.get("source") else ""]
        out.append(f"{label} " + " · ".join(p for p in parts if p))
        if citation.get("quote"):
            out.append(f"    ”{citation['quote']}”")
    return "\n".join(out)


def plain_text(turn: dict) -> str:
    """An answer as plain text with its sources (or closest passages) listed under it."""
    text = (turn.get("answer") or "").strip()
    language = turn.get("language") or "sv"
    if turn.get("citations"):
        return f"{text}\n\n{sources_text(turn['citations'], SOURCES_TITLE.get(language, 'Källor'))}"
    if turn.get("closest"):
        marked = bool(re.search(r"\[\d{1,3}\]", text))
        listed = sources_text(turn["closest"], CLOSEST_TITLE.get(language, CLOSEST_TITLE["sv"]), labels=marked)
        return f"{text}\n\n{listed}"
    return text


def copy_block(text: str) -> str:
    """A hidden block with ``text`` for the copy button (newlines as entities: one HTML line)."""
    return f'<div class="va-plain" hidden>{html.escape(text, quote=True).replace(chr(10), "&#10;")}</div>'


# ------------------------------------------------------------------ turns
def _build_id(assistant: Assistant) -> str:
    try:
        return str(assistant.index.build_id or "")
    except Exception:  # the index may be missing or switching; the turn is kept without it
        return ""


def record_turn(conversation: dict, assistant: Assistant, question: str, *, kind: str, answer: Any = None,
                markdown: str | None = None, text: str | None = None) -> dict:
    """Note what the last assistant message of ``conversation["display"]`` is (a copy of its facts).

    ``kind``: answer, abstained, invalid, summary or error. Returns the turn; its plain text (with the
    sources) is appended to that display message for the copy button.
    """
    display = conversation["display"]
    if answer is not None:
        data = answer.to_dict()
        turn = {"question": question, "answer": answer.answer, "citations": data["citations"],
                "closest": data["closest"], "language": answer.language, "kind": kind,
                "in_history": not answer.invalid}
    else:
        turn = {"question": question, "answer": markdown if markdown is not None else (text or ""),
                "citations": [], "closest": [], "language": "sv", "kind": kind, "in_history": False}
    turn["build_id"] = _build_id(assistant)
    turn["display_index"] = len(display) - 1
    turn["message_id"] = None
    if display and display[-1].get("role") == "assistant":
        display[-1] = {**display[-1], "content": display[-1]["content"] + copy_block(plain_text(turn))}
    conversation.setdefault("turns", []).append(turn)
    return turn


def empty_conversation() -> dict:
    return {"id": None, "display": [], "history": [], "turns": []}


# ------------------------------------------------------------------ exports
def conversation_markdown(turns: list[dict], title: str = "Konversation", when: datetime | None = None) -> str:
    """The conversation as Markdown: each question, its answer and its sources with quotes."""
    when = when or datetime.now()
    out = [f"# {title}", "", f"Exporterad {when:%Y-%m-%d %H:%M} från Vårdkompetens-assistenten.", ""]
    for number, turn in enumerate(turns, 1):
        out += [f"## Fråga {number}: {turn.get('question', '')}", ""]
        if turn.get("kind") == "summary":
            out += [turn.get("answer", ""), ""]
            continue
        out += [line for line in (turn.get("answer") or "").strip().split("\n")] + [""]
        cited = turn.get("citations") or []
        closest = [] if cited else turn.get("closest") or []
        if cited or closest:
            heading = "Källor" if cited else "Närmaste avsnitt som granskades"
            marked = bool(cited) or bool(re.search(r"\[\d{1,3}\]", turn.get("answer") or ""))
            out += [f"**{heading}**", ""]
            for i, citation in enumerate(cited or closest, 1):
                label = f"[{citation.get('n', i)}]" if marked else f"Avsnitt {i}:"
                where = " · ".join(p for p in (citation.get("council") or "",
                                               f"avsnitt: {citation['section']}" if citation.get("section") else "",
                                               _span(citation.get("lines")), f"fil: {citation.get('source', '')}") if p)
                out.append(f"- {label} *{citation.get('title') or citation.get('source', '')}* · {where}")
                if citation.get("quote"):
                    out.append(f"  > ”{citation['quote']}”")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def write_conversation_docx(turns: list[dict], path: Path, title: str = "Konversation", author: str = "",
                            when: datetime | None = None) -> Path:
    """The conversation as a Word file (A4): questions as headings, answers, sources with quotes."""
    when = when or datetime.now()
    document = DocxDocument()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    document.core_properties.author = author or "Vårdkompetens-assistenten"
    document.core_properties.title = title
    document.add_heading(title, level=1)
    document.add_paragraph(f"Exporterad {when:%Y-%m-%d %H:%M} från Vårdkompetens-assistenten.")
    for number, turn in enumerate(turns, 1):
        document.add_heading(f"Fråga {number}: {turn.get('question', '')}", level=2)
        for line in (turn.get("answer") or "").strip().split("\n"):
            if line.strip():
                bullet = re.match(r"^\s*[-•]\s+", line)
                document.add_paragraph(line[bullet.end():] if bullet else line,
                                       style="List Bullet" if bullet else None)
        cited = turn.get("citations") or []
        closest = [] if cited else turn.get("closest") or []
        if not (cited or closest):
            continue
        marked = bool(cited) or bool(re.search(r"\[\d{1,3}\]", turn.get("answer") or ""))
        heading = document.add_paragraph()
        heading.add_run("Källor" if cited else "Närmaste avsnitt som granskades").bold = True
        for i, citation in enumerate(cited or closest, 1):
            label = f"[{citation.get('n', i)}]" if marked else f"Avsnitt {i}:"
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{label} ").bold = True
            paragraph.add_run(citation.get("title") or citation.get("source", "")).italic = True
            where = " · ".join(p for p in (citation.get("council") or "",
                                           f"avsnitt: {citation['section']}" if citation.get("section") else "",
                                           _span(citation.get("lines")), f"fil: {citation.get('source', '')}") if p)
            paragraph.add_run(f" · {where}")
            if citation.get("quote"):
                quote = document.add_paragraph(f"”{citation['quote']}”")
                quote.paragraph_format.left_indent = Cm(1.0)
                for run in quote.runs:
                    run.font.size = Pt(9)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def _file_stem(title: str) -> str:
    stem = re.sub(r"[^\wåäöÅÄÖ-]+", "-", title).strip("-")[:40]
    return stem or "konversation"


# ------------------------------------------------------------------ owners
def owner_key(request: Any, browser_id: Any, shared_user: str | None = None) -> str | None:
    """``user:<name>`` with a personal login (names compared regardless of case), else ``browser:<id>``
    (also under the one shared login ``shared_user``, which everybody uses); None when neither is known."""
    username = getattr(request, "username", None) if request is not None else None
    if username and (shared_user is None or username_key(str(username)) != username_key(shared_user)):
        return f"user:{username_key(str(username))}"
    browser = str(browser_id or "").strip()
    if re.fullmatch(r"[0-9a-f]{32}", browser):
        return f"browser:{browser}"
    return None


def new_browser_id() -> str:
    return secrets.token_hex(16)


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _messages_to_state(conversation_id: str, messages: list) -> dict:
    """A conversation state (display, follow-up history, turns) rebuilt from stored messages."""
    state = empty_conversation()
    state["id"] = conversation_id
    question = ""
    for message in messages:
        state["display"].append({"role": message.role, "content": message.display or f"<p>{esc(message.content)}</p>"})
        if message.in_history:
            state["history"].append({"role": message.role, "content": message.content})
        if message.role == "user":
            question = message.content
            continue
        # a plain refusal was stored with the closest passages it showed (its text cites none of them)
        refusal = message.kind == "abstained" and not re.search(r"\[\d{1,3}\]", message.content)
        state["turns"].append({"question": question, "answer": message.content,
                               "citations": [] if refusal else message.citations,
                               "closest": message.citations if refusal else [], "language": "sv", "kind": message.kind,
                               "in_history": message.in_history, "build_id": message.build_id,
                               "display_index": len(state["display"]) - 1, "message_id": message.id})
    return state


# ------------------------------------------------------------------ the Chatt tab's conversations
class ChatSessions:
    """The conversation list, persistence, exports and feedback of the Chatt tab (event handlers)."""

    def __init__(self, assistant: Assistant, handlers: Any):
        self.assistant = assistant
        self.handlers = handlers
        self._exports = SummaryFolders()  # the newest exports' folders are kept, older ones removed
        settings = getattr(assistant, "settings", None)
        shared = (getattr(settings, "auth_user", None), getattr(settings, "auth_password", None))
        self.shared_user = shared[0] if all(shared) else None

    def owner(self, request: Any, browser_id: Any) -> str | None:
        """Whose conversations these are: the logged-in user's, or this browser's."""
        return owner_key(request, browser_id, self.shared_user)

    @property
    def repository(self):
        return self.assistant.repository

    # -- the list --------------------------------------------------------
    def choices(self, owner: str | None) -> list[tuple[str, str]]:
        if owner is None:
            return []
        conversations = self.repository.list_conversations(owner)[:LIST_LIMIT]
        return [(f"{c.title} · {_when(c.updated_at)}", c.id) for c in conversations]

    def _list_update(self, owner: str | None, selected: str | None = None):
        try:
            choices = self.choices(owner)
        except Exception as exc:
            log.warning("listing conversations failed", exc_info=True)
            gr.Warning(f"Konversationerna kunde inte hämtas: {user_error(exc)}")
            choices = []
        known = {value for _, value in choices}
        return gr.update(choices=choices, value=selected if selected in known else None)

    def load(self, browser_id: str | None, request: gr.Request):
        """On page load: the browser's id (a new one the first time) and its conversation list."""
        if owner_key(None, browser_id) is None:
            browser_id = new_browser_id()
        return browser_id, self._list_update(self.owner(request, browser_id))

    # -- answering and storing ---------------------------------------------
    def respond(self, question: str, conversation: dict | None, councils, sources, browser_id: str | None,
                request: gr.Request) -> Iterator[tuple]:
        """Stream the answer (``Handlers.respond``), then store the turn and refresh the list."""
        conversation = copy.deepcopy(conversation) if conversation else empty_conversation()
        state = conversation
        for display, state, text in self.handlers.respond(question, conversation, councils, sources):
            yield display, state, text, gr.update(), gr.update()
        owner = self.owner(request, browser_id)
        pending = [turn for turn in state.get("turns", []) if turn.get("message_id") is None]
        if owner is None or not pending:
            return
        try:
            title = self._store(owner, state, pending)
        except Exception as exc:
            log.warning("storing the conversation failed", exc_info=True)
            gr.Warning(f"Konversationen kunde inte sparas: {user_error(exc)}")
            return
        yield (state["display"], state, "", self._list_update(owner, state["id"]),
               gr.update() if title is None else gr.update(value=title))

    def _store(self, owner: str, state: dict, pending: list[dict]) -> str | None:
        """Store the pending turns (creating the conversation first when needed); the new title or None."""
        repository = self.repository
        title = None
        if not state.get("id") or repository.get_conversation(state["id"], owner) is None:
            title = pending[0]["question"] or "Konversation"
            if len(title) > TITLE_CHARS:
                title = title[:TITLE_CHARS - 1].rsplit(" ", 1)[0] + " …"
            created = repository.create_conversation(owner, title)
            state["id"], title = created.id, created.title
        display = state["display"]
        for turn in pending:
            index = turn["display_index"]
            user_display = display[index - 1]["content"] if index >= 1 else f"<p>{esc(turn['question'])}</p>"
            stored = repository.add_messages(state["id"], owner, [
                {"role": "user", "content": turn["question"], "display": user_display, "kind": "question",
                 "in_history": turn["in_history"]},
                {"role": "assistant", "content": turn["answer"], "display": display[index]["content"],
                 "kind": turn["kind"], "citations": turn["citations"] or turn.get("closest") or [],
                 "in_history": turn["in_history"], "build_id": turn["build_id"]},
            ])
            turn["message_id"] = stored[1].id
        return title

    # -- new, resume, rename, delete ----------------------------------------
    def new(self, browser_id: str | None, request: gr.Request):
        owner = self.owner(request, browser_id)
        return [], empty_conversation(), "", self._list_update(owner), gr.update(value=""), *self._hidden_exports()

    def resume(self, conversation_id: str | None, conversation: dict | None, browser_id: str | None,
               request: gr.Request):
        """Show a stored conversation and continue it (its follow-up state is restored)."""
        owner = self.owner(request, browser_id)
        current = conversation or empty_conversation()
        if not conversation_id or owner is None or conversation_id == current.get("id"):
            return gr.update(), current, gr.update(), *self._hidden_exports()
        try:
            stored = self.repository.get_conversation(conversation_id, owner)
            if stored is None:
                gr.Warning("Konversationen finns inte längre.")
                return gr.update(), current, gr.update(), *self._hidden_exports()
            state = _messages_to_state(conversation_id, self.repository.conversation_messages(conversation_id, owner))
        except Exception as exc:
            log.warning("resuming a conversation failed", exc_info=True)
            gr.Warning(f"Konversationen kunde inte öppnas: {user_error(exc)}")
            return gr.update(), current, gr.update(), *self._hidden_exports()
        return state["display"], state, gr.update(value=stored.title), *self._hidden_exports()

    def rename(self, conversation_id: str | None, title: str, browser_id: str | None, request: gr.Request):
        owner = self.owner(request, browser_id)
        if not conversation_id or owner is None:
            gr.Warning("Välj en konversation i listan först.")
            return gr.update()
        try:
            self.repository.rename_conversation(conversation_id, owner, title)
        except ValueError as exc:
            gr.Warning(str(exc))
            return gr.update()
        except Exception as exc:
            log.warning("renaming failed", exc_info=True)
            gr.Warning(f"Namnet kunde inte sparas: {user_error(exc)}")
            return gr.update()
        gr.Info("Konversationen har fått nytt namn.")
        return self._list_update(owner, conversation_id)

    def delete(self, conversation_id: str | None, conversation: dict | None, browser_id: str | None,
               request: gr.Request):
        owner = self.owner(request, browser_id)
        current = conversation or empty_conversation()
        if not conversation_id or owner is None:
            gr.Warning("Välj en konversation i listan först.")
            return gr.update(), current, gr.update(), gr.update()
        try:
            self.repository.delete_conversation(conversation_id, owner)
        except ValueError as exc:
            gr.Warning(str(exc))
            return gr.update(), current, self._list_update(owner), gr.update()
        except Exception as exc:
            log.warning("deleting failed", exc_info=True)
            gr.Warning(f"Konversationen kunde inte tas bort: {user_error(exc)}")
            return gr.update(), current, gr.update(), gr.update()
        gr.Info("Konversationen har tagits bort.")
        if current.get("id") == conversation_id:
            return [], empty_conversation(), self._list_update(owner), gr.update(value="")
        return gr.update(), current, self._list_update(owner), gr.update(value="")

    # -- export ----------------------------------------------------------------
    @staticmethod
    def _hidden_exports():
        hidden = gr.update(value=None, visible=False)
        return hidden, hidden

    def export(self, conversation: dict | None, title: str | None):
        """Markdown and DOCX of the conversation on screen (download buttons), or a message."""
        turns = [t for t in (conversation or {}).get("turns", []) if t.get("kind") != "error"]
        if not turns:
            gr.Warning("Det finns inget att exportera ännu: ställ en fråga först.")
            return self._hidden_exports()
        name = " ".join(str(title or "").split()) or turns[0]["question"][:TITLE_CHARS] or "Konversation"
        try:
            folder = self._exports.new()
            stem = _file_stem(name)
            markdown = folder / f"{stem}.md"
            markdown.write_text(conversation_markdown(turns, name), encoding="utf-8")
            docx = write_conversation_docx(turns, folder / f"{stem}.docx", name,
                                           author=self.assistant.settings.document_author)
        except Exception as exc:
            log.exception("export failed")
            gr.Warning(f"Exporten misslyckades: {user_error(exc)}")
            return self._hidden_exports()
        return gr.update(value=str(markdown), visible=True), gr.update(value=str(docx), visible=True)

    # -- feedback ----------------------------------------------------------------
    def like(self, conversation: dict | None, browser_id: str | None, data: gr.LikeData, request: gr.Request):
        """A thumb on an answer: stored (or withdrawn), then the optional comment box is shown."""
        owner = self.owner(request, browser_id)
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = next((t for t in (conversation or {}).get("turns", []) if t.get("display_index") == index), None)
        hidden = (None, gr.update(visible=False, value=""), gr.update(visible=False), gr.update(value=""))
        if owner is None or turn is None:
            gr.Warning("Det här meddelandet kan inte betygsättas.")
            return hidden
        liked = data.liked
        rating = "up" if liked is True or liked == "Like" else "down" if liked is False or liked == "Dislike" else None
        try:
            if rating is None:  # the same thumb clicked again: the rating is withdrawn
                given = self.repository.message_feedback(turn["message_id"], owner) if turn.get("message_id") else None
                if given is not None:
                    self.repository.delete_feedback(given.id, owner)
                return hidden
            feedback = self.repository.set_feedback(
                owner, rating, question=turn["question"], answer=turn["answer"],
                citations=turn["citations"] or turn.get("closest") or [], build_id=turn["build_id"],
                conversation_id=(conversation or {}).get("id"), message_id=turn.get("message_id"))
        except Exception as exc:
            log.warning("storing feedback failed", exc_info=True)
            gr.Warning(f"Betyget kunde inte sparas: {user_error(exc)}")
            return hidden
        label = "Tack! Vad var bra? (valfritt)" if rating == "up" else "Tack! Vad blev fel? (valfritt)"
        return (feedback.id, gr.update(visible=True, label=label, value=feedback.comment),
                gr.update(visible=True), gr.update(value=box("ok", "Ditt betyg är sparat.")))

    def comment(self, feedback_id: int | None, text: str, browser_id: str | None, request: gr.Request):
        owner = self.owner(request, browser_id)
        if feedback_id is None or owner is None:
            return gr.update(), gr.update(), gr.update(value=box("notice", "Betygsätt ett svar först."))
        try:
            self.repository.set_feedback_comment(feedback_id, owner, text or "")
        except ValueError as exc:
            return gr.update(), gr.update(), gr.update(value=box("error", str(exc)))
        except Exception as exc:
            log.warning("storing the comment failed", exc_info=True)
            return gr.update(), gr.update(), gr.update(value=box("error", user_error(exc)))
        return (gr.update(visible=False, value=""), gr.update(visible=False),
                gr.update(value=box("ok", "Tack! Kommentaren är sparad.")))


# ------------------------------------------------------------------ layout pieces and wiring
class ConversationPanel:
    """The Chatt tab's conversation widgets (created inside the Blocks layout by the builders below)."""

    browser: Any = None
    conversations: Any = None
    title: Any = None
    rename: Any = None
    delete: Any = None
    export: Any = None
    export_md: Any = None
    export_docx: Any = None
    feedback_id: Any = None
    comment: Any = None
    save_comment: Any = None
    feedback_notice: Any = None


def feedback_widgets(panel: ConversationPanel) -> None:
    """Under the chat: the optional comment to a thumbs up/down (shown after a rating)."""
    panel.feedback_id = gr.State(None)
    with gr.Row():
        panel.comment = gr.Textbox(label="Kommentar till ditt betyg (valfritt)", visible=False, max_lines=4,
                                   scale=5, elem_id="va-feedback-comment",
                                   placeholder="t.ex. ”fel råd” eller ”citatet stöder inte svaret”")
        panel.save_comment = gr.Button("Spara kommentar", visible=False, scale=1, elem_id="va-feedback-save")
    panel.feedback_notice = gr.HTML("", elem_id="va-feedback-notice")


def conversation_widgets(panel: ConversationPanel) -> None:
    """Beside the chat: earlier conversations (resume, rename, delete) and the export."""
    panel.browser = gr.BrowserState(None, storage_key=BROWSER_STORAGE_KEY, secret=BROWSER_STATE_SECRET)
    gr.HTML("<h3 style='margin:.4em 0 .1em 0'>Konversationer</h3>"
            "<div class='va-meta'>Sparas på servern. Klicka på en konversation för att fortsätta den.</div>")
    panel.conversations = gr.Radio(choices=[], value=None, show_label=False, elem_id="va-conversations",
                                   elem_classes=["va-conv-list"])
    panel.title = gr.Textbox(label="Namn på konversationen", max_lines=1, elem_id="va-conv-title")
    with gr.Row():
        panel.rename = gr.Button("Byt namn", size="sm", elem_id="va-conv-rename")
        panel.delete = gr.Button("Ta bort", size="sm", variant="stop", elem_id="va-conv-delete")
    panel.export = gr.Button("Exportera", size="sm", elem_id="va-export")
    panel.export_md = gr.DownloadButton("Ladda ned Markdown", visible=False, size="sm", elem_id="va-export-md")
    panel.export_docx = gr.DownloadButton("Ladda ned Word (DOCX)", visible=False, size="sm",
                                          elem_id="va-export-docx")


def example_text(data: gr.SelectData) -> str:
    """The question of a clicked example of the empty chat (``Chatbot(examples=…)``)."""
    value = data.value
    return str(value.get("text") or "") if isinstance(value, dict) else str(value or "")


def wire_chat(demo: gr.Blocks, sessions: ChatSessions, panel: ConversationPanel, *, chatbot, question, send,
              new, conversation, councils, sources) -> None:
    """The Chatt tab's events: asking (box, button, example click), new, resume, rename, delete, export,
    feedback and the list on page load."""
    hidden_api = {"api_visibility": "undocumented"}
    chat_inputs = [question, conversation, councils, sources, panel.browser]
    chat_outputs = [chatbot, conversation, question, panel.conversations, panel.title]
    question.submit(sessions.respond, chat_inputs, chat_outputs, show_progress="hidden", **hidden_api)
    send.click(sessions.respond, chat_inputs, chat_outputs, show_progress="hidden", **hidden_api)
    # an example question in the empty chat is sent as soon as it is clicked
    chatbot.example_select(example_text, None, [question], queue=False, **hidden_api).then(
        sessions.respond, chat_inputs, chat_outputs, show_progress="hidden", **hidden_api)
    new_outputs = [chatbot, conversation, question, panel.conversations, panel.title, panel.export_md,
                   panel.export_docx]
    new.click(sessions.new, [panel.browser], new_outputs, queue=False, **hidden_api)
    chatbot.clear(sessions.new, [panel.browser], new_outputs, queue=False, **hidden_api)
    panel.conversations.input(sessions.resume, [panel.conversations, conversation, panel.browser],
                              [chatbot, conversation, panel.title, panel.export_md, panel.export_docx],
                              **hidden_api)
    panel.rename.click(sessions.rename, [panel.conversations, panel.title, panel.browser], [panel.conversations],
                       **hidden_api)
    panel.title.submit(sessions.rename, [panel.conversations, panel.title, panel.browser], [panel.conversations],
                       **hidden_api)
    panel.delete.click(sessions.delete, [panel.conversations, conversation, panel.browser],
                       [chatbot, conversation, panel.conversations, panel.title], **hidden_api)
    panel.export.click(sessions.export, [conversation, panel.title], [panel.export_md, panel.export_docx],
                       **hidden_api)
    chatbot.like(sessions.like, [conversation, panel.browser],
                 [panel.feedback_id, panel.comment, panel.save_comment, panel.feedback_notice], **hidden_api)
    for trigger in (panel.save_comment.click, panel.comment.submit):
        trigger(sessions.comment, [panel.feedback_id, panel.comment, panel.browser],
                [panel.comment, panel.save_comment, panel.feedback_notice], **hidden_api)
    demo.load(sessions.load, [panel.browser], [panel.browser, panel.conversations], **hidden_api)
