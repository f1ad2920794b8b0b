"""The PostgreSQL fixture's policy: skip locally without the server binaries, fail under CI."""

from __future__ import annotations

import pytest

from . import pg_cluster


@pytest.mark.parametrize("ci, outcome", [("1", pytest.fail.Exception), ("true", pytest.fail.Exception),
                                         (None, pytest.skip.Exception), ("", pytest.skip.Exception)])
def test_missing_binaries_skip_locally_but_fail_in_ci(monkeypatch, ci, outcome):
    monkeypatch.setattr(pg_cluster, "find_postgres_bindir", lambda: None)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="PostgreSQL tests"), pg_cluster.postgres_cluster():
        pass


def test_binaries_are_found_when_installed():
    bindir = pg_cluster.find_postgres_bindir()
    if bindir is None:
        pg_cluster.unavailable("no PostgreSQL server binaries")
    assert (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file()
