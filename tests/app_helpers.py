"""Helpers for the web-app tests: free ports, an in-process server, an isolated copy of an index."""

from __future__ import annotations

import shutil
import socket
from contextlib import contextmanager
from pathlib import Path

QUESTION = "Vem ansvarar för VFU-arbetet i Södra?"
SODRA_SOURCE = "002_8b6a782e2b1e2be8.txt"

# A small document for upload tests, and a question only it can answer.
UPLOAD_NAME = "glimmerdalen-simulator.md"
UPLOAD_TEXT = """# Plan för simulatorträning i Glimmerdalen 2026

## Simulatorträning

Glimmerdalens simulatorcentrum erbjuder simulatorträning i akut omhändertagande för undersköterskor och sjuksköterskor under hösten 2026.

Simulatorträningen i Glimmerdalen leds av överläkare Tova Lindqvist.

## Övrigt

Jämförelse av kostnader: a < b & c, ${7*7} och {{7*7}} <script>alert(1)</script> är text, inte kod.
"""
UPLOAD_LITERAL = "a < b & c, ${7*7} och {{7*7}}"  # must be shown literally (escaped, never evaluated)
UPLOAD_QUESTION = "Vem leder simulatorträningen i Glimmerdalen?"
UPLOAD_EXPECTED = "Tova Lindqvist"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(assistant):
    """Run the app for ``assistant`` on a free loopback port; yields its URL."""
    from assistant.frontends.web.app import build_app, launch

    demo = build_app(assistant)
    port = free_port()
    launch(demo, assistant.settings, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def isolated_assistant(source, base: Path):
    """An Assistant over a copy of ``source``'s corpus and index (sharing its loaded embedder).

    Uploads then change only the copy; re-ingesting reuses the cached embeddings, so only new
    documents are embedded.
    """
    from assistant.service import Assistant

    corpus, index = base / "corpus", base / "index"
    shutil.copytree(source.settings.corpus_dir, corpus)
    shutil.copytree(source.settings.index_dir, index, ignore=shutil.ignore_patterns(".lock"))
    settings = source.settings.model_copy(update={"corpus_dir": corpus, "index_dir": index})
    assistant = Assistant(settings)
    assistant._embedder = source.embedder  # the model is already loaded; no need to load it twice
    return assistant
