"""A throwaway PostgreSQL cluster for the database tests (see tests/db/conftest.py)."""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def ci_is_set() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str):
    if ci_is_set():
        pytest.fail(f"PostgreSQL tests cannot run: {reason}. CI is set, so they must not be skipped "
                    "(run .ci/ensure-postgres.sh first).", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason} (install with .ci/ensure-postgres.sh)")


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path))


def find_postgres_bindir() -> Path | None:
    """The folder with initdb, pg_ctl and postgres, or None."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=30, check=False)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += [Path(path) for path in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key,
                                                 reverse=True)]
    for candidate in candidates:
        if all((candidate / name).is_file() and os.access(candidate / name, os.X_OK)
               for name in ("initdb", "pg_ctl", "postgres")):
            return candidate
    return None


@dataclass
class PostgresServer:
    bindir: Path
    root: Path  # data folder, log and unix socket live here
    run_as: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@/{dbname}?host={self.root}"

    def _admin(self):
        import psycopg

        return psycopg.connect(host=str(self.root), dbname="postgres", user="postgres", autocommit=True)

    def create_database(self) -> str:
        name = "test_" + uuid.uuid4().hex[:16]
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
                              capture_output=True, text=True, timeout=120, check=check)


def _server_log(server: PostgresServer) -> str:
    try:
        return server.log.read_text(errors="replace")[-3000:]
    except OSError:
        return ""


@contextmanager
def postgres_cluster() -> Iterator[PostgresServer]:
    """Start a cluster in a fresh temporary folder; stop it and delete the folder afterwards."""
    bindir = find_postgres_bindir()
    if bindir is None:
        unavailable("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found")
    run_as: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root and there is no 'postgres' OS user to run the server as")
        runuser = shutil.which("runuser")
        if runuser is None:
            unavailable("running as root and runuser is missing")
        run_as = [runuser, "-u", "postgres", "--"]
    # Short path (unix socket paths are limited to ~100 bytes) that the postgres user can reach.
    root = Path(tempfile.mkdtemp(prefix="assistant-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(bindir=bindir, root=root, run_as=run_as)
    started = False
    try:
        init = subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"],
            capture_output=True, text=True, timeout=180, check=False,
        )
        if init.returncode != 0:
            pytest.fail(f"initdb failed ({init.returncode}): {init.stderr[-3000:]}", pytrace=False)
        with open(server.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\n# throwaway test cluster: unix socket only, no durability\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{root}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 100\n"
            )
        start = server.pg_ctl("-l", str(server.log), "-w", "-t", "120", "start", check=False)
        if start.returncode != 0:
            pytest.fail(f"pg_ctl start failed ({start.returncode}): {start.stderr[-2000:]}\n{_server_log(server)}",
                        pytrace=False)
        started = True
        yield server
    finally:
        if started:
            server.pg_ctl("-m", "fast", "-w", "-t", "60", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)
