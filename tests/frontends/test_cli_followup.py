"""``assistant followup list | set | history | due | import | export | report`` (assistant.frontends.cli).

Fast tests run the command on the corpus view (no embedding model) with a temporary SQLite database;
the slow test goes through ``assistant.frontends.cli.main`` on the built index, as a user would.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from types import SimpleNamespace

import pytest
from docx import Document
from followup import helpers

from assistant.db import Repository, open_database
from assistant.followup import FollowupTracker
from assistant.frontends import cli
from assistant.frontends.cli import add_summary_arguments, build_parser, followup_command, summary_command
from assistant.settings import get_settings

corpus_view = helpers.corpus_view  # the fixture of tests/followup
SODRA = helpers.SODRA


@pytest.fixture
def tracker(corpus_view, tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'var' / 'app.db'}")
    yield FollowupTracker(Repository(database), corpus_view, user="anna")
    database.dispose()


def run(tracker, *argv: str) -> tuple[int, str]:
    args = build_parser().parse_args(["followup", *argv])
    out = io.StringIO()
    code = followup_command(SimpleNamespace(followup=tracker), args, stdout=out)
    return code, out.getvalue()


def export_draft_csv(tracker, view, path, *extra: str) -> None:
    args = add_summary_arguments(argparse.ArgumentParser()).parse_args(
        ["--council", "Södra", "--format", "csv", "--out", str(path), *extra])
    assert summary_command(view, args, stdout=io.StringIO(),
                           build=lambda **filters: tracker.summary(view, **filters)) == cli.EXIT_OK


def fill_csv(path, statuses: dict[str, tuple[str, str]]) -> None:
    """Fill Status/Kommentar in the exported CSV as a spreadsheet would (same delimiter, BOM kept)."""
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, delimiter=delimiter)
    writer.writeheader()
    for row in reader:
        if row["Id"] in statuses:
            row["Status"], row["Kommentar"] = statuses[row["Id"]]
        writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8-sig", newline="")


def test_list_set_and_history(tracker):
    code, out = run(tracker, "list", "--council", "Södra", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 8 and all(row["latest"] is None for row in rows)
    first, second = rows[0]["record_id"], rows[1]["record_id"]

    code, out = run(tracker, "set", first, "--status", "pågår", "--comment", "Två exempel", "--date", "2026-11-20")
    assert code == 0 and out.startswith(f"Registrerade ”Pågår” för {first} (RVKR Södra: Rådet ska inspireras")
    assert "2026-11-20, av anna" in out
    assert run(tracker, "set", second, "--status", "Klar", "--evidence", "Protokoll")[0] == 0
    assert run(tracker, "set", first, "--status", "Försenad", "--kommentar", "Flyttad", "--datum", "2026-11-25")[0] == 0

    latest = {row["record_id"]: row["latest"] for row in json.loads(run(tracker, "list", "--council", "sodra",
                                                                        "--json")[1])}
    assert (latest[first]["status"], latest[first]["comment"], latest[first]["date"]) == ("Försenad", "Flyttad",
                                                                                       "2026-11-25")
    assert (latest[second]["status"], latest[second]["evidence"], latest[second]["recorded_by"]) == \
        ("Klar", "Protokoll", "anna")

    code, out = run(tracker, "list", "--council", "RVKR Södra", "--status", "Klar")
    assert code == 0 and out.startswith(f"{second}  [Klar]  RVKR Södra: Rådet ska diskutera") and "1 aktiviteter." in out
    code, out = run(tracker, "list", "--council", "Södra")
    assert "[ingen uppföljning än]" in out and "senast: 2026-11-25, anna; kommentar: Flyttad" in out
    assert run(tracker, "list", "--council", "Södra", "--status", "Struken")[1] == "Inga aktiviteter matchar urvalet.\n"

    code, out = run(tracker, "history", first, "--json")
    history = json.loads(out)
    assert code == 0 and history["record_id"] == first and history["council"] == SODRA
    assert [(e["status"], e["comment"]) for e in history["entries"]] == [("Pågår", "Två exempel"), ("Försenad", "Flyttad")]
    code, out = run(tracker, "history", first)
    assert code == 0 and "2026-11-20  Pågår" in out and "2026-11-25  Försenad" in out


def test_due(tracker):
    rows = json.loads(run(tracker, "list", "--council", "Södra", "--json")[1])
    run(tracker, "set", rows[0]["record_id"], "--status", "Klar")
    code, out = run(tracker, "due", "--council", "Södra", "--date", "2027-01-15", "--json")
    due = json.loads(out)
    assert code == 0 and len(due) == 7 and rows[0]["record_id"] not in {row["record_id"] for row in due}
    assert all(row["due_date"].startswith("2026-") and row["due_because"] == "tidplan" for row in due)
    code, out = run(tracker, "due", "--council", "Södra", "--date", "2027-01-15")
    assert out.startswith("Förfallna aktiviteter den 2027-01-15") and "tidplan slutade 2026-06-30" in out
    assert run(tracker, "due", "--council", "Södra", "--date", "2026-01-15")[1] == \
        "Inga förfallna aktiviteter den 2026-01-15.\n"


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_csv_round_trip(tracker, corpus_view, tmp_path, delimiter):
    ids = [row["record_id"] for row in json.loads(run(tracker, "list", "--council", "Södra", "--json")[1])]
    path = tmp_path / "uppfoljning.csv"
    export_draft_csv(tracker, corpus_view, path, "--delimiter", delimiter)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    fill_csv(path, {ids[0]: ("Pågår", "Workshop bokad"), ids[4]: ("klar", "Rapport inskickad")})

    code, out = run(tracker, "import", str(path))
    assert code == 0
    assert f"Rad 2: {ids[0]} (RVKR Södra: Rådet ska inspireras genom goda exempel) (ingen status) → ”Pågår” " \
           "– Workshop bokad" in out
    assert f"Rad 6: {ids[4]}" in out and "→ ”Klar” – Rapport inskickad" in out
    assert "Torrkörning: inget har sparats (2 ändringar, 0 oförändrade, 6 tomma rader)" in out
    assert json.loads(run(tracker, "export", "--format", "json")[1]) == []  # the dry run changed nothing

    code, out = run(tracker, "import", str(path), "--apply")
    assert code == 0 and "Registrerade 2 uppföljningar" in out
    latest = {row["record_id"]: row["latest"] for row in json.loads(run(tracker, "list", "--council", "Södra",
                                                                        "--json")[1])}
    assert (latest[ids[0]]["status"], latest[ids[0]]["comment"], latest[ids[0]]["recorded_by"]) == \
        ("Pågår", "Workshop bokad", "anna")
    assert latest[ids[4]]["status"] == "Klar"
    assert run(tracker, "import", str(path), "--apply")[1].startswith("Inga ändringar att registrera (0 ändringar, "
                                                                     "2 oförändrade")

    # A new draft shows the statuses; editing one row changes only that activity.
    export_draft_csv(tracker, corpus_view, path, "--delimiter", delimiter)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""), delimiter=delimiter))
    assert (rows[0]["Id"], rows[0]["Status"], rows[0]["Kommentar"]) == (ids[0], "Pågår", "Workshop bokad")
    fill_csv(path, {ids[0]: ("Klar", "Workshop genomförd")})
    code, out = run(tracker, "import", str(path), "--apply")
    assert code == 0 and "”Pågår” → ”Klar” – Workshop genomförd" in out and "Registrerade 1 uppföljningar" in out

    out_file = tmp_path / "poster.csv"
    code, out = run(tracker, "export", "-o", str(out_file))
    assert code == 0 and "(3 uppföljningar)" in out
    exported = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8-sig"), newline="")))
    assert [(row["Id"], row["Status"]) for row in exported] == [(ids[0], "Pågår"), (ids[4], "Klar"), (ids[0], "Klar")]
    assert exported[0]["Råd"] == SODRA and exported[0]["Registrerad av"] == "anna"


def test_invalid_input_exits_2_with_a_swedish_message(tracker, tmp_path, capsys):
    record_id = json.loads(run(tracker, "list", "--json")[1])[0]["record_id"]
    capsys.readouterr()
    cases = [
        (("set", "rec-0000000000", "--status", "Klar"), "Det finns ingen aktivitet med id 'rec-0000000000'"),
        (("set", record_id, "--status", "Halvklar"), "Okänd status 'Halvklar'"),
        (("set", record_id, "--status", "Klar", "--date", "15/1"), "Ogiltigt datum ”15/1”"),
        (("history", "rec-saknas"), "Det finns ingen aktivitet med id 'rec-saknas'"),
        (("list", "--council", "Norra"), "Okänt råd: Norra"),
        (("list", "--status", "halvklar"), "Okänd status"),
        (("list", "--period", "någon gång"), "Kunde inte tolka perioden"),
        (("due", "--council", "Norra"), "Okänt råd: Norra"),
        (("due", "--date", "2027-13-01"), "Ogiltigt datum"),
        (("import", str(tmp_path / "saknas.csv")), "Kunde inte läsa"),
    ]
    for argv, message in cases:
        code, out = run(tracker, *argv)
        err = capsys.readouterr().err
        assert code == cli.EXIT_INVALID, argv
        assert err.startswith("Fel: ") and message in err and "Traceback" not in err, (argv, err)
        assert out == ""
    assert json.loads(run(tracker, "export", "--format", "json")[1]) == []
    for argv in (["followup"], ["followup", "set", record_id], ["followup", "export", "--format", "xml"]):
        with pytest.raises(SystemExit) as stopped:  # argparse: usage and exit code 2
            build_parser().parse_args(argv)
        assert stopped.value.code == 2


@pytest.mark.slow
def test_followup_commands_through_main(built_assistant, monkeypatch, tmp_path, capsys):
    settings = built_assistant.settings
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("ASSISTANT_FOLLOWUP_USER", "testare")
    get_settings.cache_clear()
    try:
        assert cli.main(["followup", "list", "--council", "Södra", "--json"]) == cli.EXIT_OK
        rows = json.loads(capsys.readouterr().out)
        assert len(rows) == 8 and all(row["record_id"].startswith("rec-") and row["latest"] is None for row in rows)
        ids = [row["record_id"] for row in rows]
        assert cli.main(["followup", "set", ids[0], "--status", "Pågår", "--comment", "igång"]) == cli.EXIT_OK
        assert cli.main(["followup", "set", ids[1], "--status", "Klar"]) == cli.EXIT_OK
        capsys.readouterr()
        assert cli.main(["followup", "list", "--council", "Södra", "--json"]) == cli.EXIT_OK
        latest = {row["record_id"]: row["latest"] for row in json.loads(capsys.readouterr().out)}
        assert (latest[ids[0]]["status"], latest[ids[0]]["comment"], latest[ids[0]]["recorded_by"]) == \
            ("Pågår", "igång", "testare")
        assert latest[ids[1]]["status"] == "Klar" and sum(entry is None for entry in latest.values()) == 6

        # The draft CSV from `assistant summary` carries the ids and statuses; fill it and read it back.
        path = tmp_path / "utkast.csv"
        assert cli.main(["summary", "--council", "Södra", "--format", "csv", "--delimiter", ";", "--out",
                         str(path)]) == cli.EXIT_OK
        fill_csv(path, {ids[0]: ("Klar", "klart"), ids[2]: ("Försenad", "väntar")})
        capsys.readouterr()
        assert cli.main(["followup", "import", str(path)]) == cli.EXIT_OK
        out = capsys.readouterr().out
        assert "”Pågår” → ”Klar” – klart" in out and "(ingen status) → ”Försenad” – väntar" in out
        assert "Torrkörning" in out
        assert cli.main(["followup", "import", str(path), "--apply"]) == cli.EXIT_OK
        assert "Registrerade 2 uppföljningar" in capsys.readouterr().out
        assert cli.main(["followup", "due", "--council", "Södra", "--date", "2027-01-15", "--json"]) == cli.EXIT_OK
        due = {row["record_id"] for row in json.loads(capsys.readouterr().out)}
        assert due == set(ids) - {ids[0], ids[1]}
        assert cli.main(["followup", "history", ids[0], "--json"]) == cli.EXIT_OK
        assert [e["status"] for e in json.loads(capsys.readouterr().out)["entries"]] == ["Pågår", "Klar"]

        assert cli.main(["followup", "set", "rec-0000000000", "--status", "Klar"]) == cli.EXIT_INVALID
        assert cli.main(["followup", "set", ids[0], "--status", "Halvklar"]) == cli.EXIT_INVALID
        assert cli.main(["followup", "list", "--council", "Norra"]) == cli.EXIT_INVALID
        assert cli.main(["followup", "due", "--date", "i morgon"]) == cli.EXIT_INVALID
        err = capsys.readouterr().err
        assert err.count("Fel: ") == 4 and "Traceback" not in err
    finally:
        get_settings.cache_clear()


def test_report_markdown_and_docx(tracker, tmp_path):
    rows = json.loads(run(tracker, "list", "--council", "Södra", "--json")[1])
    run(tracker, "set", rows[0]["record_id"], "--status", "Klar", "--date", "2026-11-20")
    run(tracker, "set", rows[1]["record_id"], "--status", "Försenad", "--comment", "Flyttad till 2027")
    code, out = run(tracker, "report", "--council", "Södra", "--date", "2027-01-15")
    assert code == 0 and "1 av 8 klar" in out and "Flyttad till 2027" in out
    path = tmp_path / "nested" / "sodra.docx"
    code, out = run(tracker, "report", "--council", "Södra", "--date", "2027-01-15", "-o", str(path))
    assert code == 0 and out.startswith(f"Skrev {path} (8 aktiviteter)")
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    cells = {cell.text for table in Document(str(path)).tables for row in table.rows for cell in row.cells}
    assert "1 av 8 klar" in text and "Försenad" in cells
    assert run(tracker, "report", "--council", "Västra")[0] == cli.EXIT_INVALID
