"""Helpers for the web-app tests: free ports, an in-process server, an isolated copy of an index, and a
hand-made follow-up draft whose document text looks like HTML and Markdown."""

from __future__ import annotations

import http.cookiejar
import shutil
import socket
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from assistant.answer.citations import Citation
from assistant.followup import CouncilSection, FollowUpSummary, SummaryRow
from assistant.frontends.web import build_app, launch
from assistant.service import Assistant

QUESTION = "Vem ansvarar för VFU-arbetet i Södra?"
SODRA_SOURCE = "002_8b6a782e2b1e2be8.txt"

# A small document for upload tests, and a question only it can answer.
UPLOAD_NAME = "glimmerdalen-simulator.md"
UPLOAD_TEXT = """# Plan för simulatorträning i Glimmerdalen 2026

## Simulatorträning

Glimmerdalens simulatorcentrum erbjuder simulatorträning i akut omhändertagande för undersköterskor och sjuksköterskor under hösten 2026.

Simulatorträningen i Glimmerdalen leds av överläkare Tova Lindqvist.

## Övrigt

Jämförelse av kostnader: a < b & c, ${7*7} och {{7*7}} <script>alert(1)</script> är text, inte kod.
"""
UPLOAD_LITERAL = "a < b & c, ${7*7} och {{7*7}}"  # must be shown literally (escaped, never evaluated)
UPLOAD_QUESTION = "Vem leder simulatorträningen i Glimmerdalen?"
UPLOAD_EXPECTED = "Tova Lindqvist"
EVIL = "<script>alert(1)</script>"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(assistant):
    """Run the app for ``assistant`` on a free loopback port; yields its URL."""
    demo = build_app(assistant)
    port = free_port()
    launch(demo, assistant.settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def isolated_assistant(source, base: Path):
    """An Assistant over a copy of ``source``'s corpus and index (sharing its loaded embedder), with its
    own application database (``base/app.db``) unless ``source`` has one configured.

    Uploads then change only the copy; re-ingesting reuses the cached embeddings, so only new
    documents are embedded.
    """
    corpus, index = base / "corpus", base / "index"
    shutil.copytree(source.settings.corpus_dir, corpus)
    shutil.copytree(source.settings.index_dir, index, ignore=shutil.ignore_patterns(".lock"))
    update = {"corpus_dir": corpus, "index_dir": index}
    if not source.settings.database_url:  # conversations and feedback go to a private database, not var/app.db
        update["database_url"] = f"sqlite:///{base / 'app.db'}"
    settings = source.settings.model_copy(update=update)
    assistant = Assistant(settings)
    assistant._embedder = source.embedder  # the model is already loaded; no need to load it twice
    return assistant


#: The editor the upload tests log in as (a user in the assistant's own database, see add_editor).
EDITOR_NAME, EDITOR_PASSWORD = "redaktor", "redaktörens lösenord"


def add_editor(assistant, name: str = EDITOR_NAME, password: str = EDITOR_PASSWORD):
    """Add an editor to ``assistant``'s database; returns the request the handlers get when they are logged in.

    Changing the corpus in the web app needs the editor role (assistant/frontends/web/auth.py); with a
    user in the database the app also requires a login (see ``login``)."""
    assistant.repository.add_user(name, password, "editor")
    return SimpleNamespace(username=name)


def login(url: str, name: str = EDITOR_NAME, password: str = EDITOR_PASSWORD) -> dict[str, str]:
    """Log in to the app at ``url``; returns the session cookies (name → value)."""
    data = urllib.parse.urlencode({"username": name, "password": password}).encode()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(urllib.request.Request(f"{url}login", data=data)) as response:
        assert response.status == 200
    return {cookie.name: cookie.value for cookie in jar}


def no_progress(*args, **kwargs):
    """A stand-in for gr.Progress in direct handler calls."""
    return None


def hand_made_summary(rows: int = 2):
    """A FollowUpSummary as build_summary makes it, with document text that looks like HTML and Markdown."""
    made = [SummaryRow(council="RVKR Test", plan=f"Plan {EVIL}", focus_area="VFU & <b>handledning</b>",
                       goal="Mål | med streck", activity=f"Aktivitet {i} {EVIL}", owner="Rådet", contacts="",
                       content="", timeline="Q3 2026", measure="**fet** [x](javascript:alert(1))",
                       follow_up="Q1 2027", source="t.txt", line_start=3 + i, line_end=3 + i, group="VFU")
            for i in range(rows)]
    citation = Citation(1, "t.txt", f"Plan {EVIL}", "RVKR Test", "", (1, 1), f"Citat {EVIL}")
    section = CouncilSection("RVKR Test", [{"source": "t.txt", "title": f"Plan {EVIL}", "period": "2026"}],
                             [f"Planen är ”Plan {EVIL}” [1]."], made)
    return FollowUpSummary([section] if made else [], [citation] if made else [], ["RVKR Test"],
                           period="Q3 2026" if not made else "")
