"""Test-suite-wide fixtures and the network guard.

Every test runs with a guard that fails on any non-loopback connection or DNS lookup: failed fetches
in background threads would otherwise go unnoticed. The guard records violations and the test that
caused them fails at teardown.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import traceback
from pathlib import Path

import pytest

from assistant import offline  # noqa: E402,F401  (the offline environment, before any library loads)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_violations: list[str] = []


def _is_loopback(host) -> bool:
    if host is None:
        return True
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _check_address(address) -> None:
    if isinstance(address, tuple) and address and not _is_loopback(address[0]):
        _violations.append(f"connection to {address!r}")
        raise ConnectionRefusedError(f"network guard: non-loopback connection to {address!r} blocked")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_loopback(host):
        _violations.append(f"DNS lookup of {host!r}")
        raise socket.gaierror(f"network guard: DNS lookup of {host!r} blocked")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo


@pytest.fixture(autouse=True)
def network_guard(request):
    """Fail the test if anything (in any thread) tried to reach beyond loopback."""
    start = len(_violations)
    yield
    new = _violations[start:]
    if new and not request.node.get_closest_marker("allow_network_attempts"):
        pytest.fail("network guard: " + "; ".join(new[:5]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failure by an unexpected exception also shows its whole traceback, library frames included.

    pytest hides frames of pytest, pluggy and of code marked ``__tracebackhide__`` (Playwright, pydantic);
    a rare failure in CI can then show a single frame that names no culprit."""
    report = yield
    if report.failed and call.excinfo is not None and not call.excinfo.errisinstance(
            (AssertionError, pytest.fail.Exception, pytest.skip.Exception)):
        report.sections.append(("unfiltered traceback", "".join(traceback.format_exception(call.excinfo.value))))
    return report


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_network_attempts: the test provokes blocked connections on purpose")


@pytest.fixture(scope="session")
def settings_factory(tmp_path_factory):
    """Settings pointing at a copy of the corpus and a fresh index folder."""
    from assistant.settings import Settings

    def make(name: str = "work", corpus: Path | None = None, **overrides) -> Settings:
        base = tmp_path_factory.mktemp(name)
        corpus_dir = base / "corpus"
        shutil.copytree(corpus or PROJECT_ROOT / "corpus", corpus_dir)
        return Settings(corpus_dir=corpus_dir, index_dir=base / "index", **overrides)

    return make


@pytest.fixture(scope="session")
def model_ready():
    """The prepared embedding model with its ONNX export (the default backend)."""
    from assistant.build.model_prep import prepare_model
    from assistant.build.onnx_export import export_onnx
    from assistant.settings import Settings

    path = Settings().embedding_model_path
    prepare_model(path)
    export_onnx(path)
    return path


@pytest.fixture(scope="session")
def built_assistant(settings_factory, model_ready):
    """An Assistant over a fresh index of the project corpus (built once per session)."""
    from assistant.service import Assistant

    settings = settings_factory("built")
    assistant = Assistant(settings)
    assistant.ingest()
    return assistant
