"""Who may change the corpus in the web app: the handlers refuse upload, delete, replace, metadata and
review without the editor role, and allow them with it (checked in the handler itself: the events are
reachable through Gradio's API, hidden buttons would not be enough).

Fast tests use a fake Assistant that records the changes it is asked for; the ``slow`` test calls the
upload event through the HTTP API of a running app, and the end-to-end test changes a copy of the
built index.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from app_helpers import UPLOAD_EXPECTED, UPLOAD_NAME, UPLOAD_QUESTION, UPLOAD_TEXT, isolated_assistant, no_progress
from argon2 import PasswordHasher

from assistant.db import Repository, open_database
from assistant.frontends.web import Handlers, build_app, launch
from assistant.frontends.web.auth import Access
from assistant.service import Assistant
from assistant.settings import Settings

PASSWORD = "korrekt häst batteri"
pytestmark = [  # pandas deprecations raised inside gradio's queue, not by this project
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:Warning"),
]


class FakeDocumentsAssistant:
    """Records every change of the corpus it is asked for; answers like the real one."""

    settings = Settings()

    def __init__(self):
        self.changes: list[tuple] = []

    def upload_document(self, path, metadata=None, added_by=None, progress=None):
        self.changes.append(("upload", Path(path).name, added_by, metadata))
        return self._report(path, metadata, added_by)

    @staticmethod
    def _report(path, metadata, added_by):
        return {"source": Path(path).name, "title": metadata.get("title") or "Plan", "council": "RVKR Test",
                "doc_type": "aktivitetsplan", "period": "", "chunks": 3, "chunks_by_kind": {"activity": 2, "paragraph": 1},
                "records": 2, "warnings": [], "seconds": 0.5, "added_by": added_by, "added_at": "2026-12-01T20:00:00+00:00",
                "reviewed": False, "reviewed_by": "", "reviewed_at": ""}

    def remove_document(self, name, removed_by=None, progress=None):
        self.changes.append(("remove", name, removed_by))

    def replace_document(self, name, path, replaced_by=None, metadata=None, progress=None):
        self.changes.append(("replace", name, replaced_by))
        return {**self._report(path, {}, replaced_by), "source": name}

    def set_document_metadata(self, name, metadata, progress=None):
        self.changes.append(("metadata", name, metadata))

    def review_document(self, name, reviewed_by=None):
        self.changes.append(("review", name, reviewed_by))
        return {"reviewed": True, "reviewed_by": reviewed_by}


@pytest.fixture()
def repo(tmp_path):
    repository = Repository(open_database(f"sqlite:///{tmp_path / 'app.db'}"),
                            password_hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    repository.add_user("Admin", PASSWORD, "admin")
    repository.add_user("Anna", PASSWORD, "editor")
    repository.add_user("Lars", PASSWORD, "reader")
    return repository


def _all_changes(handlers: Handlers, request, upload: Path) -> list[str]:
    """Every corpus-changing handler once; their messages."""
    return [
        handlers.upload(str(upload), "Min titel", "", "", "", request=request, progress=no_progress),
        handlers.remove("plan.md", True, request=request, progress=no_progress),
        handlers.replace("plan.md", str(upload), request=request, progress=no_progress),
        handlers.save_metadata("plan.md", "Ny titel", "RVKR Test", "", "", request=request, progress=no_progress),
        handlers.review("plan.md", request=request),
    ]


@pytest.fixture()
def upload(tmp_path) -> Path:
    path = tmp_path / "up" / "plan.md"
    path.parent.mkdir()
    path.write_text("# Aktivitetsplan 2027 för RVKR Test\n\nText.\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("access", "username", "reason"), [
    (Access("open"), None, "kommandoraden"),
    (Access("open"), "anna", "kommandoraden"),
    (Access("shared", shared_user="alla", shared_password="x"), "alla", "gemensamma inloggningen"),
])
def test_changes_are_refused_without_users(access, username, reason, upload):
    fake = FakeDocumentsAssistant()
    handlers = Handlers(fake, access=access)
    for message in _all_changes(handlers, SimpleNamespace(username=username), upload):
        assert "va-error" in message and reason in message
    assert fake.changes == []


@pytest.mark.parametrize(("username", "reason"), [
    (None, "Logga in som redaktör"), ("Lars", "läsbehörighet"), ("okänd", "finns inte längre"),
])
def test_changes_are_refused_without_the_editor_role(repo, upload, username, reason):
    fake = FakeDocumentsAssistant()
    handlers = Handlers(fake, access=Access("users", repo))
    for message in _all_changes(handlers, SimpleNamespace(username=username), upload):
        assert "va-error" in message and reason in message
    assert fake.changes == []


@pytest.mark.parametrize("username", ["anna", "ADMIN"])
def test_editors_and_admins_may_change_the_corpus(repo, upload, username):
    fake = FakeDocumentsAssistant()
    handlers = Handlers(fake, access=Access("users", repo))
    messages = _all_changes(handlers, SimpleNamespace(username=username), upload)
    assert all("va-error" not in message for message in messages), messages
    who = repo.get_user(username).username
    assert [change[:3] for change in fake.changes] == [
        ("upload", "plan.md", who), ("remove", "plan.md", who), ("replace", "plan.md", who),
        ("metadata", "plan.md", {"title": "Ny titel", "council": "RVKR Test", "doc_type": "", "period": ""}),
        ("review", "plan.md", who)]
    assert fake.changes[0][3]["title"] == "Min titel"
    report = messages[0]
    assert "plan.md lades till" in report and "Aktivitetsposter" in report and "Ogranskad uppladdning" in report


def test_removal_needs_the_confirmation_and_a_selected_document(repo, upload):
    fake = FakeDocumentsAssistant()
    handlers = Handlers(fake, access=Access("users", repo))
    editor = SimpleNamespace(username="anna")
    assert "Kryssa i" in handlers.remove("plan.md", False, request=editor, progress=no_progress)
    assert "Välj ett dokument" in handlers.remove(None, True, request=editor, progress=no_progress)
    assert "Välj filen" in handlers.replace("plan.md", None, request=editor, progress=no_progress)
    assert fake.changes == []


def test_editing_controls_are_shown_to_editors_only(repo):
    handlers = Handlers(FakeDocumentsAssistant(), access=Access("users", repo))
    notice, group = handlers.edit_controls(SimpleNamespace(username="anna"))
    assert group["visible"] is True and "redaktör" in notice
    notice, group = handlers.edit_controls(SimpleNamespace(username="Lars"))
    assert group["visible"] is False and "läsbehörighet" in notice
    notice, group = Handlers(FakeDocumentsAssistant(), access=Access("open")).edit_controls(None)
    assert group["visible"] is False and "assistant users add" in notice


def test_the_upload_form_is_prefilled_for_editors_only(repo, upload):
    handlers = Handlers(FakeDocumentsAssistant(), access=Access("users", repo))
    assert handlers.suggest_metadata(str(upload), request=SimpleNamespace(username="anna")) == \
        ("Aktivitetsplan 2027 för RVKR Test", "RVKR Test", "aktivitetsplan", "2027")
    unchanged = handlers.suggest_metadata(str(upload), request=SimpleNamespace(username="Lars"))
    assert all(update == {"__type__": "update"} for update in unchanged)
    broken = upload.with_name("trasig.pdf")
    broken.write_bytes(b"%PDF-1.4 trasig")
    assert all(u == {"__type__": "update"} for u in handlers.suggest_metadata(str(broken), SimpleNamespace(username="anna")))


def _call_api(url: str, api_name: str, data: list) -> list:
    """Call an event over Gradio's HTTP API (POST /gradio_api/call/<name>, then read the event stream)."""
    request = urllib.request.Request(f"{url}gradio_api/call/{api_name}", data=json.dumps({"data": data}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        event_id = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/{api_name}/{event_id}") as response:
        stream = response.read().decode()
    payloads = [line[len("data:"):].strip() for line in stream.splitlines() if line.startswith("data:")]
    return json.loads(payloads[-1])


@pytest.mark.slow
def test_the_upload_api_is_refused_without_an_editor(tmp_path, settings_factory, upload):
    """Anyone who reaches the port can call the upload event directly: the handler refuses it."""
    from app_helpers import free_port
    from gradio_client import handle_file

    settings = settings_factory("roles-api", database_url=f"sqlite:///{tmp_path / 'app.db'}")
    assistant = Assistant(settings)
    demo = build_app(assistant)
    assert demo.va_access.mode == "open"
    port = free_port()
    launch(demo, settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        with open(upload, "rb") as handle:  # Gradio's own upload route first, as the browser does
            body, boundary = _multipart("files", upload.name, handle.read())
        request = urllib.request.Request(f"{url}gradio_api/upload", data=body,
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(request) as response:
            server_path = json.loads(response.read())[0]
        file_data = {**handle_file(server_path), "path": server_path}
        result = _call_api(url, "upload", [file_data, "Titel", "", "", ""])
        assert "kommandoraden" in result[0] and "va-error" in result[0]
    finally:
        demo.close()
    assert not (settings.corpus_dir / upload.name).exists()
    assert "plan.md" not in json.loads((settings.corpus_dir / "catalog.json").read_text(encoding="utf-8"))["documents"]


def _multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "va-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: text/markdown\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, boundary


@pytest.mark.slow
def test_an_editor_uploads_reviews_and_removes_on_the_real_index(built_assistant, tmp_path):
    assistant = isolated_assistant(built_assistant, tmp_path / "iso")
    repository = Repository(open_database(f"sqlite:///{tmp_path / 'app.db'}"),
                            password_hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    repository.add_user("Anna", PASSWORD, "editor")
    repository.add_user("Lars", PASSWORD, "reader")
    handlers = Handlers(assistant, access=Access("users", repository))
    editor, reader = SimpleNamespace(username="anna"), SimpleNamespace(username="lars")
    path = tmp_path / "up" / UPLOAD_NAME
    path.parent.mkdir()
    path.write_text(UPLOAD_TEXT, encoding="utf-8")

    assert "läsbehörighet" in handlers.upload(str(path), request=reader, progress=no_progress)
    assert not (assistant.settings.corpus_dir / UPLOAD_NAME).exists()
    report = handlers.upload(str(path), "Simulatorplan Glimmerdalen", "RVKR Glimmerdalen", "", "2026",
                             request=editor, progress=no_progress)
    assert "va-ok" in report and "är nu sökbart" in report and "RVKR Glimmerdalen" in report
    entry = json.loads((assistant.settings.corpus_dir / "catalog.json").read_text(encoding="utf-8"))["documents"][UPLOAD_NAME]
    assert entry["added_by"] == "Anna" and entry["reviewed"] is False and entry["title"] == "Simulatorplan Glimmerdalen"
    document = next(d for d in assistant.documents() if d["source"] == UPLOAD_NAME)
    assert (document["title"], document["council"], document["period"]) == \
        ("Simulatorplan Glimmerdalen", "RVKR Glimmerdalen", "2026")

    # the answer citing the unreviewed upload says so next to the citation
    reply = list(handlers.respond(UPLOAD_QUESTION, None, [], []))[-1][0][-1]["content"]
    assert UPLOAD_EXPECTED in reply and "(ogranskad uppladdning)" in reply
    assert "läsbehörighet" in handlers.review(UPLOAD_NAME, request=reader)
    assert "markerat som granskat" in handlers.review(UPLOAD_NAME, request=editor)
    reply = list(handlers.respond(UPLOAD_QUESTION, None, [], []))[-1][0][-1]["content"]
    assert UPLOAD_EXPECTED in reply and "ogranskad" not in reply

    assert "läsbehörighet" in handlers.remove(UPLOAD_NAME, True, request=reader, progress=no_progress)
    assert "togs bort" in handlers.remove(UPLOAD_NAME, True, request=editor, progress=no_progress)
    assert UPLOAD_NAME not in {d["source"] for d in assistant.documents()}
    assert not (assistant.settings.corpus_dir / UPLOAD_NAME).exists()
    archived = list((assistant.settings.corpus_dir / ".removed").glob(f"*{UPLOAD_NAME}"))
    assert len(archived) == 1 and archived[0].read_text(encoding="utf-8") == UPLOAD_TEXT
