"""``assistant summary`` (assistant.frontends.cli): Markdown, CSV, DOCX and overview output, refusals, options."""

from __future__ import annotations

import argparse
import csv
import io

import pytest
from followup import helpers
from followup.helpers import pipe_tables

from assistant.followup import DATE_FIELDS
from assistant.frontends.cli import add_summary_arguments, summary_command

corpus_view, view = helpers.corpus_view, helpers.view  # the fixtures of tests/followup


def _args(*argv: str) -> argparse.Namespace:
    return add_summary_arguments(argparse.ArgumentParser(prog="assistant summary")).parse_args(list(argv))


def test_cli_markdown_csv_and_docx(view, tmp_path):
    out = io.StringIO()
    assert summary_command(view, _args("--council", "Södra", "--period", "Q3 2026"), stdout=out) == 0
    assert len(pipe_tables(out.getvalue())[0]) == 2 + 2
    out = io.StringIO()
    assert summary_command(view, _args("--rad", "alla", "--keyword", "VFU", "--format", "csv"), stdout=out) == 0
    assert len(list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))) == 6
    target = tmp_path / "s.docx"
    out = io.StringIO()
    assert summary_command(view, _args("--council", "Södra", "--format", "docx", "--out", str(target)), stdout=out) == 0
    assert target.exists() and "8 aktiviteter" in out.getvalue()
    out = io.StringIO()
    assert summary_command(view, _args("--keyword", "förenade anställningar", "--overview"), stdout=out) == 0
    assert out.getvalue().startswith("## Översikt: förenade anställningar")
    csv_path = tmp_path / "s.csv"
    assert summary_command(view, _args("--format", "csv", "--delimiter", ";", "--out", str(csv_path)), stdout=io.StringIO()) == 0
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM so Excel reads å/ä/ö


def test_cli_refuses_unknown_council_and_period(view, capsys):
    assert summary_command(view, _args("--council", "Norra"), stdout=io.StringIO()) == 2
    assert summary_command(view, _args("--period", "någon gång"), stdout=io.StringIO()) == 2
    assert "Fel:" in capsys.readouterr().err


def test_cli_date_fields_match_the_summary_module():
    """The CLI takes its --date-field choices from assistant.followup.DATE_FIELDS, not a copy of its own."""
    from assistant.frontends import cli

    SUMMARY_DATE_FIELDS = next(action.choices for action in add_summary_arguments(argparse.ArgumentParser())._actions
                               if action.dest == "date_field")
    assert SUMMARY_DATE_FIELDS == DATE_FIELDS
    assert not hasattr(cli, "SUMMARY_DATE_FIELDS")


def test_cli_parser_matches_add_summary_arguments():
    """Once `assistant summary` is wired into assistant/cli.py, its options must equal add_summary_arguments."""
    from assistant.frontends import cli as cli

    argv = ["--council", "Södra", "--rad", "nationella", "--period", "Q3 2026", "--date-field", "timeline", "--keyword", "VFU",
            "--amne", "AT", "--focus-area", "Kris", "--format", "csv", "--out", "x.csv", "--overview", "--delimiter", ";"]
    try:
        wired = cli.build_parser().parse_args(["summary", *argv])
    except SystemExit:
        pytest.skip("assistant summary is not wired into assistant/cli.py yet")
    expected = vars(_args(*argv))
    assert {key: value for key, value in vars(wired).items() if key in expected} == expected
    # no --format: the output file's extension decides, Markdown without a file
    assert vars(cli.build_parser().parse_args(["summary"]))["format"] is None
    assert cli.output_format(None, None) == "md" and cli.output_format(None, "a/b.DOCX") == "docx"
    assert cli.output_format("md", "x.docx") == "md"
