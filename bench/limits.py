"""Hostile files against the per-document limits, the parser process's cost, and timings moved out of tests.

* time until a hostile file is refused, with the default settings: a PDF of 5,000 pages
  (``max_pdf_pages``), DOCX files of ~70 KB that unpack to 20 MB and 200 MB of XML (the zip directory
  check, ``max_docx_unpacked_bytes``; the 20 MB one is under it and is stopped by the character or
  chunk limit instead), a PDF parse over a tiny time limit;
* the parser child's start (interpreter + PDF/DOCX/HTML libraries), once per ingest;
* a no-op ``prepare_model`` on a prepared folder and the LLM fallback on a server that never answers
  (``llm_timeout_s=0.3``) — the wall-clock numbers ``tests/build/test_model_prep.py`` and
  ``tests/answer/test_llm.py`` used to assert.

    .venv/bin/python bench/limits.py
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

from common import machine_info, noise_note, table, work_dir, write_result

from assistant.build.hostile_files import make_docx_bomb, make_pdf
from assistant.ingest.corpus import DocumentError
from assistant.ingest.parsing import DocumentReader
from assistant.settings import Settings


def timed_read(settings: Settings, path: Path) -> tuple[float, str]:
    with DocumentReader(settings) as reader:
        started = time.perf_counter()
        try:
            document = reader.read(path)
            outcome = f"read ({len(document.lines)} lines)"
        except DocumentError as exc:
            outcome = str(exc)
        return time.perf_counter() - started, outcome


def parser_start_s() -> float:
    html = work_dir("limits") / "tiny.html"
    html.write_text("<p>Rådet.</p>", encoding="utf-8")
    with DocumentReader(Settings()) as reader:
        started = time.perf_counter()
        reader.read(html)
        first = time.perf_counter() - started
    return first


def normal_path() -> dict:
    """20 ordinary DOCX files read in-process vs. through the parser child (its start included)."""
    import docx

    from assistant.ingest.corpus import read_text

    folder = work_dir("limits") / "normal"
    folder.mkdir(exist_ok=True)
    paths = []
    for number in range(20):
        document = docx.Document()
        document.add_heading(f"Plan {number}", 1)
        for paragraph in range(40):
            document.add_paragraph(f"Rådet ansvarar för aktivitet {paragraph} i plan {number} om kompetensförsörjning.")
        paths.append(folder / f"plan-{number}.docx")
        document.save(paths[-1])
    started = time.perf_counter()
    for path in paths:
        read_text(path)
    in_process = time.perf_counter() - started
    started = time.perf_counter()
    with DocumentReader(Settings()) as reader:
        for path in paths:
            reader.read(path)
    child = time.perf_counter() - started
    return {"documents": len(paths), "in_process_s": round(in_process, 3), "parser_child_s": round(child, 3)}


def prepare_noop_s() -> float | None:
    from assistant.build import model_prep

    folder = Settings().embedding_model_path
    if not folder.is_dir():
        return None
    started = time.perf_counter()
    model_prep.prepare_model(folder)
    return time.perf_counter() - started


def llm_fallback_s() -> float:
    """Answer → LLM rewrite against a loopback server that accepts and never answers (timeout 0.3 s)."""
    from assistant.answer import llm
    from assistant.answer.citations import Citation
    from assistant.answer.engine import Answer

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    settings = Settings(llm_base_url=f"http://127.0.0.1:{listener.getsockname()[1]}/v1", llm_model="test",
                        llm_timeout_s=0.3)
    evidence = [Citation(n=1, source="plan.txt", title="Plan", council="Syd", section="", lines=(1, 1),
                         quote="Rådet ansvarar för VFU.")]
    answer = Answer(question="Vem ansvarar?", answer="Rådet ansvarar för VFU. [1]", citations=evidence, language="sv",
                    abstained=False, intent="owner", resolved_question="Vem ansvarar?", timings_ms={})
    started = time.perf_counter()
    llm.rewrite_with_llm(answer, evidence, llm.get_backend(settings), "sv")
    elapsed = time.perf_counter() - started
    listener.close()
    return elapsed


def main() -> int:
    info = machine_info()
    folder = work_dir("limits")
    rows, results = [], {}
    cases = [
        ("pdf 5000 pages", make_pdf(folder / "5000.pdf", 5000), Settings()),
        ("docx 20 MB xml", make_docx_bomb(folder / "20mb.docx", 20), Settings()),
        ("docx 200 MB xml", make_docx_bomb(folder / "200mb.docx", 200), Settings()),
        ("pdf 300 pages, 0.5 s limit", make_pdf(folder / "300.pdf", 300), Settings(parse_timeout_s=0.5)),
    ]
    for label, path, settings in cases:
        seconds, outcome = timed_read(settings, path)
        results[label] = {"file_kb": round(path.stat().st_size / 1024), "seconds": round(seconds, 3), "outcome": outcome}
        rows.append([label, results[label]["file_kb"], round(seconds, 2), outcome[:70]])
    results["parser_start_s"] = round(parser_start_s(), 3)
    results["normal_docx"] = normal_path()
    noop = prepare_noop_s()
    results["prepare_model_noop_s"] = None if noop is None else round(noop, 3)
    try:
        results["llm_fallback_s"] = round(llm_fallback_s(), 3)
    except Exception as exc:  # the bench reports what it could not measure
        results["llm_fallback_s"] = f"failed: {type(exc).__name__}"
    print(table(["file", "KB", "s", "outcome"], rows, "Hostile files, default limits"))
    print(f"parser process start + first tiny document: {results['parser_start_s']} s")
    normal = results["normal_docx"]
    print(f"{normal['documents']} ordinary DOCX: in-process {normal['in_process_s']} s, "
          f"through the parser child {normal['parser_child_s']} s (its start included)")
    print(f"prepare_model no-op: {results['prepare_model_noop_s']} s; LLM fallback (0.3 s timeout): "
          f"{results['llm_fallback_s']} s")
    print(noise_note(info))
    write_result("limits", results, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
