"""``assistant users add | remove | role | list`` (assistant.frontends.cli) on a temporary SQLite database."""

from __future__ import annotations

import io
import json

import pytest

from assistant.frontends import cli
from assistant.frontends.cli import build_parser, users_command
from assistant.service import Assistant
from assistant.settings import Settings, get_settings

PASSWORD = "korrekt häst batteri"


@pytest.fixture()
def assistant(tmp_path) -> Assistant:
    return Assistant(Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                              database_url=f"sqlite:///{tmp_path / 'app.db'}"))


def run(assistant, *argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = users_command(assistant, build_parser().parse_args(["users", *argv]), stdout=out, stdin=io.StringIO(stdin))
    return code, out.getvalue()


def test_add_list_role_remove(assistant, capsys):
    code, out = run(assistant, "list")
    assert code == cli.EXIT_OK and "Inga användare" in out and "assistant users add" in out
    code, out = run(assistant, "add", "Anna", "--role", "editor", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == cli.EXIT_OK and "Anna lades till med rollen editor (redaktör)" in out
    assert run(assistant, "add", "Bo", "--role", "admin", "--password-stdin", stdin=PASSWORD)[0] == cli.EXIT_OK
    assert run(assistant, "add", "cecilia", "--password-stdin", stdin=PASSWORD)[0] == cli.EXIT_OK  # reader by default
    code, out = run(assistant, "list")
    assert "Anna" in out and "redaktör" in out and "administratör" in out and "3 användare." in out
    listed = json.loads(run(assistant, "list", "--json")[1])
    assert [(u["username"], u["role"], u["disabled"]) for u in listed] == \
        [("Anna", "editor", False), ("Bo", "admin", False), ("cecilia", "reader", False)]
    # the password is stored hashed and checks out (the trailing newline of stdin is not part of it)
    repo = assistant.repository
    assert repo.authenticate("anna", PASSWORD) is not None and repo.authenticate("anna", PASSWORD + "\n") is None
    assert run(assistant, "role", "cecilia", "editor")[0] == cli.EXIT_OK
    assert repo.get_user("cecilia").role == "editor"
    code, out = run(assistant, "remove", "ANNA")
    assert code == cli.EXIT_OK and "Anna togs bort" in out
    assert [u.username for u in repo.list_users()] == ["Bo", "cecilia"]


def test_invalid_input_exits_2_in_swedish(assistant, capsys):
    assert run(assistant, "add", "Anna", "--role", "editor", "--password-stdin", stdin=PASSWORD)[0] == cli.EXIT_OK
    cases = [
        (["add", "anna", "--password-stdin"], PASSWORD, "Det finns redan en användare"),
        (["add", "Ny", "--password-stdin"], "kort", "Lösenordet måste vara minst"),
        (["add", "  ", "--password-stdin"], PASSWORD, "Ange ett användarnamn"),
        (["remove", "okänd"], "", "det finns ingen användare som heter"),
        (["role", "okänd", "editor"], "", "okänd"),
    ]
    for argv, stdin, message in cases:
        assert run(assistant, *argv, stdin=stdin)[0] == cli.EXIT_INVALID, argv
        assert message in capsys.readouterr().err
    assert [u.username for u in assistant.repository.list_users()] == ["Anna"]


def test_the_last_admin_cannot_be_removed(assistant, capsys):
    assert run(assistant, "add", "Bo", "--role", "admin", "--password-stdin", stdin=PASSWORD)[0] == cli.EXIT_OK
    assert run(assistant, "remove", "Bo")[0] == cli.EXIT_INVALID
    assert capsys.readouterr().err.startswith("Fel: ")
    assert run(assistant, "role", "Bo", "reader")[0] == cli.EXIT_INVALID


def test_without_a_terminal_the_password_must_come_on_stdin(assistant, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    assert run(assistant, "add", "Anna")[0] == cli.EXIT_INVALID
    assert "--password-stdin" in capsys.readouterr().err
    assert assistant.repository.list_users() == []


def test_a_role_outside_the_list_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["users", "add", "Anna", "--role", "superuser"])
    assert exit_info.value.code == 2 and "ogiltigt val" in capsys.readouterr().err


def test_main_uses_the_configured_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    get_settings.cache_clear()
    try:
        assert cli.main(["users", "add", "Anna", "--role", "editor", "--password-stdin"]) == cli.EXIT_OK
        assert cli.main(["users", "list", "--json"]) == cli.EXIT_OK
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert json.loads(out[out.index("["):])[0]["username"] == "Anna"
