"""The Chroma server path: ``vector_store="chroma-http"`` against a real ``chroma run`` on loopback.

Starts the ``chroma`` CLI that ships with the chromadb package (offline, telemetry off) on a free port
with its data in a temporary folder, builds an index of two small corpus documents through
``assistant.ingest.pipeline.ingest`` with the vectors on the server, answers a question through
``Assistant.ask`` (its dense search goes to the server), checks that a changed document updates the one
server collection in place (ids no remaining build uses are deleted after publishing), that rebuilds
start new collections and drop the ones no build uses, and stops the server.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from app_helpers import free_port

from assistant import offline

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NATIONAL_PLAN = "000_a136ead4faa7fb25.txt"
SECOND_DOC = "004_6fc778f79882cfcd.txt"


def _chroma_cli() -> str | None:
    candidate = Path(sys.executable).parent / "chroma"
    return str(candidate) if candidate.exists() else shutil.which("chroma")


@pytest.fixture
def chroma_server(tmp_path):
    """(host, port) of a Chroma server started for this test; stopped afterwards."""
    cli = _chroma_cli()
    if cli is None:
        pytest.skip("the chroma CLI (installed with the chromadb package) is not on this machine")
    port = free_port()
    env = dict(offline.environment(), NO_COLOR="1")
    log_path = tmp_path / "chroma-server.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([cli, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "chroma-data")],
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"chroma run exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-2000:]}")
            try:
                with opener.open(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as response:
                    if response.status == 200 and "nanosecond heartbeat" in json.loads(response.read()):
                        break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"chroma server did not answer its heartbeat:\n{log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        log.close()


def _server_collections(host: str, port: int) -> set[str]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.HttpClient(host=host, port=port, settings=ChromaSettings(anonymized_telemetry=False))
    return {getattr(c, "name", c) for c in client.list_collections()}


def test_ingest_and_ask_through_a_chroma_server(chroma_server, model_ready, tmp_path):
    from assistant.ingest.pipeline import ingest
    from assistant.service import Assistant
    from assistant.settings import Settings
    from assistant.store.build import current_build_dir
    from assistant.store.loaded import load_index

    host, port = chroma_server
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (NATIONAL_PLAN, SECOND_DOC):
        shutil.copyfile(PROJECT_ROOT / "corpus" / name, corpus / name)
    catalog = json.loads((PROJECT_ROOT / "corpus" / "catalog.json").read_text(encoding="utf-8"))
    catalog["documents"] = {k: v for k, v in catalog.get("documents", {}).items() if k in (NATIONAL_PLAN, SECOND_DOC)}
    (corpus / "catalog.json").write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")

    # every unfiltered dense search goes to the server
    settings = Settings(vector_store="chroma-http", chroma_host=host, chroma_port=port, corpus_dir=corpus,
                        index_dir=tmp_path / "index")
    report = ingest(settings)
    assert report.documents == 2 and report.chunks > 0 and not report.skipped

    build = current_build_dir(settings)
    assert build is not None
    assert not (build / "chroma").exists() and not (tmp_path / "index" / "chroma").exists(), \
        "vectors must live on the server, not in an embedded store"
    index = load_index(settings)
    assert index.store.count() == report.chunks
    assert index.store.collection_name in _server_collections(host, port)

    assistant = Assistant(settings)
    answer = assistant.ask("Vem ansvarar för VFU?")
    assert assistant.index._store is not None, "the answer's dense search must have gone through the server"
    assert not answer.abstained and not answer.invalid, answer.answer
    assert "Rådet" in answer.answer
    assert answer.citations and all(c.source in (NATIONAL_PLAN, SECOND_DOC) for c in answer.citations)
    assert "retrieve" in answer.timings_ms

    assert ingest(settings).unchanged  # nothing changed: nothing rebuilt, nothing sent to the server

    # A changed document: the same collection, updated in place; ids are deleted only once no kept build uses them.
    first = index.store.collection_name
    path = corpus / SECOND_DOC
    original = path.read_text(encoding="utf-8")
    builds = []
    for version in (1, 2, 3):
        path.write_text(original + f"\n\nRådet följer upp arbetet i version {version}.\n", encoding="utf-8")
        changed = ingest(settings)
        assert changed.changed == [SECOND_DOC]
        builds.append(load_index(settings))
        assert builds[-1].store.collection_name == first
        updates = builds[-1].manifest["vector_updates"]
        assert 0 < updates["upserted"] < changed.chunks and not updates["new_generation"]
    current, previous = builds[-1], builds[-2]
    assert current.store.ids() == set(current.vector_ids) | set(previous.vector_ids)
    assert current.manifest["vector_updates"]["deleted"] > 0  # version 1's own ids went after publishing
    assert {p for p, _ in previous.dense_search(previous.vectors[0], 5)} <= set(range(len(previous.chunks)))

    # Rebuilds start new collections; a collection that no remaining build uses is dropped on the server.
    ingest(settings, rebuild=True)
    ingest(settings, rebuild=True)
    collections = _server_collections(host, port)
    assert first not in collections
    assert load_index(settings).store.collection_name in collections
    assert len(collections) == 2  # the current build and the one kept for processes still answering from it
