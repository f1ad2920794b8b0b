"""The web app's HTTP hardening (assistant/frontends/web/security.py): the Host allow-list against DNS
rebinding, the security headers on every response, the queue limit and temp-file cleanup, and no
absolute server path in what the app sends.

Tests marked ``slow`` start the app on a free loopback port over the session's built index; the last
one loads the app in Debian's Chromium (skipped without it, unless CI is set) and fails on any
Content-Security-Policy violation.
"""

from __future__ import annotations

import http.client
import json
import os
import re
from pathlib import Path

import pytest
from app_helpers import QUESTION, serve
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient

from assistant.frontends.web import build_app
from assistant.frontends.web.layout import DELETE_CACHE, GRADIO_QUEUE_ENV, QUEUE_PER_WORKER
from assistant.frontends.web.security import (
    REJECTED_HOST_TEXT,
    SECURITY_HEADERS,
    SecurityMiddleware,
    allowed_host_names,
    host_name,
    redact_paths,
)
from assistant.frontends.web.views import status_html, user_error
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.store.errors import IndexNotFound

PROJECT_ROOT = Path(__file__).resolve().parents[3]
pytestmark = [  # pandas deprecations raised inside gradio's queue, not by this project
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:Warning"),
]
EVIL = "evil.example.com"


# ------------------------------------------------------------------ the pieces
@pytest.mark.parametrize("header, name", [
    ("127.0.0.1:7860", "127.0.0.1"), ("LocalHost:7860", "localhost"), ("localhost", "localhost"),
    ("[::1]:7860", "::1"), ("[::1]", "::1"), ("assistent.example.se.", "assistent.example.se"),
    ("evil.example.com:80", "evil.example.com"),
    ("", None), (None, None), ("a b", None), ("x@127.0.0.1", None), ("127.0.0.1:80:81", None), ("[::1]x", None),
    ("[nonsense]", None), ("host:port", None),
])
def test_host_name(header, name):
    assert host_name(header) == name


def test_allowed_host_names():
    assert allowed_host_names() == {"127.0.0.1", "localhost", "::1"}
    names = allowed_host_names("0.0.0.0", ["Assistent.Example.SE", "fd00::5", "[::1]", "", "ogiltig värd"])
    assert names == {"127.0.0.1", "localhost", "::1", "0.0.0.0", "assistent.example.se", "fd00::5"}


def _client(route_headers=None):
    async def app(scope, receive, send):
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 1000})
            return
        await PlainTextResponse("hej", headers=route_headers)(scope, receive, send)

    return TestClient(SecurityMiddleware(app, allowed_host_names("10.0.0.5", ["assistent.example.se"])),
                      base_url="http://127.0.0.1:7860")


def test_middleware_rejects_other_hosts_in_swedish():
    client = _client()
    for host in (EVIL, f"{EVIL}:7860", "127.0.0.1.nip.io", "localhost.evil.example.com", "10.0.0.6"):
        response = client.get("/", headers={"Host": host})
        assert response.status_code == 400, host
        assert response.text == REJECTED_HOST_TEXT and "värdadress" in response.text
        assert response.headers["content-type"].startswith("text/plain")
        assert all(response.headers[k] == v for k, v in SECURITY_HEADERS.items())
    for host in ("127.0.0.1:7860", "localhost", "[::1]:7860", "10.0.0.5:7860", "ASSISTENT.example.se"):
        response = client.get("/", headers={"Host": host})
        assert response.status_code == 200 and response.text == "hej", host


def test_middleware_adds_the_headers_and_keeps_a_stricter_policy_of_the_route():
    response = _client().get("/")
    assert all(response.headers[k] == v for k, v in SECURITY_HEADERS.items())
    route = _client({"Content-Security-Policy": "default-src 'none'", "X-Frame-Options": "SAMEORIGIN"})
    response = route.get("/")
    assert response.headers.get_list("content-security-policy") == ["default-src 'none'",
                                                                    SECURITY_HEADERS["Content-Security-Policy"]]
    assert response.headers.get_list("x-frame-options") == ["DENY"]


def test_middleware_rejects_websockets_from_other_hosts():
    from starlette.websockets import WebSocketDisconnect

    client = _client()
    with client.websocket_connect("/ws", headers={"Host": "127.0.0.1:7860"}) as ws:  # accepted
        assert ws.receive()["type"] == "websocket.close"
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect("/ws", headers={"Host": EVIL}):
            pass
    assert closed.value.code == 1008


def test_content_security_policy_allows_only_the_app_itself():
    policy = dict(part.split(" ", 1) for part in SECURITY_HEADERS["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert not re.search(r"https?:|\*", SECURITY_HEADERS["Content-Security-Policy"])  # no other origin


def test_redact_paths():
    assert redact_paths("Inget index hittades i /srv/va/index. Kör `assistant ingest`.") == \
        "Inget index hittades i …/index. Kör `assistant ingest`."
    assert redact_paths("ONNX-modellen saknas (/opt/m/onnx/model.onnx).") == "ONNX-modellen saknas (…/model.onnx)."
    assert redact_paths("Chroma på http://127.0.0.1:8000/api/v2 och/eller 1/2") == \
        "Chroma på http://127.0.0.1:8000/api/v2 och/eller 1/2"
    assert redact_paths("") == "" and redact_paths("/tmp") == "/tmp"


def _no_project_path(text: str, *paths: Path) -> None:
    for path in (PROJECT_ROOT, *paths):
        assert str(path) not in text, f"{path} in {text[:300]!r}"


def test_error_messages_carry_no_server_path(tmp_path):
    missing = tmp_path / "djupt" / "inget-index"
    message = user_error(IndexNotFound(f"Inget index hittades i {missing}. Kör `assistant ingest`."))
    assert message == "Inget index hittades i …/inget-index. Kör `assistant ingest`."
    assistant = Assistant(Settings(corpus_dir=tmp_path, index_dir=missing))
    page = status_html(assistant)
    assert "Inget index hittades" in page
    _no_project_path(page, tmp_path)


def test_queue_limit_and_temp_file_cleanup(tmp_path):
    settings = Settings(corpus_dir=tmp_path, index_dir=tmp_path / "index", max_concurrent_requests=3)
    demo = build_app(Assistant(settings))
    assert demo.delete_cache == DELETE_CACHE and DELETE_CACHE[1] <= 3600
    assert demo._queue.max_size == QUEUE_PER_WORKER * 3
    assert demo._queue.default_concurrency_limit == 3


def test_queue_sends_positions_at_the_configured_interval_and_keeps_no_dashboard_table(tmp_path, monkeypatch):
    for key in GRADIO_QUEUE_ENV:
        monkeypatch.delenv(key, raising=False)
    settings = Settings(corpus_dir=tmp_path, index_dir=tmp_path / "index", queue_status_interval_s=2.5)
    queue = build_app(Assistant(settings))._queue
    assert queue.live_updates is False and queue.update_intervals == 2.5
    # Gradio's per-event analytics table (for the /monitoring dashboard, which is off) is bounded and not rebuilt
    assert queue.ANALYTICS_MAX_EVENTS == int(GRADIO_QUEUE_ENV["GRADIO_ANALYTICS_MAX_EVENTS"])
    records = [{"time": 0.0, "status": "success", "process_time": 0.1, "function": "chat", "session_hash": "s"}]
    queue.events_recorded += 1
    assert queue.compute_analytics_summary(records) == {"functions": {}}
    every_change = build_app(Assistant(settings.model_copy(update={"queue_status_interval_s": 0})))._queue
    assert every_change.live_updates is True


# ------------------------------------------------------------------ slow: the running app
def _request(url: str, path: str, host: str | None = None, method: str = "GET", body: bytes | None = None,
             headers: dict | None = None) -> tuple[int, http.client.HTTPMessage, str]:
    """One request to the app at ``url`` with the Host header ``host`` (default: the URL's own)."""
    netloc = url.split("//", 1)[1].rstrip("/")
    connection = http.client.HTTPConnection(*netloc.rsplit(":", 1), timeout=300)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or netloc)
        for key, value in (headers or {}).items():
            connection.putheader(key, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


def _assert_security_headers(headers, where: str) -> None:
    for key, value in SECURITY_HEADERS.items():
        assert value in headers.get_all(key, []), f"{key} missing on {where}: {dict(headers)}"


def _chat(url: str, *data) -> tuple[str, list]:
    """The chat API over plain HTTP: the raw event stream and the headers of both responses."""
    status, started, text = _request(url, "/gradio_api/call/chat", method="POST",
                                     body=json.dumps({"data": list(data)}).encode(),
                                     headers={"Content-Type": "application/json"})
    assert status == 200, text
    status, streamed, stream = _request(url, f"/gradio_api/call/chat/{json.loads(text)['event_id']}")
    assert status == 200 and "event: complete" in stream, stream[-500:]
    return stream, [started, streamed]


def _last_payload(stream: str) -> dict:
    events = re.findall(r"event: (\w+)\ndata: (.*)", stream)
    assert events and events[-1][0] == "complete", stream[-500:]
    return json.loads(events[-1][1])[0]


@pytest.fixture(scope="module")
def app_url(built_assistant):
    with serve(built_assistant) as url:
        yield url


@pytest.mark.slow
def test_other_hosts_get_400(app_url):
    for path in ("/", "/config", "/gradio_api/info", "/gradio_api/call/chat"):
        status, headers, text = _request(app_url, path, host=EVIL)
        assert status == 400 and text == REJECTED_HOST_TEXT, (path, status, text[:200])
        _assert_security_headers(headers, f"400 for {path}")
    port = app_url.rstrip("/").rsplit(":", 1)[1]
    status, _, _ = _request(app_url, "/config", host=f"{EVIL}:{port}")
    assert status == 400


@pytest.mark.slow
def test_monitoring_dashboard_is_off(app_url):
    for path in ("/monitoring", "/monitoring/summary"):
        status, headers, _ = _request(app_url, path)
        assert status == 403, (path, status)
        _assert_security_headers(headers, path)


@pytest.mark.slow
def test_allowed_hosts_get_the_app(app_url):
    port = app_url.rstrip("/").rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "localhost"):
        status, _, text = _request(app_url, "/config", host=host)
        assert status == 200 and "Vårdkompetens-assistenten" in text, host


@pytest.mark.slow
def test_allowed_hosts_setting(built_assistant):
    settings = built_assistant.settings.model_copy(update={"allowed_hosts": ["assistent.example.se"]})
    assistant = Assistant(settings)
    assistant._embedder = built_assistant.embedder
    with serve(assistant) as url:
        assert _request(url, "/config", host="assistent.example.se")[0] == 200
        assert _request(url, "/config", host="Assistent.Example.SE:443")[0] == 200
        assert _request(url, "/config", host=EVIL)[0] == 400


@pytest.mark.slow
def test_headers_on_the_page_and_the_api(app_url):
    for path in ("/", "/config", "/gradio_api/info", "/theme.css"):
        status, headers, _ = _request(app_url, path)
        assert status == 200, path
        _assert_security_headers(headers, path)
    stream, responses = _chat(app_url, QUESTION, [], None, None)
    for headers in responses:
        _assert_security_headers(headers, "the chat API")


@pytest.mark.slow
def test_chat_api_never_sends_the_server_path(app_url, built_assistant):
    paths = (built_assistant.settings.corpus_dir, built_assistant.settings.index_dir)
    stream, _ = _chat(app_url, QUESTION, [], None, None)
    answer = _last_payload(stream)
    assert "Rådet" in answer["answer"] and "[1]" in answer["answer"] and answer["citations"]
    _no_project_path(stream, *paths)
    _no_project_path(json.dumps(answer, ensure_ascii=False), *paths)
    summary, _ = _chat(app_url, "Sammanfatta uppföljningen för Södra", [], None, None)
    assert _last_payload(summary)["summary"] is True
    _no_project_path(summary, *paths)
    # Gradio's own upload route answers with its temp folder (outside the project), never with ours
    body = (b"--X\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n"
            b"Content-Type: text/plain\r\n\r\nhej\r\n--X--\r\n")
    status, headers, text = _request(app_url, "/gradio_api/upload", method="POST", body=body,
                                     headers={"Content-Type": "multipart/form-data; boundary=X"})
    assert status == 200, text
    _assert_security_headers(headers, "/gradio_api/upload")
    _no_project_path(text, *paths)


@pytest.mark.slow
def test_chat_api_errors_carry_no_server_path(built_assistant, tmp_path):
    missing = tmp_path / "inget-index"
    settings = built_assistant.settings.model_copy(update={"index_dir": missing})
    assistant = Assistant(settings)
    assistant._embedder = built_assistant.embedder
    with serve(assistant) as url:
        stream, _ = _chat(url, QUESTION, [], None, None)
    payload = _last_payload(stream)
    assert "Inget index hittades i …/inget-index" in payload["error"], payload
    _no_project_path(stream, tmp_path, missing, built_assistant.settings.corpus_dir)
    _no_project_path(json.dumps(payload, ensure_ascii=False), tmp_path, missing)


# ------------------------------------------------------------------ slow: the policy in a real browser
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
RECORD_VIOLATIONS = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""


@pytest.mark.slow
def test_app_works_in_the_browser_under_the_policy(app_url):
    missing = [] if CHROMIUM.exists() else [f"{CHROMIUM} saknas"]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("playwright saknas")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"Webbläsartestet måste köras i CI men: {'; '.join(missing)}")
        pytest.skip(f"Webbläsartestet hoppas över: {'; '.join(missing)} (och CI är inte satt)")
    console: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                   "--disable-component-update", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="sv-SE")
            page.add_init_script(RECORD_VIOLATIONS)
            page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            response = page.goto(app_url)
            assert response.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
            page.fill("#va-question textarea", QUESTION)
            page.click("#va-send")
            page.wait_for_function("() => document.querySelector('#va-chatbot .va-answer') "
                                   "&& !document.querySelector('#va-chatbot .va-cursor')", timeout=180_000)
            assert "Rådet" in page.locator("#va-chatbot .va-answer").last.inner_text()
            for tab, selector in (("Dokument", "#va-doc-table"), ("Uppföljning", "#va-sum-councils"),
                                  ("Status", "#va-status table")):
                page.get_by_role("tab", name=tab).click()
                page.wait_for_selector(selector)
            violations = page.evaluate("window.__csp")
        finally:
            browser.close()
    assert not violations and not console, f"Content-Security-Policy violations: {(violations + console)[:5]}"
    assert not errors, f"JavaScript errors on the page: {errors[:5]}"
