"""Login and roles of the web app (assistant/frontends/web/auth.py): the login mode, the Argon2 check
through the repository, the throttling of wrong logins (with an injected clock: no sleeping) and the
login over HTTP against a running app (429 after repeated failures, no public /openapi.json).
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.parse
import urllib.request
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher
from fastapi import HTTPException

from assistant.db import Repository, open_database
from assistant.frontends.web import build_app, launch
from assistant.frontends.web.auth import REFUSALS, Access, EditRefused, LoginThrottle, throttled_login
from assistant.service import Assistant
from assistant.settings import Settings

PASSWORD = "korrekt häst batteri"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
pytestmark = [  # pandas deprecations raised inside gradio's queue, not by this project
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:Warning"),
]


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def repo(tmp_path):
    return Repository(open_database(f"sqlite:///{tmp_path / 'app.db'}"), password_hasher=FAST_HASHER)


class CountingAccess(Access):
    """An Access that counts how often a password is really checked."""

    checks = 0

    def verify(self, username, password):
        type(self).checks += 1
        return super().verify(username, password)


def login(check, username: str, password: str):
    """One login attempt through the auth function: True/False, or the HTTPException it raises."""
    try:
        return asyncio.run(check(username, password))
    except HTTPException as exc:
        return exc


# ------------------------------------------------------------------ throttling
def test_fifty_wrong_logins_are_refused_without_checking_the_password(repo):
    repo.add_user("anna", PASSWORD, "editor")
    clock = Clock()
    throttle = LoginThrottle(max_failures=5, window_s=900, lockout_s=30, max_lockout_s=900, clock=clock)
    CountingAccess.checks = 0
    check = throttled_login(CountingAccess("users", repo), throttle)
    results = [login(check, "anna", f"fel-{n}") for n in range(50)]
    assert results[:5] == [False] * 5
    refused = results[5:]
    assert all(isinstance(r, HTTPException) and r.status_code == 429 for r in refused)
    assert "För många misslyckade inloggningar" in refused[0].detail and refused[0].headers["Retry-After"] == "30"
    assert CountingAccess.checks == 5  # the 45 refused attempts never reached Argon2
    # while locked even the right password is refused; after the lockout it works and clears the count
    assert isinstance(login(check, "anna", PASSWORD), HTTPException)
    clock.now += 31
    assert login(check, "anna", PASSWORD) is True
    assert throttle.retry_after(("user", "anna")) == 0


def test_back_off_doubles_and_is_capped():
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, window_s=10_000, lockout_s=10, max_lockout_s=60, clock=clock)
    key = ("user", "bo")
    for _ in range(3):
        throttle.failed(key)
    assert throttle.retry_after(key) == 10
    waits = []
    for _ in range(4):
        clock.now += throttle.retry_after(key)
        throttle.failed(key)
        waits.append(throttle.retry_after(key))
    assert waits == [20, 40, 60, 60]
    clock.now += 10_001  # failures older than the window no longer count
    assert throttle.retry_after(key) == 0


def test_throttle_counts_per_client_and_per_user_name(repo):
    repo.add_user("anna", PASSWORD, "editor")
    clock = Clock()
    throttle = LoginThrottle(max_failures=5, lockout_s=30, clock=clock)
    # one client guessing many names is stopped, even for a name it has not tried
    for n in range(5):
        throttle.failed(("user", f"namn{n}"), ("client", "10.0.0.9"))
    assert throttle.retry_after(("user", "anna"), ("client", "10.0.0.9")) > 0
    assert throttle.retry_after(("user", "anna"), ("client", "10.0.0.10")) == 0
    # one name guessed from many clients is stopped for every client
    for n in range(5):
        throttle.failed(("user", "cecilia"), ("client", f"10.1.0.{n}"))
    assert throttle.retry_after(("user", "cecilia"), ("client", "10.2.0.1")) > 0


def test_throttle_forgets_the_oldest_keys_beyond_its_limit():
    throttle = LoginThrottle(max_failures=1, clock=Clock(), max_keys=100)
    for n in range(1000):
        throttle.failed(("user", f"u{n}"))
    assert len(throttle._failures) == 100
    assert throttle.retry_after(("user", "u999")) > 0 and throttle.retry_after(("user", "u0")) == 0


def test_throttle_settings_are_fields():
    settings = Settings(login_max_failures=3, login_failure_window_s=60, login_lockout_s=5, login_max_lockout_s=50)
    throttle = LoginThrottle.from_settings(settings)
    assert (throttle.max_failures, throttle.window_s, throttle.lockout_s, throttle.max_lockout_s) == (3, 60, 5, 50)


# ------------------------------------------------------------------ login mode and the editor check
def _assistant(tmp_path, **overrides) -> Assistant:
    overrides.setdefault("database_url", f"sqlite:///{tmp_path / 'app.db'}")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", **overrides)
    return Assistant(settings)


def test_mode_follows_the_users_in_the_database(tmp_path):
    assistant = _assistant(tmp_path)
    assert Access.from_assistant(assistant).mode == "open"
    shared = _assistant(tmp_path, auth_user="alla", auth_password="gemensamt-lösen")
    access = Access.from_assistant(shared)
    assert access.mode == "shared" and access.login_required
    assert access.verify("alla", "gemensamt-lösen") and not access.verify("alla", "fel")
    assistant.repository.add_user("Anna", PASSWORD, "editor")
    access = Access.from_assistant(shared)  # users in the database win over the shared login
    assert access.mode == "users"
    assert access.verify("anna", PASSWORD) and not access.verify("alla", "gemensamt-lösen")
    assert not access.verify("Anna", "fel lösenord") and not access.verify("okänd", PASSWORD)


def test_only_disabled_users_leave_the_app_open(tmp_path):
    assistant = _assistant(tmp_path)
    assistant.repository.add_user("admin", PASSWORD, "admin")
    assistant.repository.add_user("bo", PASSWORD, "editor")
    assistant.repository.set_disabled("bo")
    assert Access.from_assistant(assistant).mode == "users"


def test_an_unreadable_database_keeps_the_app_closed(tmp_path):
    folder = tmp_path / "fil"
    folder.write_text("inte en mapp", encoding="utf-8")
    assistant = _assistant(tmp_path, database_url=f"sqlite:///{folder}/app.db")
    access = Access.from_assistant(assistant)
    assert access.mode == "users" and access.error and access.login_required
    assert not access.verify("anna", PASSWORD)


@pytest.mark.parametrize(("role", "allowed"), [("reader", False), ("editor", True), ("admin", True)])
def test_editor_check_reads_the_role_on_every_change(repo, role, allowed):
    repo.add_user("admin0", PASSWORD, "admin")  # so that the last-admin guard allows any change below
    repo.add_user("Anna", PASSWORD, role)
    access = Access("users", repo)
    request = SimpleNamespace(username="anna")
    if allowed:
        assert access.editor(request) == "Anna" and access.refusal(request) is None
        repo.set_role("Anna", "reader")  # takes effect at once, no new login needed
    with pytest.raises(EditRefused, match="läsbehörighet"):
        access.editor(request)


def test_editor_check_refusals(repo):
    repo.add_user("admin0", PASSWORD, "admin")
    repo.add_user("bo", PASSWORD, "editor")
    users = Access("users", repo)
    assert users.refusal(None) == REFUSALS["login"]
    assert users.refusal(SimpleNamespace(username=None)) == REFUSALS["login"]
    assert users.refusal(SimpleNamespace(username="borttagen")) == REFUSALS["unknown"]
    repo.set_disabled("bo")
    assert users.refusal(SimpleNamespace(username="bo")) == REFUSALS["unknown"]
    assert "kommandoraden" in Access("open").refusal(SimpleNamespace(username="bo"))
    assert "gemensamma inloggningen kan bara läsa" in Access("shared").refusal(SimpleNamespace(username="alla"))


# ------------------------------------------------------------------ over HTTP
def _post_login(url: str, username: str, password: str) -> tuple[int, str]:
    data = urllib.parse.urlencode({"username": username, "password": password}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{url}login", data=data)) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_login_over_http_is_throttled_and_the_schema_is_private(tmp_path):
    from app_helpers import free_port

    assistant = _assistant(tmp_path, login_max_failures=3, login_lockout_s=600)
    assistant.repository.add_user("anna", PASSWORD, "editor")
    demo = build_app(assistant)
    assert demo.va_access.mode == "users"
    port = free_port()
    launch(demo, assistant.settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        assert _get(f"{url}openapi.json") == 404  # FastAPI's schema lists every route: off
        assert _get(f"{url}gradio_api/info") == 401 and _get(f"{url}config") == 401
        assert _post_login(url, "anna", PASSWORD)[0] == 200
        codes = [_post_login(url, "anna", "fel lösenord")[0] for _ in range(10)]
        assert codes == [400] * 3 + [429] * 7
        status, body = _post_login(url, "anna", PASSWORD)
        assert status == 429 and "För många misslyckade inloggningar" in body
    finally:
        demo.close()
