"""The service facade (assistant.service): message routing, safe upload names, adding documents.

Routing is tested twice: with the answer and draft paths replaced by recorders (fast, no index), and on
the session's index of the project corpus (``@pytest.mark.slow``). The Södra plan
(corpus/002_8b6a782e2b1e2be8.txt) has eight activity rows; "Rådet ska diskutera hur främjas god
tillgång till handledarkompetens" has Tidplan "Q3 2026" and the VFU rows name "Rådet" as Genomförande.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from corpus_names import CORPUS_DIR, MELLANSVERIGE, SODRA

from assistant.messages import MESSAGES
from assistant.service import Assistant, Reply, safe_filename
from assistant.settings import Settings


# ------------------------------------------------------------------ routing (fast)
class Recorder(Assistant):
    """An Assistant whose draft and answer paths record their calls instead of touching an index."""

    def __init__(self, settings, draft=None, draft_error=None):
        super().__init__(settings)
        self.draft, self.draft_error = draft, draft_error
        self.draft_calls: list[str] = []
        self.ask_calls: list[tuple] = []

    def summary_reply(self, text):
        self.draft_calls.append(text)
        if self.draft_error is not None:
            raise self.draft_error
        return self.draft

    def ask(self, question, history=None, councils=None, sources=None):
        self.ask_calls.append((question, history, councils, sources))
        return f"answer to {question!r}"


@pytest.fixture()
def settings(tmp_path):
    (tmp_path / "corpus").mkdir()
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


def test_draft_request_is_routed_to_the_summary(settings):
    assistant = Recorder(settings, draft="# Utkast")
    reply = assistant.respond("  Sammanfatta uppföljningen för Södra \n")
    assert reply == Reply(kind="summary", markdown="# Utkast")
    assert assistant.draft_calls == ["Sammanfatta uppföljningen för Södra"]  # stripped
    assert assistant.ask_calls == []


def test_question_is_answered_with_history_and_filters(settings):
    assistant = Recorder(settings, draft=None)
    history = [{"role": "user", "content": "Vem ansvarar för VFU i Södra?"}]
    reply = assistant.respond("Och i Mellansverige?", history, councils=["RVKR Mellansverige"], sources=[MELLANSVERIGE])
    assert reply.kind == "answer" and reply.markdown is None
    assert reply.answer == "answer to 'Och i Mellansverige?'"
    assert assistant.ask_calls == [("Och i Mellansverige?", history, ["RVKR Mellansverige"], [MELLANSVERIGE])]


def test_a_failing_draft_falls_back_to_answering(settings, caplog):
    assistant = Recorder(settings, draft_error=RuntimeError("trasig"))
    reply = assistant.respond("Sammanfatta uppföljningen för Södra")
    assert reply.kind == "answer"
    assert assistant.ask_calls[0][0] == "Sammanfatta uppföljningen för Södra"
    assert "summary_reply failed" in caplog.text


@pytest.mark.parametrize("text", [None, 42, 3.5, ["Vem ansvarar?"], {"q": "x"}, b"Vem ansvarar?", "", "  \t\n"])
def test_non_text_or_empty_skips_the_draft_and_asks_an_empty_question(settings, text):
    assistant = Recorder(settings, draft="# Utkast")
    reply = assistant.respond(text)
    assert reply.kind == "answer"
    assert assistant.draft_calls == []
    assert assistant.ask_calls[0][0] == (text if isinstance(text, str) else "")


# ------------------------------------------------------------------ routing on the real index (slow)
@pytest.mark.slow
def test_real_summary_request(built_assistant):
    reply = built_assistant.respond("Sammanfatta uppföljningen för Södra")
    assert reply.kind == "summary" and reply.answer is None
    markdown = reply.markdown
    assert markdown.startswith("# Uppföljning av aktivitetsplaner – utkast")
    assert "## RVKR Södra" in markdown and "## RVKR Mellansverige" not in markdown
    assert "### Aktiviteter (8)" in markdown  # the eight rows of the Södra activity plan
    table_rows = [line for line in markdown.splitlines() if line.startswith("| ") and SODRA in line]
    assert len(table_rows) == 8
    row = next(line for line in table_rows if "handledarkompetens" in line)
    assert "Q3 2026" in row and "Q1 2027" in row
    assert re.search(r"\|\s*-{3}", markdown)  # a Markdown table


@pytest.mark.slow
def test_real_question_is_answered(built_assistant):
    reply = built_assistant.respond("Vem ansvarar för VFU-arbetet i Södra?")
    assert reply.kind == "answer" and reply.markdown is None
    answer = reply.answer
    assert not answer.abstained and "Rådet" in answer.answer
    assert any(c.source == SODRA for c in answer.citations)


@pytest.mark.slow
def test_real_follow_up_question_is_not_mistaken_for_a_draft(built_assistant):
    reply = built_assistant.respond("Hur följs handledarkompetensen upp i Södra?")
    assert reply.kind == "answer"


@pytest.mark.slow
@pytest.mark.parametrize("text", [None, 42, ["Vem ansvarar?"], "", "   "])
def test_real_respond_never_raises_on_junk(built_assistant, text):
    reply = built_assistant.respond(text)
    assert reply.kind == "answer"
    assert reply.answer.invalid and reply.answer.answer == MESSAGES["empty"]["sv"]


# ------------------------------------------------------------------ safe_filename
@pytest.mark.parametrize(("name", "safe"), [
    ("plan.txt", "plan.txt"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("/tmp/uppladdat/Södra plan (utkast).docx", "Södra plan (utkast).docx"),
    ("C:\\Users\\anna\\Plan 2026.pdf", "Plan 2026.pdf"),
    ("..\\..\\windows\\ini.md", "ini.md"),
    ('a<b>:c|d?e*"f.md', "a_b__c_d_e__f.md"),
    ("rad\nbrytning\x00.txt", "rad_brytning_.txt"),
    ("Åsa Öberg-Ärlig_v2.txt", "Åsa Öberg-Ärlig_v2.txt"),
    ("  .dold fil.txt. ", "dold fil.txt"),
    ("$(rm -rf).txt", "_(rm -rf).txt"),
])
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


@pytest.mark.parametrize("name", ["", "..", "/", "  . ", "uppladdat/.."])
def test_safe_filename_of_nothing_gets_a_generated_name(name):
    assert re.fullmatch(r"dokument-\d+\.txt", safe_filename(name))


def test_safe_filename_is_bounded():
    assert len(safe_filename("a" * 500)) == 120


def test_safe_filename_keeps_the_suffix_of_a_long_name():
    assert safe_filename("Regional plan " * 12 + ".pdf").endswith(".pdf")


# ------------------------------------------------------------------ add_document
def _upload(folder: Path, name: str, content: bytes = b"Aktivitet: Testa uppladdning.\n") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def test_add_document_copies_into_the_corpus(settings, tmp_path):
    upload = _upload(tmp_path / "uppladdat", "Ny plan.txt")
    target = Assistant(settings).add_document(upload)
    assert target == settings.corpus_dir / "Ny plan.txt"
    assert target.read_bytes() == upload.read_bytes()
    # no temporary file left; the catalog records who added the file (an upload starts unreviewed)
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == ["Ny plan.txt", "catalog.json"]
    entry = json.loads((settings.corpus_dir / "catalog.json").read_text(encoding="utf-8"))["documents"]["Ny plan.txt"]
    assert entry["reviewed"] is False and entry["added_by"] == "okänd" and entry["added_at"]
    assert upload.exists()  # copied, not moved


def test_add_document_uses_the_safe_name(settings, tmp_path):
    upload = _upload(tmp_path / "uppladdat", "plan<1>.md")
    assert Assistant(settings).add_document(upload) == settings.corpus_dir / "plan_1_.md"


def test_add_document_accepts_an_upper_case_suffix(settings, tmp_path):
    upload = _upload(tmp_path / "uppladdat", "PLAN.TXT")
    assert Assistant(settings).add_document(upload).name == "PLAN.TXT"


@pytest.mark.parametrize(("name", "shown"), [("program.exe", ".exe"), ("bild.png", ".png"), ("utan_filändelse", "saknas")])
def test_add_document_refuses_an_unsupported_suffix(settings, tmp_path, name, shown):
    upload = _upload(tmp_path / "uppladdat", name)
    with pytest.raises(ValueError) as error:
        Assistant(settings).add_document(upload)
    message = str(error.value)
    assert message.startswith(f"Filtypen stöds inte ({shown}). Tillåtna:")
    assert all(suffix in message for suffix in (".txt", ".md", ".pdf", ".docx"))
    assert list(settings.corpus_dir.iterdir()) == []


def test_add_document_refuses_an_over_large_file(tmp_path):
    (tmp_path / "corpus").mkdir()
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", max_file_bytes=3 * 1024 * 1024)
    big = _upload(tmp_path / "uppladdat", "stor.txt", b"x" * (3 * 1024 * 1024 + 1))
    with pytest.raises(ValueError, match=r"^Filen är för stor \(3 MB\)\.$"):
        Assistant(settings).add_document(big)
    assert list(settings.corpus_dir.iterdir()) == []
    just_fits = _upload(tmp_path / "uppladdat", "lagom.txt", b"x" * (3 * 1024 * 1024))
    assert Assistant(settings).add_document(just_fits).stat().st_size == 3 * 1024 * 1024


def test_add_document_refuses_an_existing_name(settings_factory, tmp_path):
    settings = settings_factory("add-existing")  # a copy of the project corpus
    original = (CORPUS_DIR / SODRA).read_bytes()
    upload = _upload(tmp_path / "uppladdat", SODRA, b"en annan text\n")
    with pytest.raises(FileExistsError, match=rf"^Det finns redan ett dokument som heter {re.escape(SODRA)}\.$"):
        Assistant(settings).add_document(upload)
    assert (settings.corpus_dir / SODRA).read_bytes() == original


def test_add_document_overwrites_only_when_asked(settings, tmp_path):
    assistant = Assistant(settings)
    assistant.add_document(_upload(tmp_path / "a", "plan.txt", b"gammal\n"))
    with pytest.raises(FileExistsError):
        assistant.add_document(_upload(tmp_path / "b", "plan.txt", b"ny\n"))
    assert assistant.add_document(_upload(tmp_path / "b", "plan.txt", b"ny\n"), overwrite=True).read_bytes() == b"ny\n"
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == [".removed", "catalog.json", "plan.txt"]
    # the overwritten version is archived (hidden from the index), never lost
    assert [p.read_bytes() for p in (settings.corpus_dir / ".removed").glob("*plan.txt")] == [b"gammal\n"]
