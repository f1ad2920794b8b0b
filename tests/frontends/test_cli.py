"""The command line: ask (text, --json, --batch), exit codes, ingest summary, python -m assistant."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.frontends import cli as cli
from assistant.frontends.cli import COMMAND_EXAMPLES, build_parser
from assistant.settings import get_settings

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def cli_env(built_assistant, monkeypatch):
    settings = built_assistant.settings
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(settings.index_dir))
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def test_ask_json(cli_env, capsys):
    assert cli.main(["ask", "--json", "Vem ansvarar för VFU-arbetet i Södra?"]) == cli.EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"id", "question", "answer", "abstained", "citations", "timings_ms"}
    assert "Rådet" in data["answer"] and not data["abstained"]
    citation = data["citations"][0]
    assert set(citation) == {"n", "source", "title", "section", "lines", "quote"}
    assert citation["source"] == "002_8b6a782e2b1e2be8.txt" and len(citation["lines"]) == 2


def test_ask_text_prints_sources(cli_env, capsys):
    assert cli.main(["ask", "Vilka län omfattar Mellansverige?"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "Källor:" in out and "Dalarna" in out and "rad " in out


def test_batch(cli_env, tmp_path, capsys):
    batch = tmp_path / "q.jsonl"
    rows = [{"id": "a", "question": "Vem är kontaktperson för placeringsverktyget?", "extra": 1},
            {"id": "b", "question": "Vad är budgeten för Södra 2026?"},
            {"id": "c", "question": "Och i Mellansverige?", "history": ["Vem ansvarar för VFU-arbetet i Södra?"]}]
    batch.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert cli.main(["ask", "--json", "--batch", str(batch)]) == cli.EXIT_OK
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert "Christina Halford" in out[0]["answer"]
    assert out[1]["abstained"] and out[1]["citations"] == []
    assert "Arbetsutskott" in out[2]["answer"]


def test_invalid_question_exit_code(cli_env, capsys):
    assert cli.main(["ask", ""]) == cli.EXIT_INVALID
    assert "Skriv en fråga" in capsys.readouterr().out


def test_missing_index_exit_code(tmp_path, monkeypatch, capsys, model_ready):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "inget-index"))
    get_settings.cache_clear()
    try:
        assert cli.main(["ask", "Vem ansvarar för VFU?"]) == cli.EXIT_INDEX
        assert "assistant ingest" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_unreadable_batch_exit_code(cli_env, tmp_path, capsys):
    assert cli.main(["ask", "--batch", str(tmp_path / "saknas.jsonl")]) == cli.EXIT_INVALID


def test_ingest_summary(cli_env, capsys):
    assert cli.main(["ingest", "--quiet"]) == cli.EXIT_OK
    assert "redan aktuellt" in capsys.readouterr().out


def test_python_dash_m(cli_env):
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(cli_env.corpus_dir), "ASSISTANT_INDEX_DIR": str(cli_env.index_dir)}
    result = subprocess.run([sys.executable, "-m", "assistant", "ask", "--json", "Vem ansvarar för VFU-arbetet i Södra?"],
                            cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Rådet" in json.loads(result.stdout)["answer"]


# ------------------------------------------------------------------ CLI conventions
def test_ask_council_as_users_write_it(cli_env, capsys):
    assert cli.main(["ask", "--json", "--council", "sodra", "Vem ansvarar för VFU-arbetet?"]) == cli.EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["citations"] and all(c["source"] == "002_8b6a782e2b1e2be8.txt" for c in data["citations"])


def test_ask_unknown_council_lists_the_councils(cli_env, capsys):
    assert cli.main(["ask", "--council", "Norrland", "Vem ansvarar för VFU?"]) == cli.EXIT_INVALID
    err = capsys.readouterr().err
    assert "Okänt råd: Norrland" in err and "RVKR Södra" in err and "RVKR Mellansverige" in err


def test_ask_routes_a_draft_request(cli_env, capsys):
    assert cli.main(["ask", "Sammanfatta uppföljningen för Södra"]) == cli.EXIT_OK
    assert "# Uppföljning av aktivitetsplaner" in capsys.readouterr().out


def test_summary_short_out_flag_format_from_extension_and_new_folders(cli_env, tmp_path, capsys):
    target = tmp_path / "ny" / "mapp" / "utkast.docx"
    assert cli.main(["summary", "--council", "Södra", "-o", str(target)]) == cli.EXIT_OK
    assert target.read_bytes()[:2] == b"PK"  # a Word file, not Markdown in a .docx
    csv_target = tmp_path / "annan" / "utkast.csv"
    assert cli.main(["summary", "--council", "Södra", "-o", str(csv_target), "--delimiter", ";"]) == cli.EXIT_OK
    assert csv_target.read_text(encoding="utf-8-sig").splitlines()[0].startswith("Id;Råd;")


def test_broken_pipe_is_quiet(cli_env):
    env = dict(os.environ)
    process = subprocess.run(f"{sys.executable} -m assistant summary --council alla | head -1", shell=True,
                             cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300)
    assert process.stdout.startswith("# Uppföljning") and "Traceback" not in process.stderr


def test_swedish_argparse_messages(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["summary", "--okand-flagga"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "fel: okända argument: --okand-flagga" in err and "användning:" in err


def test_chat_help_is_not_sent_as_a_question(cli_env, monkeypatch, capsys):
    answers = iter(["hjälp", "/help", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert cli.main(["chat"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert out.count("Följdfrågor fungerar") == 2 and "Det framgår inte" not in out


def test_every_command_help_ends_with_examples_that_parse():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert set(COMMAND_EXAMPLES) == set(commands)
    for name, command in commands.items():
        assert "Exempel:" in command.format_help(), name
        for example in COMMAND_EXAMPLES[name]:
            line = example.split("  (")[0].split(" > ")[0].split("| ")[-1]
            args = parser.parse_args(shlex.split(line)[1:])  # a wrong flag would exit 2 here
            assert args.command == name
