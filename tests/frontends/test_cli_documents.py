"""``assistant documents list | add | remove | replace | set | review`` (assistant.frontends.cli).

Fast tests run on a copy of the corpus without an index (listing and refusals need no model); the
slow ones change a private copy of the session's built index, as a user would, and check that the
follow-up history of a removed plan survives with its activities marked as no longer in the plan.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from app_helpers import SODRA_SOURCE, UPLOAD_EXPECTED, UPLOAD_NAME, UPLOAD_QUESTION, UPLOAD_TEXT, isolated_assistant
from pause_helpers import kill_when_paused

from assistant.frontends import cli
from assistant.frontends.cli import build_parser, documents_command, format_answer
from assistant.service import Assistant
from assistant.store.loaded import load_index

SEEDS = 5
PROJECT = Path(__file__).resolve().parents[2]


def run(assistant, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = documents_command(assistant, build_parser().parse_args(["documents", *argv]), stdout=out)
    return code, out.getvalue()


@pytest.fixture()
def corpus_assistant(settings_factory) -> Assistant:
    """An Assistant over a copy of the corpus, without an index."""
    return Assistant(settings_factory("cli-docs"))


# ------------------------------------------------------------------ fast
def test_list_without_an_index_shows_every_seed_as_reviewed(corpus_assistant, capsys):
    code, out = run(corpus_assistant, "list")
    assert code == cli.EXIT_OK
    assert f"{SEEDS} dokument, varav 0 ogranskade." in out and "inte indexerat" in out
    assert SODRA_SOURCE in out and "RVKR Södra" in out and "[granskad]" in out
    code, out = run(corpus_assistant, "list", "--json")
    entries = json.loads(out)
    assert len(entries) == SEEDS and all(e["reviewed"] and not e["indexed"] and e["chunks"] is None for e in entries)
    assert {e["source"]: e["council"] for e in entries}[SODRA_SOURCE] == "RVKR Södra"


def test_unknown_documents_and_bad_input_exit_2(corpus_assistant, tmp_path, capsys):
    for argv in (["remove", "finns-inte.pdf"], ["review", "finns-inte.pdf"], ["set", "finns-inte.pdf", "--title", "x"]):
        assert run(corpus_assistant, *argv)[0] == cli.EXIT_INVALID
        err = capsys.readouterr().err
        assert "Det finns inget dokument som heter ”finns-inte.pdf”" in err and SODRA_SOURCE in err
    pdf = tmp_path / "ny.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert run(corpus_assistant, "replace", SODRA_SOURCE, str(pdf))[0] == cli.EXIT_INVALID
    assert "samma filtyp" in capsys.readouterr().err
    assert run(corpus_assistant, "set", SODRA_SOURCE)[0] == cli.EXIT_INVALID
    assert "Ange minst ett fält" in capsys.readouterr().err
    exe = tmp_path / "program.exe"
    exe.write_bytes(b"MZ")
    assert run(corpus_assistant, "add", str(exe))[0] == cli.EXIT_INVALID
    assert "Filtypen stöds inte (.exe)" in capsys.readouterr().err
    # nothing was changed by any of them
    assert len(json.loads(run(corpus_assistant, "list", "--json")[1])) == SEEDS
    assert not (corpus_assistant.settings.corpus_dir / ".removed").exists()


def test_review_marks_an_unreviewed_entry(corpus_assistant, capsys):
    catalog_file = corpus_assistant.settings.corpus_dir / "catalog.json"
    data = json.loads(catalog_file.read_text(encoding="utf-8"))
    data["documents"][SODRA_SOURCE].update({"reviewed": False, "added_by": "anna", "added_at": "2026-12-01T10:00:00+00:00"})
    catalog_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert corpus_assistant.unreviewed_sources() == {SODRA_SOURCE}
    code, out = run(corpus_assistant, "list")
    assert "[OGRANSKAD]" in out and "tillagd av anna, 2026-12-01" in out and "varav 1 ogranskade" in out
    corpus_assistant.settings.followup_user = "granskaren"  # who runs the CLI (default: the OS user)
    code, out = run(corpus_assistant, "review", SODRA_SOURCE)
    assert code == cli.EXIT_OK and "markerat som granskat av granskaren" in out
    assert corpus_assistant.unreviewed_sources() == frozenset()
    entry = json.loads(catalog_file.read_text(encoding="utf-8"))["documents"][SODRA_SOURCE]
    assert entry["reviewed"] is True and entry["reviewed_by"] == "granskaren" and entry["title"].startswith("Regionala")


class Crash(BaseException):
    """Stands in for the process dying at one step (BaseException: no handler may swallow it)."""


@pytest.mark.parametrize("step", ["archive_file", "put_entry", "_copy_atomically"])
def test_a_crash_at_any_step_loses_no_document(corpus_assistant, tmp_path, monkeypatch, step):
    corpus = corpus_assistant.settings.corpus_dir
    original = (corpus / SODRA_SOURCE).read_bytes()
    new_version = tmp_path / SODRA_SOURCE
    new_version.write_text("Ny version.\n", encoding="utf-8")

    def crash(*args, **kwargs):
        raise Crash(step)

    monkeypatch.setattr(f"assistant.service.{step}", crash)
    monkeypatch.setattr(corpus_assistant, "ingest", lambda **kwargs: None)  # the crash tests stop before indexing
    for change in (lambda: corpus_assistant.replace_document(SODRA_SOURCE, new_version),
                   lambda: corpus_assistant.remove_document(SODRA_SOURCE)):
        try:
            change()
        except Crash:
            pass
        kept = [path.read_bytes() for path in [corpus / SODRA_SOURCE, *(corpus / ".removed").glob(f"*{SODRA_SOURCE}")]
                if path.exists()]
        assert original in kept  # still in the corpus, or in the archive
    assert new_version.read_text(encoding="utf-8") == "Ny version.\n"


def test_format_answer_marks_unreviewed_sources():
    from assistant.answer.citations import Citation
    from assistant.answer.engine import Answer

    citation = Citation(n=1, source="upp.md", title="Uppladdad plan", council="RVKR Test", section="Mål",
                        lines=(3, 4), quote="Ett citat.")
    answer = Answer(question="Vad?", answer="Ett svar [1].", abstained=False, citations=[citation])
    assert "(ogranskad uppladdning)" not in format_answer(answer)
    assert "[1] Uppladdad plan (ogranskad uppladdning) (upp.md, rad 3–4; Mål)" in format_answer(answer, {"upp.md"})


# ------------------------------------------------------------------ slow: on a copy of the built index
@pytest.mark.slow
def test_add_review_replace_and_remove(built_assistant, tmp_path):
    assistant = isolated_assistant(built_assistant, tmp_path / "iso")
    assistant.settings.followup_user = "redaktören"
    upload = tmp_path / "up" / UPLOAD_NAME
    upload.parent.mkdir()
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")

    code, out = run(assistant, "add", str(upload), "--council", "RVKR Glimmerdalen", "--period", "2026", "--quiet")
    assert code == cli.EXIT_OK and f"{UPLOAD_NAME} lades till" in out and "Råd: RVKR Glimmerdalen" in out
    assert "ogranskat" in out
    entry = next(e for e in json.loads(run(assistant, "list", "--json")[1]) if e["source"] == UPLOAD_NAME)
    assert (entry["reviewed"], entry["added_by"], entry["council"], entry["period"], entry["indexed"]) == \
        (False, "redaktören", "RVKR Glimmerdalen", "2026", True)
    answer = assistant.ask(UPLOAD_QUESTION)
    assert UPLOAD_EXPECTED in answer.answer
    assert "(ogranskad uppladdning)" in format_answer(answer, assistant.unreviewed_sources())
    assert "RVKR Glimmerdalen" in assistant.index.councils()  # in the council filter at once

    assert run(assistant, "review", UPLOAD_NAME)[0] == cli.EXIT_OK
    assert "(ogranskad" not in format_answer(assistant.ask(UPLOAD_QUESTION), assistant.unreviewed_sources())

    new_version = tmp_path / "v2" / UPLOAD_NAME
    new_version.parent.mkdir()
    new_version.write_text(UPLOAD_TEXT.replace("Tova Lindqvist", "Maja Berg"), encoding="utf-8")
    code, out = run(assistant, "replace", UPLOAD_NAME, str(new_version), "--quiet")
    assert code == cli.EXIT_OK and "ersattes med den nya versionen" in out and "ogranskat" in out
    answer = assistant.ask(UPLOAD_QUESTION)
    assert "Maja Berg" in answer.answer and "Tova Lindqvist" not in answer.answer
    entry = json.loads((assistant.settings.corpus_dir / "catalog.json").read_text(encoding="utf-8"))["documents"][UPLOAD_NAME]
    assert entry["council"] == "RVKR Glimmerdalen" and entry["reviewed"] is False and "reviewed_by" not in entry
    archived = sorted((assistant.settings.corpus_dir / ".removed").glob(f"*{UPLOAD_NAME}"))
    assert [path.read_text(encoding="utf-8") for path in archived] == [UPLOAD_TEXT]  # the old version is kept

    code, out = run(assistant, "set", UPLOAD_NAME, "--title", "Glimmerdalens simulatorplan", "--quiet")
    assert code == cli.EXIT_OK
    assert next(d for d in assistant.documents() if d["source"] == UPLOAD_NAME)["title"] == "Glimmerdalens simulatorplan"

    code, out = run(assistant, "remove", UPLOAD_NAME, "--quiet")
    assert code == cli.EXIT_OK and "togs bort" in out and f"Borttagna: {UPLOAD_NAME}" in out
    assert UPLOAD_NAME not in {d["source"] for d in assistant.documents()}
    assert UPLOAD_NAME not in json.loads((assistant.settings.corpus_dir / "catalog.json").read_text(encoding="utf-8"))["documents"]
    assert len(list((assistant.settings.corpus_dir / ".removed").glob(f"*{UPLOAD_NAME}"))) == 2


@pytest.mark.slow
def test_a_new_version_that_cannot_be_read_keeps_the_old_one(built_assistant, tmp_path, capsys):
    assistant = isolated_assistant(built_assistant, tmp_path / "iso")
    good = tmp_path / "v1" / UPLOAD_NAME
    good.parent.mkdir()
    good.write_text(UPLOAD_TEXT, encoding="utf-8")
    empty = tmp_path / "v2" / UPLOAD_NAME
    empty.parent.mkdir()
    empty.write_bytes(b"")
    assert run(assistant, "add", str(good), "--quiet")[0] == cli.EXIT_OK
    before = next(d for d in assistant.documents() if d["source"] == UPLOAD_NAME)
    entry = json.loads((assistant.settings.corpus_dir / "catalog.json").read_text(encoding="utf-8"))["documents"][UPLOAD_NAME]
    assert run(assistant, "replace", UPLOAD_NAME, str(empty), "--quiet")[0] == cli.EXIT_INVALID
    assert "den gamla behålls" in capsys.readouterr().err
    assert (assistant.settings.corpus_dir / UPLOAD_NAME).read_text(encoding="utf-8") == UPLOAD_TEXT
    assert json.loads((assistant.settings.corpus_dir / "catalog.json").read_text(encoding="utf-8"))["documents"][UPLOAD_NAME] == entry
    assert next(d for d in assistant.documents() if d["source"] == UPLOAD_NAME) == before
    assert UPLOAD_EXPECTED in assistant.ask(UPLOAD_QUESTION).answer


@pytest.mark.slow
def test_removing_a_plan_keeps_its_follow_up_history(built_assistant, tmp_path):
    assistant = isolated_assistant(built_assistant, tmp_path / "iso")
    assert assistant.sync_followup()
    repo = assistant.repository
    record = repo.list_records(council="RVKR Södra")[0]
    repo.add_followup_entry(record.record_id, "Pågår", comment="Start i mars", recorded_by="anna")

    code, _ = run(assistant, "remove", SODRA_SOURCE, "--quiet")
    assert code == cli.EXIT_OK
    gone = repo.get_record(record.record_id)
    assert gone is not None and gone.in_plan is False  # marked as no longer in the plan …
    assert [(e.status, e.comment) for e in repo.history(record.record_id)] == [("Pågår", "Start i mars")]  # … history kept
    assert repo.list_records(council="RVKR Södra") == []

    # put the archived file back: the activity returns with its id and history
    archived = next((assistant.settings.corpus_dir / ".removed").glob(f"*{SODRA_SOURCE}"))
    restored = tmp_path / "back" / SODRA_SOURCE
    restored.parent.mkdir()
    shutil.copyfile(archived, restored)
    assert run(assistant, "add", str(restored), "--quiet")[0] == cli.EXIT_OK
    back = repo.get_record(record.record_id)
    assert back.in_plan is True and len(repo.history(record.record_id)) == 1


@pytest.mark.slow
@pytest.mark.parametrize("action", ["replace", "remove", "set"])
def test_kill_9_during_a_document_change_loses_nothing(built_assistant, tmp_path, action):
    """``assistant documents replace|remove|set`` killed (-9) in the middle of the re-index it starts: the
    file change is done or archived, the catalog is whole, the previous index answers, and the next
    ``ingest`` brings the index in line with the corpus."""
    assistant = isolated_assistant(built_assistant, tmp_path / "copy")
    corpus, index = assistant.settings.corpus_dir, assistant.settings.index_dir
    original = (corpus / SODRA_SOURCE).read_bytes()
    new_version = tmp_path / SODRA_SOURCE
    new_version.write_text(original.decode("utf-8").replace("Rådet ska inspireras genom goda exempel",
                                                             "Rådet ska inspireras genom nya exempel"), encoding="utf-8")
    argv = {"replace": ["replace", SODRA_SOURCE, str(new_version)], "remove": ["remove", SODRA_SOURCE],
            "set": ["set", SODRA_SOURCE, "--title", "Södras plan, ny titel"]}[action]
    step = "mid_embedding" if action == "replace" else "after_read"
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index),
           "ASSISTANT_DATABASE_URL": assistant.settings.database_url, "ASSISTANT_TEST_PAUSE_AT": step}
    process = subprocess.Popen([sys.executable, "-m", "assistant", "documents", *argv, "--quiet"], env=env,
                               cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    kill_when_paused(process, index, step)

    catalog = json.loads((corpus / "catalog.json").read_text(encoding="utf-8"))  # whole, not half written
    archived = [path.read_bytes() for path in (corpus / ".removed").glob(f"*{SODRA_SOURCE}")]
    if action == "replace":
        assert (corpus / SODRA_SOURCE).read_bytes() == new_version.read_bytes() and original in archived
    elif action == "remove":
        assert not (corpus / SODRA_SOURCE).exists() and original in archived
    else:
        assert catalog["documents"][SODRA_SOURCE]["title"] == "Södras plan, ny titel"
    before = Assistant(assistant.settings)
    assert before.ask("Vem ansvarar för VFU-arbetet i Södra?").citations  # the previous build still answers
    report = Assistant(assistant.settings).ingest()
    loaded = load_index(assistant.settings)
    if action == "remove":
        assert SODRA_SOURCE not in loaded.documents()
    else:
        assert SODRA_SOURCE in loaded.documents() and not report.unchanged
    if action == "replace":
        assert any("nya exempel" in chunk.text for chunk in loaded.chunks)
    if action == "set":
        assert loaded.documents()[SODRA_SOURCE]["title"] == "Södras plan, ny titel"
