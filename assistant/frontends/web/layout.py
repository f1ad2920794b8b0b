"""The Gradio layout: tabs "Chatt", "Dokument", "Uppföljning" and "Status" over one :class:`Assistant`,
and the launcher.

``app.py`` is a thin launcher around :func:`main`; tests call :func:`build_app` with an injected
Assistant and :func:`launch` on a free port.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from importlib import resources

import gradio as gr
from starlette.middleware import Middleware

from assistant.embedding import EmbeddingError
from assistant.frontends.web.auth import Access, LoginThrottle, throttled_login
from assistant.frontends.web.conversations import (
    COPY_JS,
    ChatSessions,
    ConversationPanel,
    conversation_widgets,
    empty_conversation,
    feedback_widgets,
    wire_chat,
)
from assistant.frontends.web.followup_tab import build_followup_section
from assistant.frontends.web.handlers import Handlers
from assistant.frontends.web.security import SecurityMiddleware, allowed_host_names
from assistant.frontends.web.views import (
    DATE_FIELD_CHOICES,
    DOC_HEADERS,
    box,
    documents_rows,
    esc,
    status_html,
    user_error,
)
from assistant.messages import GRADIO_LABELS
from assistant.service import Assistant
from assistant.settings import Settings, get_settings
from assistant.store.errors import IndexError_

log = logging.getLogger(__name__)

APP_TITLE = "Vårdkompetens-assistenten"
EXAMPLES = [
    "Vem ansvarar för VFU-arbetet i Södra?",
    "Vilka län omfattar Mellansverige?",
    "När följs aktiviteterna upp i Södra?",
    "Vilka tre fokusområden har Nationella vårdkompetensrådet 2026?",
    "Who owns VFU work in Södra?",
]
UPLOAD_TYPES = [".pdf", ".docx", ".md", ".txt", ".html", ".htm"]
CSS = resources.files("assistant.frontends.web").joinpath("style.css").read_text(encoding="utf-8")
#: Gradio's temporary files (uploads, follow-up downloads): every hour, those older than an hour are deleted
#: (and all of them when the server stops).
DELETE_CACHE = (3600, 3600)
#: Requests waiting in the queue per allowed concurrent request (settings.max_concurrent_requests); beyond
#: that a new request is refused at once ("the queue is full") instead of waiting without end.
QUEUE_PER_WORKER = 10
#: Gradio's queue rebuilds a pandas table of its last GRADIO_ANALYTICS_MAX_EVENTS events (10,000 by default)
#: after every event, for its /monitoring dashboard: ≈ 2 ms of CPU per request at 1,000 events, 8 ms at 10,000
#: (bench/README.md, "Load"). The app turns that dashboard off (``enable_monitoring=False`` in :func:`launch`),
#: so nothing reads the table: keep 1,000 events and rebuild it only every 10⁹ events. Set (unless already set)
#: before ``demo.queue()``, which reads them.
GRADIO_QUEUE_ENV = {"GRADIO_ANALYTICS_CACHE_FREQUENCY": "1000000000", "GRADIO_ANALYTICS_MAX_EVENTS": "1000"}


#: Fixed widths (not shares of the screen): on a phone the table scrolls sideways instead of
#: wrapping one letter per line.
DOC_COLUMN_WIDTHS = ["190px", "360px", "170px", "130px", "90px", "90px", "110px"]


def build_app(assistant: Assistant | None = None, settings: Settings | None = None) -> gr.Blocks:
    """The Blocks app over ``assistant`` (created from ``settings`` when not given)."""
    if assistant is None:
        assistant = Assistant(settings or get_settings())
    settings = assistant.settings
    access = Access.from_assistant(assistant)  # who logs in, who may change the corpus (auth.py)
    ui = Handlers(assistant, access=access)
    try:
        council_choices, document_choices = ui.filter_choices()
        rows, start_notice = documents_rows(assistant), ""
    except Exception as exc:
        council_choices, document_choices, rows, start_notice = [], [], [], box("error", user_error(exc))
    plan_choices = ui.summary_councils().get("choices", [])

    chat_panel = ConversationPanel()
    with gr.Blocks(title=APP_TITLE, analytics_enabled=False, delete_cache=DELETE_CACHE) as demo:
        gr.HTML(f"<h2 style='margin:.2em 0'>{esc(APP_TITLE)}</h2>"
                "<div class='va-meta'>Svar på frågor om vårdkompetensrådens planer – varje påstående har en "
                "källhänvisning [n] med ordagrant citat. Finns svaret inte i dokumenten säger assistenten det.</div>")
        with gr.Tabs(overflow_behavior="wrap"):  # on a phone every tab stays in the bar (no "…" menu)
            with gr.Tab("Chatt", id="chatt"):
                with gr.Row():
                    with gr.Column(scale=4):
                        # as high as the window allows below the title and tabs, so the question box is on screen
                        chatbot = gr.Chatbot(label="Konversation", height="min(640px, max(380px, calc(100vh - 250px)))",
                                             latex_delimiters=[],
                                             elem_id="va-chatbot", buttons=["copy"],
                                             feedback_options=("Like", "Dislike"),
                                             examples=[{"text": q} for q in EXAMPLES],  # sent when clicked
                                             placeholder="Ställ en fråga om planerna, eller klicka på en "
                                                         "exempelfråga.")
                        with gr.Row():
                            question = gr.Textbox(show_label=False, placeholder="Skriv din fråga här …",
                                                  lines=1, max_lines=4, scale=5, elem_id="va-question",
                                                  autofocus=False)  # focusing it scrolls the page on load
                            send = gr.Button("Skicka", variant="primary", scale=1, elem_id="va-send")
                        with gr.Row():
                            new = gr.Button("Ny konversation", variant="secondary", elem_id="va-new")
                        feedback_widgets(chat_panel)  # the optional comment to a thumbs up/down
                    with gr.Column(scale=1, min_width=240):
                        councils = gr.Dropdown(choices=council_choices, value=[], multiselect=True,
                                               label="Filtrera på råd", elem_id="va-councils",
                                               info="Tomt = alla råd")
                        sources = gr.Dropdown(choices=document_choices, value=[], multiselect=True,
                                              label="Filtrera på dokument", elem_id="va-sources",
                                              info="Tomt = alla dokument")
                        gr.HTML("<div class='va-meta'>Följdfrågor förstås utifrån samtalet "
                                "(t.ex. ”Och när följs det upp?”). Klicka på en källa under svaret för att se "
                                "citatet markerat i sitt sammanhang.</div>")
                        conversation_widgets(chat_panel)  # earlier conversations, rename, delete, export
                conversation = gr.State(empty_conversation())

            with gr.Tab("Dokument", id="dokument"):
                doc_notice = gr.HTML(start_notice)
                doc_table = gr.Dataframe(value=rows, headers=DOC_HEADERS, interactive=False, wrap=True,
                                         column_widths=DOC_COLUMN_WIDTHS,
                                         label="Dokument i indexet", elem_id="va-doc-table")
                with gr.Row():
                    with gr.Column(scale=3):
                        doc_select = gr.Dropdown(choices=document_choices, value=None, label="Läs dokument",
                                                 elem_id="va-doc-select")
                        doc_view = gr.HTML(box("notice", "Välj ett dokument i listan för att läsa det."),
                                           elem_id="va-doc-view", max_height=700)
                    with gr.Column(scale=2):
                        # Editing controls: shown to editors only (demo.load → ui.edit_controls); every
                        # handler checks the role again (they are reachable through the API).
                        edit_notice = gr.HTML(box("notice", access.refusal(None) or ""), elem_id="va-edit-notice")
                        with gr.Group(visible=False, elem_id="va-edit") as edit_group:
                            gr.HTML("<h3 style='margin:.2em 0'>Lägg till dokument</h3>"
                                    "<div class='va-meta'>PDF, DOCX, HTML, MD eller TXT. Dokumentet indexeras "
                                    "direkt och blir sökbart utan omstart. Det märks som ogranskat tills en "
                                    "redaktör har granskat det.</div>")
                            upload_file = gr.File(label="Fil", file_types=UPLOAD_TYPES, type="filepath",
                                                  elem_id="va-upload")
                            with gr.Accordion("Metadata (förifylld ur filen; ändra vid behov, tomt = tolkas ur "
                                              "dokumentet)", open=False):
                                meta_title = gr.Textbox(label="Titel", max_lines=1, elem_id="va-meta-title")
                                meta_council = gr.Textbox(label="Råd", placeholder="t.ex. RVKR Södra", max_lines=1,
                                                          elem_id="va-meta-council")
                                meta_type = gr.Textbox(label="Dokumenttyp", placeholder="t.ex. aktivitetsplan",
                                                       max_lines=1, elem_id="va-meta-type")
                                meta_period = gr.Textbox(label="År eller period", placeholder="t.ex. 2026 eller 2026–2028",
                                                         max_lines=1, elem_id="va-meta-period")
                            add_button = gr.Button("Lägg till och indexera", variant="primary", elem_id="va-add")
                            upload_message = gr.HTML("", elem_id="va-upload-message", min_height=40)

                            gr.HTML("<h3 style='margin:.6em 0 .2em'>Hantera valt dokument</h3>"
                                    "<div class='va-meta'>Gäller dokumentet som är valt under Läs dokument.</div>")
                            manage_info = gr.HTML("", elem_id="va-manage-info")
                            review_button = gr.Button("Markera som granskat", elem_id="va-review")
                            with gr.Accordion("Ändra metadata", open=False):
                                edit_title = gr.Textbox(label="Titel", max_lines=1, elem_id="va-edit-title")
                                edit_council = gr.Textbox(label="Råd", max_lines=1, elem_id="va-edit-council")
                                edit_type = gr.Textbox(label="Dokumenttyp", max_lines=1, elem_id="va-edit-type")
                                edit_period = gr.Textbox(label="År eller period", max_lines=1, elem_id="va-edit-period")
                                save_meta_button = gr.Button("Spara metadata", elem_id="va-save-meta")
                            with gr.Accordion("Ersätt med en ny version", open=False):
                                replace_file = gr.File(label="Ny version (samma filtyp)", file_types=UPLOAD_TYPES,
                                                       type="filepath", elem_id="va-replace-file")
                                replace_button = gr.Button("Ersätt och indexera", elem_id="va-replace")
                            with gr.Accordion("Ta bort", open=False, elem_id="va-remove-box"):
                                remove_confirm = gr.Checkbox(label="Ja, ta bort dokumentet", value=False,
                                                             elem_id="va-remove-confirm")
                                remove_button = gr.Button("Ta bort dokumentet", variant="stop", elem_id="va-remove")
                            manage_message = gr.HTML("", elem_id="va-manage-message", min_height=40)

            with gr.Tab("Uppföljning", id="uppfoljning") as followup_tab:
                build_followup_section(demo, assistant, followup_tab)  # statuses, history, overdue, annual report
                gr.HTML("<h3 style='margin:.2em 0'>Utkast till uppföljning av aktivitetsplanerna</h3>"
                        "<div class='va-meta'>Aktiviteterna hämtas ordagrant ur planerna med ansvarig, tidplan, "
                        "uppföljningsmått och källa; kolumnerna Status och Kommentar fyller du i själv.</div>")
                with gr.Row():
                    with gr.Column(scale=1, min_width=260):
                        sum_councils = gr.Dropdown(choices=plan_choices, value=[], multiselect=True, label="Råd",
                                                   info="Tomt = alla råd", elem_id="va-sum-councils")
                        sum_period = gr.Textbox(label="Period", placeholder="t.ex. Q3 2026, 2026 eller Q1 2027",
                                                info="Tomt = alla datum", max_lines=1, elem_id="va-sum-period")
                        sum_keyword = gr.Textbox(label="Ämne eller fokusområde", placeholder="t.ex. VFU",
                                                 info="Tomt = alla aktiviteter; flera ämnen med komma",
                                                 max_lines=1, elem_id="va-sum-keyword")
                        sum_date_field = gr.Radio(choices=DATE_FIELD_CHOICES, value="any",
                                                  label="Datum som ska ligga inom perioden",
                                                  elem_id="va-sum-date-field")
                        sum_overview = gr.Checkbox(value=False, label="Översikt över råden",
                                                   info="En tabell som ställer rådens aktiviteter sida vid sida",
                                                   elem_id="va-sum-overview")
                        sum_delimiter = gr.Radio(choices=[("; (svenskt Excel)", ";"), (", (andra program)", ",")],
                                                 value=";", label="Avgränsare i CSV", elem_id="va-sum-delimiter")
                        sum_create = gr.Button("Skapa utkast", variant="primary", elem_id="va-sum-create")
                        sum_docx = gr.DownloadButton("Ladda ned Word (DOCX)", visible=False, size="md",
                                                     elem_id="va-sum-docx")
                        sum_csv = gr.DownloadButton("Ladda ned CSV", visible=False, size="md", elem_id="va-sum-csv")
                        sum_md = gr.DownloadButton("Ladda ned Markdown", visible=False, size="md",
                                                   elem_id="va-sum-md")
                    with gr.Column(scale=4):
                        sum_preview = gr.HTML(
                            box("notice", "Välj råd, period och ämne och klicka på Skapa utkast."),
                            elem_id="va-sum-preview", max_height=900)

            with gr.Tab("Status", id="status") as status_tab:
                gr.HTML("<h3 style='margin:.2em 0'>Indexets status</h3>")
                status_view = gr.HTML(status_html(assistant), elem_id="va-status")
                status_refresh = gr.Button("Uppdatera", elem_id="va-status-refresh")

        wire_chat(demo, ChatSessions(assistant, ui), chat_panel, chatbot=chatbot, question=question, send=send,
                  new=new, conversation=conversation, councils=councils, sources=sources)

        refresh_outputs = [councils, sources, doc_table, doc_select, doc_notice, status_view]
        doc_select.change(ui.show_document, [doc_select], [doc_view], api_visibility="undocumented")
        doc_table.select(ui.select_row, None, [doc_select], api_visibility="undocumented")
        upload_file.upload(ui.suggest_metadata, [upload_file], [meta_title, meta_council, meta_type, meta_period],
                           api_visibility="undocumented")
        info_outputs = [manage_info, edit_title, edit_council, edit_type, edit_period]
        doc_select.change(ui.document_info, [doc_select], info_outputs, api_visibility="undocumented")
        add_button.click(
            ui.upload, [upload_file, meta_title, meta_council, meta_type, meta_period], [upload_message],
            api_visibility="undocumented", show_progress="full", show_progress_on=[upload_message],
        ).then(
            ui.refresh, [councils, sources, doc_select], refresh_outputs, api_visibility="undocumented",
        ).then(
            ui.summary_councils, [sum_councils], [sum_councils], api_visibility="undocumented",
        ).then(lambda: (None, "", "", "", ""), None, [upload_file, meta_title, meta_council, meta_type, meta_period],
               api_visibility="undocumented")
        # After a removal its confirmation box is cleared, after a replacement the chosen file: right after the
        # change itself, so a later step of another button's chain never clears what the user just ticked.
        for button, handler, inputs, cleared, empty in (
            (remove_button, ui.remove, [doc_select, remove_confirm], [remove_confirm], False),
            (replace_button, ui.replace, [doc_select, replace_file], [replace_file], None),
            (save_meta_button, ui.save_metadata, [doc_select, edit_title, edit_council, edit_type, edit_period], [], None),
            (review_button, ui.review, [doc_select], [], None),
        ):
            changed = button.click(
                handler, inputs, [manage_message], api_visibility="undocumented", show_progress="full",
                show_progress_on=[manage_message],
            )
            if cleared:
                changed = changed.then(lambda value=empty: value, None, cleared, api_visibility="undocumented")
            changed.then(
                ui.refresh, [councils, sources, doc_select], refresh_outputs, api_visibility="undocumented",
            ).then(
                ui.document_info, [doc_select], info_outputs, api_visibility="undocumented",
            ).then(
                ui.summary_councils, [sum_councils], [sum_councils], api_visibility="undocumented",
            )
        demo.load(ui.edit_controls, None, [edit_notice, edit_group], api_visibility="undocumented")
        status_tab.select(ui.status, None, [status_view], api_visibility="undocumented")
        status_refresh.click(ui.status, None, [status_view], api_visibility="undocumented")
        demo.load(ui.refresh, [councils, sources, doc_select], refresh_outputs, api_visibility="undocumented")
        demo.load(ui.summary_councils, [sum_councils], [sum_councils], api_visibility="undocumented")

        summary_inputs = [sum_councils, sum_period, sum_keyword, sum_date_field, sum_overview, sum_delimiter]
        summary_outputs = [sum_preview, sum_docx, sum_csv, sum_md]
        for trigger in (sum_create.click, sum_period.submit, sum_keyword.submit):
            trigger(ui.make_summary, summary_inputs, summary_outputs, api_visibility="undocumented",
                    show_progress="minimal", show_progress_on=[sum_preview])

        gr.api(ui.chat_api, api_name="chat")

    for key, value in GRADIO_QUEUE_ENV.items():
        os.environ.setdefault(key, value)
    demo.queue(default_concurrency_limit=settings.max_concurrent_requests,
               max_size=QUEUE_PER_WORKER * settings.max_concurrent_requests,
               status_update_rate=settings.queue_status_interval_s or "auto")
    demo.va_settings = settings  # type: ignore[attr-defined]
    demo.va_access = access  # type: ignore[attr-defined]
    return demo


def launch(demo: gr.Blocks, settings: Settings | None = None, **overrides):
    """Start the server with the app's settings (host, port, auth, CSS); ``overrides`` go to launch().

    The FastAPI app Gradio creates gets :class:`SecurityMiddleware` (Host allow-list, security headers)
    through ``app_kwargs``; static file workers (other processes, without it) stay off.
    """
    settings = settings or getattr(demo, "va_settings", None) or get_settings()
    access = getattr(demo, "va_access", None)
    if access is None:  # a Blocks not made by build_app: the shared login from the settings, if any
        shared = bool(settings.auth_user and settings.auth_password)
        access = Access("shared" if shared else "open", shared_user=settings.auth_user,
                        shared_password=settings.auth_password)
    # With a login: the users of the database (Argon2) or the shared login, throttled per name and client.
    auth = throttled_login(access, LoginThrottle.from_settings(settings)) if access.login_required else None
    options = dict(
        server_name=settings.host, server_port=settings.port, auth=auth,
        auth_message="Logga in för att använda Vårdkompetens-assistenten.",
        share=False, ssr_mode=False, mcp_server=False, run_history=False, footer_links=["api", "settings"],
        show_error=False, css=CSS, theme=gr.themes.Default(), max_file_size=settings.max_file_bytes,
        num_workers=0, js=COPY_JS, i18n=gr.I18n(sv=GRADIO_LABELS, en=GRADIO_LABELS),
        enable_monitoring=False,  # no /monitoring dashboard or summary route (see GRADIO_QUEUE_ENV)
    )
    options.update(overrides)
    hosts = allowed_host_names(options["server_name"], [settings.host, *settings.allowed_hosts])
    app_kwargs = dict(options.get("app_kwargs") or {})
    app_kwargs.setdefault("openapi_url", None)  # FastAPI's own /openapi.json would list every route without a login
    app_kwargs["middleware"] = [Middleware(SecurityMiddleware, allowed_hosts=hosts),
                                *app_kwargs.get("middleware", [])]
    options["app_kwargs"] = app_kwargs
    return demo.launch(**options)


def _print_progress(fraction: float, message: str) -> None:
    print(f"\r[{'#' * int(fraction * 30):<30}] {fraction * 100:5.1f}%  {message[:60]:<60}",
          end="", file=sys.stderr, flush=True)
    if fraction >= 1.0:
        print(file=sys.stderr)


def _warm_up(assistant: Assistant) -> None:
    """Load the index and the embedding model so the first question is fast."""
    try:
        _ = assistant.index
        # one typed question: the embedder, the evidence units, the vocabulary and the Swedish lexicon load now
        assistant.ask("vem ansvarar for uppfoljningen")
    except Exception:
        log.warning("warm-up failed", exc_info=True)


def main(argv: list[str] | None = None) -> int:
    """Build the index if missing, then start the web app."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    assistant = Assistant(settings)
    try:
        report = assistant.ensure_index(progress=_print_progress)
    except Exception as exc:
        print(f"Kunde inte förbereda indexet: {user_error(exc)}", file=sys.stderr)
        return 4 if isinstance(exc, EmbeddingError) else 3 if isinstance(exc, IndexError_) else 1
    if report is not None:
        print(f"Index byggt: {report.documents} dokument, {report.chunks} textavsnitt.", file=sys.stderr)
    threading.Thread(target=_warm_up, args=(assistant,), daemon=True).start()
    demo = build_app(assistant)
    access = demo.va_access  # type: ignore[attr-defined]
    if access.error:  # fail closed: without the users the app cannot tell who may log in
        print(f"Webbappen startar inte: {access.error}", file=sys.stderr)
        return 1
    print({"open": "Ingen inloggning: alla som når porten kan läsa; dokumenten ändras bara från kommandoraden.",
           "shared": "Gemensam inloggning (auth_user): läsbehörighet; inga användare finns i databasen.",
           "users": "Inloggning med användarna i databasen; redaktörer kan ändra dokumenten."}[access.mode],
          file=sys.stderr)
    where = f"http://{settings.host}:{settings.port}/"
    print(f"{APP_TITLE} startar på {where}", file=sys.stderr)
    launch(demo, settings)
    return 0
