"""Reading documents with bounded work: a parser process with a time and a memory limit.

PDF, DOCX and HTML are parsed by a library on a file anyone allowed to upload could have crafted
(a PDF of 5,000 pages, a 72 KB DOCX that unpacks to 200 MB of XML), so they are parsed in a child
process (``python -m assistant.ingest.parsing``) whose address space is capped with
``resource.setrlimit(RLIMIT_AS)`` (``settings.parse_memory_mb``) and which is killed when one
document takes longer than ``settings.parse_timeout_s``. The document is then skipped with a Swedish
reason; the others are read as usual (the next one in a fresh process).

One process serves a whole build (it is started on the first PDF/DOCX/HTML and reads one document
after another), so the cost is one interpreter start (~0.5 s) per ingest, not per document. Plain
text (.txt, .md) is decoded in the ingest's own process: that is linear in the file's size, which
``max_file_bytes`` bounds, and the character limit applies there too.

The limits on pages, unpacked DOCX size and characters (:class:`assistant.ingest.corpus.ReadLimits`)
are checked inside the reader, before the expensive part wherever possible. The child and the parent
talk in length-prefixed JSON frames over the child's stdin/stdout (never pickle: the child reads
hostile input).
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

from assistant.ingest.corpus import DocumentError, ReadLimits, document_from_text, read_text
from assistant.messages import INGEST_MESSAGES
from assistant.schema import Document
from assistant.settings import Settings

#: Read in the ingest's own process (cheap and linear in the file size); everything else in the child.
IN_PROCESS_SUFFIXES = (".txt", ".md")
#: How long the child may take to start and import its libraries before it counts as broken.
STARTUP_TIMEOUT_S = 60.0
_HEADER = struct.Struct(">Q")
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


class DocumentReader:
    """Reads the documents of one build: plain text here, PDF/DOCX/HTML in a limited child process.

    Use as a context manager (the child is stopped on exit)::

        with DocumentReader(settings) as reader:
            document = reader.read(path, catalog)   # raises DocumentError with a Swedish reason
    """

    def __init__(self, settings: Settings):
        self.limits = ReadLimits.from_settings(settings)
        self.timeout_s = float(settings.parse_timeout_s)
        self.memory_mb = int(settings.parse_memory_mb)
        self._child: subprocess.Popen | None = None
        self.started = 0  # child processes started (one per build, plus one after each killed parse)

    def __enter__(self) -> DocumentReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read(self, path: Path, catalog: dict[str, dict] | None = None) -> Document:
        if path.suffix.lower() in IN_PROCESS_SUFFIXES:
            text = read_text(path, self.limits)
        else:
            text = self._read_in_child(path)
        return document_from_text(path, text, catalog)

    def close(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        try:
            child.stdin.close()  # end of requests: the child returns
            child.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            _kill(child)
        finally:
            if child.stdout is not None:
                child.stdout.close()

    # -- the child -------------------------------------------------------
    def _start(self) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))}
        try:
            child = subprocess.Popen([sys.executable, "-m", "assistant.ingest.parsing", str(self.memory_mb)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, cwd=_PACKAGE_PARENT, start_new_session=True)
        except OSError as exc:
            raise DocumentError(INGEST_MESSAGES["parser_unavailable"].format(error=type(exc).__name__)) from exc
        self.started += 1
        ready = _receive(child, time.monotonic() + STARTUP_TIMEOUT_S)
        if ready != ["ready"]:
            code = _kill(child)
            raise DocumentError(INGEST_MESSAGES["parser_unavailable"].format(error=_describe_exit(code, ready)))
        return child

    def _read_in_child(self, path: Path) -> str:
        if self._child is None or self._child.poll() is not None:
            self._child = self._start()
        child = self._child
        request = json.dumps({"path": str(path), "limits": {
            "max_pages": self.limits.max_pages, "max_docx_unpacked_bytes": self.limits.max_docx_unpacked_bytes,
            "max_chars": self.limits.max_chars}}).encode("utf-8")
        try:
            child.stdin.write(_HEADER.pack(len(request)) + request)
            child.stdin.flush()
        except OSError:
            reply = None
        else:
            reply = _receive(child, time.monotonic() + self.timeout_s)
        if isinstance(reply, list) and len(reply) == 2:
            kind, value = reply
            if kind == "ok":
                return str(value)
            if kind == "error":
                raise DocumentError(str(value))
            if kind == "memory":
                raise DocumentError(INGEST_MESSAGES["parse_memory"].format(limit=self.memory_mb))
            if kind == "failed":
                raise DocumentError(INGEST_MESSAGES["read_failed"].format(error=value))
        self._child = None
        code = _kill(child)
        if reply == "timeout":
            raise DocumentError(INGEST_MESSAGES["parse_timeout"].format(limit=_seconds(self.timeout_s)))
        if code == -signal.SIGKILL:  # the kernel's OOM killer, or a limit that killed it outright
            raise DocumentError(INGEST_MESSAGES["parse_memory"].format(limit=self.memory_mb))
        raise DocumentError(INGEST_MESSAGES["parse_crashed"].format(code=_describe_exit(code, reply)))


def _seconds(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _describe_exit(code: int | None, reply) -> str:
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    if code is not None:
        return f"slutkod {code}"
    return "inget svar" if reply in (None, "timeout") else "oväntat svar"


def _kill(child: subprocess.Popen) -> int | None:
    """Stop the child (and anything it started) at once; its exit code."""
    if child.poll() is None:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except OSError:
            child.kill()
    try:
        return child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        return None
    finally:
        for stream in (child.stdin, child.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def _receive(child: subprocess.Popen, deadline: float):
    """One frame from the child: the decoded JSON, "timeout" past ``deadline``, None at end of output."""
    fd = child.stdout.fileno()
    buffer = bytearray()
    need = _HEADER.size
    header_done = False
    while True:
        while len(buffer) < need:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            readable, _, _ = select.select([fd], [], [], left)
            if not readable:
                return "timeout"
            part = os.read(fd, max(need - len(buffer), 1 << 20))
            if not part:
                return None
            buffer += part
        if header_done:
            try:
                return json.loads(bytes(buffer[:need]).decode("utf-8"))
            except ValueError:
                return None
        (length,) = _HEADER.unpack(bytes(buffer[:_HEADER.size]))
        del buffer[:_HEADER.size]
        need, header_done = length, True


# ------------------------------------------------------------------ child side
def _peak_bytes() -> int:
    """The child's peak address-space size (what RLIMIT_AS caps), from /proc; 0 when unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _read_exact(stream, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        part = stream.read(size - len(data))
        if not part:
            return None
        data += part
    return bytes(data)


def _serve(memory_mb: int) -> None:
    """The child: cap the address space, load the parsers, then read documents until stdin closes."""
    import logging
    import resource
    import warnings

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library that prints must not write into the reply stream
    requests = sys.stdin.buffer

    def send(value) -> None:
        data = json.dumps(value, ensure_ascii=False).encode("utf-8")
        out.write(_HEADER.pack(len(data)) + data)
        out.flush()

    import bs4  # noqa: F401  (loaded once, before the first document's clock starts)
    import docx  # noqa: F401
    import pypdf  # noqa: F401

    try:
        import pdfplumber  # noqa: F401
    except ImportError:
        pass
    send(["ready"])
    while True:
        header = _read_exact(requests, _HEADER.size)
        if header is None:
            return
        body = _read_exact(requests, _HEADER.unpack(header)[0])
        if body is None:
            return
        request = json.loads(body.decode("utf-8"))
        try:
            reply = ["ok", read_text(Path(request["path"]), ReadLimits(**request["limits"]))]
        except DocumentError as exc:
            reply = ["error", str(exc)]
        except MemoryError:
            reply = ["memory", ""]
        except Exception as exc:  # a hostile file must not stop the child: the next document is read
            # lxml reports a failed allocation as a syntax error ("unknown error"): judge by the peak size
            reply = ["memory", ""] if _peak_bytes() >= 0.9 * limit else ["failed", type(exc).__name__]
        try:
            send(reply)
        except MemoryError:
            send(["memory", ""])


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
