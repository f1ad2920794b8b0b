"""``assistant feedback export`` (assistant.frontends.cli): CSV (';' and BOM) or JSONL, exit codes.

Runs through :func:`assistant.frontends.cli.main` with ``ASSISTANT_DATABASE_URL`` pointing at a
temporary SQLite database (no index or embedding model is needed to export feedback).
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from assistant.db import Repository, open_database
from assistant.frontends.cli import main
from assistant.settings import get_settings

CITATION = {"n": 1, "source": "plan.txt", "title": "Plan för Södra", "council": "RVKR Södra", "section": "VFU",
            "lines": [3, 4], "quote": "Rådet ansvarar för VFU."}


@pytest.fixture
def database_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def feedback(database_url):
    database = open_database(database_url)
    repository = Repository(database)
    conversation = repository.create_conversation("user:anna", "VFU")
    message = repository.add_messages(conversation.id, "user:anna", [
        {"role": "user", "content": "Vem ansvarar för VFU?"},
        {"role": "assistant", "content": "Rådet [1].", "citations": [CITATION], "build_id": "b-1"}])[1]
    stored = [
        repository.set_feedback("user:anna", "down", question="Vem ansvarar för VFU?", answer="Rådet [1].",
                                citations=[CITATION], build_id="b-1", comment="Fel; råd\nsäger jag",
                                conversation_id=conversation.id, message_id=message.id),
        repository.set_feedback("browser:0123", "up", question="Vilka län?", answer="Örebro län [1].",
                                citations=[CITATION], build_id="b-2"),
    ]
    yield stored
    database.dispose()


def test_csv_with_semicolons_and_bom(feedback, tmp_path, capsys):
    out = tmp_path / "ny" / "mapp" / "betyg.csv"
    assert main(["feedback", "export", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Skrev" in printed and "(2 betyg)" in printed
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Swedish Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, first, second = rows
    assert header[:6] == ["Id", "Betyg", "Kommentar", "Fråga", "Svar", "Källor"]
    assert first[1] == "tumme ned" and first[2] == "Fel; råd\nsäger jag" and first[3] == "Vem ansvarar för VFU?"
    assert first[5] == "[1] Plan för Södra, rad 3–4: ”Rådet ansvarar för VFU.”"
    assert first[header.index("Indexbygge")] == "b-1" and second[1] == "tumme upp"


def test_jsonl_from_the_extension(feedback, tmp_path):
    out = tmp_path / "betyg.jsonl"
    assert main(["feedback", "export", "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [row["rating"] for row in rows] == ["down", "up"]
    assert rows[0]["citations"] == [CITATION] and rows[0]["build_id"] == "b-1" and rows[0]["question"]
    assert rows[0]["conversation_id"] and rows[1]["conversation_id"] is None


def test_to_stdout_and_format_flag(feedback, capsys):
    assert main(["feedback", "export", "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["answer"] == "Örebro län [1]."
    assert main(["feedback", "export", "--delimiter", ","]) == 0
    assert capsys.readouterr().out.startswith("Id,Betyg,Kommentar")


def test_no_feedback_yet_gives_just_the_header(database_url, capsys):
    assert main(["feedback", "export"]) == 0
    assert capsys.readouterr().out.strip() == "Id;Betyg;Kommentar;Fråga;Svar;Källor;Indexbygge;Användare;" \
                                              "Konversation;Given;Ändrad"


def test_invalid_usage_exits_2(database_url, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["feedback", "export", "--format", "xml"])
    assert exit_info.value.code == 2 and "ogiltigt val" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["feedback"])
    assert exit_info.value.code == 2


def test_unusable_database_exits_1(monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", "mysql://nope/db")
    get_settings.cache_clear()
    try:
        assert main(["feedback", "export"]) == 1
    finally:
        get_settings.cache_clear()
    assert "databasen kunde inte användas" in capsys.readouterr().err
