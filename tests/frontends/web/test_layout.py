"""The web app's layout and launcher: app.py, the offline environment, and the running server via gradio_client.

Tests marked ``slow`` use the session's built index and start the app on a free loopback port (the
network guard in conftest fails them on any non-loopback attempt).
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from app_helpers import (
    EDITOR_NAME,
    EDITOR_PASSWORD,
    QUESTION,
    SODRA_SOURCE,
    UPLOAD_EXPECTED,
    UPLOAD_LITERAL,
    UPLOAD_NAME,
    UPLOAD_QUESTION,
    UPLOAD_TEXT,
    add_editor,
    free_port,
    isolated_assistant,
    no_progress,
    serve,
)

from assistant.frontends.web import Handlers
from assistant.frontends.web.views import document_html
from assistant.messages import REFUSAL_PHRASE
from assistant.service import Assistant

PROJECT_ROOT = Path(__file__).resolve().parents[3]
pytestmark = [  # pandas deprecations raised inside gradio's queue, not by this project
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:Warning"),
]


def test_app_py_is_a_thin_launcher():
    source = (PROJECT_ROOT / "app.py").read_text(encoding="utf-8")
    assert "from assistant.frontends.web import" in source
    assert len(source.splitlines()) < 40


def test_offline_environment_is_set_before_gradio_loads():
    """Importing the web app in a fresh process: the offline variables are set when gradio is imported."""
    code = ("import builtins, os, sys\n"
            "seen = {}\n"
            "real = builtins.__import__\n"
            "def spy(name, *a, **k):\n"
            "    if name == 'gradio' and 'gradio' not in seen:\n"
            "        seen['gradio'] = {key: os.environ.get(key) for key in ('HF_HUB_OFFLINE', 'GRADIO_ANALYTICS_ENABLED', 'ORT_DISABLE_TELEMETRY')}\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = spy\n"
            "import app\n"
            "print(seen['gradio'])\n")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "GRADIO_ANALYTICS_ENABLED", "ORT_DISABLE_TELEMETRY")}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "'HF_HUB_OFFLINE': '1'" in result.stdout and "'GRADIO_ANALYTICS_ENABLED': 'False'" in result.stdout
    assert "'ORT_DISABLE_TELEMETRY': '1'" in result.stdout


# ------------------------------------------------------------------ slow: the running app via gradio_client
@pytest.fixture(scope="module")
def app_url(built_assistant):
    with serve(built_assistant) as url:
        yield url


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False, download_files=False)


@pytest.mark.slow
def test_api_lists_the_named_chat_endpoint(client):
    info = client.view_api(return_format="dict", print_info=False)
    assert "/chat" in info["named_endpoints"]
    assert [p["parameter_name"] for p in info["named_endpoints"]["/chat"]["parameters"]][:2] == ["question", "history"]


@pytest.mark.slow
def test_api_answers_with_citations(client):
    result = client.predict(QUESTION, [], api_name="/chat")
    assert result["abstained"] is False and result["done"] is True and result["error"] is None
    assert "Rådet" in result["answer"] and "[1]" in result["answer"]
    assert any(c["source"] == SODRA_SOURCE for c in result["citations"])
    first = result["citations"][0]
    assert set(first) >= {"n", "source", "title", "council", "section", "lines", "quote"}
    assert first["council"] == "RVKR Södra" and first["quote"]


@pytest.mark.slow
def test_api_callers_get_the_whole_answer_at_once(client, app_url):
    # no paced partial pieces for API callers: one complete output, through the queue and over REST
    job = client.submit(QUESTION, "[]", api_name="/chat")
    final = job.result(timeout=300)
    assert job.outputs() == [final] and final["done"] is True and final["citations"]
    body = json.dumps({"data": [QUESTION, "[]", [], []]}).encode()
    request = urllib.request.Request(f"{app_url}gradio_api/run/chat", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        rest = json.loads(response.read())["data"][0]
    assert rest["answer"] == final["answer"] and rest["done"] is True
    assert [c["n"] for c in rest["citations"]] == [c["n"] for c in final["citations"]]


@pytest.mark.slow
def test_api_follow_up_uses_history(client):
    first = client.predict(QUESTION, [], api_name="/chat")
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["answer"]}]
    follow = client.predict("Och när följs det upp?", json.dumps(history, ensure_ascii=False), api_name="/chat")
    assert "VFU" in follow["resolved_question"]
    assert follow["abstained"] is False and follow["citations"]


@pytest.mark.slow
def test_api_abstains_and_rejects_empty_questions(client):
    result = client.predict("Vad kostar en parkeringsplats i Kiruna?", [], api_name="/chat")
    assert result["abstained"] is True and REFUSAL_PHRASE in result["answer"] and result["citations"] == []
    assert result["closest"]
    empty = client.predict("   ", [], api_name="/chat")
    assert empty["invalid"] is True and "Skriv en fråga" in empty["answer"]


@pytest.mark.slow
def test_api_returns_a_follow_up_draft(client):
    result = client.predict("Sammanfatta uppföljningen för Södra", [], api_name="/chat")
    assert result["summary"] is True and result["abstained"] is False and result["citations"] == []
    assert result["done"] is True and result["error"] is None
    assert "Q1 2027" in result["answer"] and "Rådet" in result["answer"] and "RVKR Södra" in result["answer"]
    assert result["answer"].startswith("# Uppföljning av aktivitetsplaner")
    question = client.predict(QUESTION, [], api_name="/chat")
    assert question["summary"] is False and question["citations"]


@pytest.mark.slow
def test_api_council_filter(client):
    result = client.predict("Vem ansvarar för VFU-arbetet?", [], ["RVKR Södra"], None, api_name="/chat")
    assert result["citations"] and all(c["council"] == "RVKR Södra" for c in result["citations"])


@pytest.mark.slow
def test_auth_from_settings_is_enforced(built_assistant, tmp_path):
    from gradio_client import Client

    settings = built_assistant.settings.model_copy(update={"auth_user": "granskare", "auth_password": "hemligt-123"})
    assistant = Assistant(settings)
    assistant._embedder = built_assistant.embedder
    with serve(assistant) as url:
        with pytest.raises(Exception):
            Client(url, verbose=False)
        authed = Client(url, auth=("granskare", "hemligt-123"), verbose=False)
        assert "Rådet" in authed.predict(QUESTION, [], api_name="/chat")["answer"]


@pytest.mark.slow
def test_upload_then_question_finds_the_new_document(built_assistant, tmp_path):
    assistant = isolated_assistant(built_assistant, tmp_path / "iso")
    editor = add_editor(assistant)  # changing the corpus needs the editor role; reading then needs a login
    handlers = Handlers(assistant)
    upload = tmp_path / "up" / UPLOAD_NAME
    upload.parent.mkdir()
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    with serve(assistant) as url:
        from gradio_client import Client

        client = Client(url, auth=(EDITOR_NAME, EDITOR_PASSWORD), verbose=False)
        before = client.predict(UPLOAD_QUESTION, [], api_name="/chat")
        assert not any(c["source"] == UPLOAD_NAME for c in before["citations"])
        message = handlers.upload(str(upload), request=editor, progress=no_progress)
        assert "va-ok" in message and "är nu sökbart" in message
        after = client.predict(UPLOAD_QUESTION, [], api_name="/chat")  # same server, no restart
        assert UPLOAD_EXPECTED in after["answer"]
        assert any(c["source"] == UPLOAD_NAME for c in after["citations"])
    broken = tmp_path / "up" / "trasig.pdf"
    broken.write_bytes(b"%PDF-1.4 not a real pdf")
    message = handlers.upload(str(broken), request=editor, progress=no_progress)
    assert "va-error" in message and "trasig.pdf lades inte till" in message and "kunde inte läsas" in message \
        and "Traceback" not in message
    assert not (assistant.settings.corpus_dir / "trasig.pdf").exists()
    view = document_html(assistant, UPLOAD_NAME)
    assert UPLOAD_NAME in view and html.escape(UPLOAD_LITERAL) in view and "<script>" not in view


@pytest.mark.slow
def test_app_py_starts_the_server(built_assistant):
    """`python app.py` with settings from the environment: the index exists, so it only launches."""
    port = free_port()
    env = dict(os.environ, ASSISTANT_CORPUS_DIR=str(built_assistant.settings.corpus_dir),
               ASSISTANT_INDEX_DIR=str(built_assistant.settings.index_dir), ASSISTANT_PORT=str(port),
               ASSISTANT_HOST="127.0.0.1")
    process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "app.py")], cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, page = time.monotonic() + 180, ""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5) as response:
                    page = response.read().decode("utf-8")
                    break
            except OSError:
                time.sleep(1)
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert "Vårdkompetens-assistenten" in page
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
