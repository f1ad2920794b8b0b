"""kill -9 at a named build step: a process started with ``ASSISTANT_TEST_PAUSE_AT=<step>`` writes
``<index>/.paused-<step>`` and waits there (assistant.store.build); these helpers kill it at that point."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest


def wait_until_paused(process: subprocess.Popen, flag: Path) -> None:
    """Wait until ``process`` has written ``flag``; fail with its stderr if it ends first."""
    while not flag.exists():
        if process.poll() is not None:
            pytest.fail(f"the process ended (code {process.returncode}) before reaching {flag.name}: "
                        f"{process.stderr.read()[-2000:]}")
        time.sleep(0.05)


def kill_when_paused(process: subprocess.Popen, index_dir: Path, step: str) -> None:
    """SIGKILL ``process`` once it waits at ``step``; the flag file is removed afterwards in any case."""
    flag = Path(index_dir) / f".paused-{step}"
    try:
        wait_until_paused(process, flag)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        flag.unlink(missing_ok=True)
