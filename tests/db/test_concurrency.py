"""Concurrent writers (threads, and processes opening the database) lose and corrupt nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select, text

from assistant.db import Repository, UserExistsError, head_revision, open_database
from assistant.db.models import FollowupEntryRow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
THREADS = 8
PER_THREAD = 25


def run_together(count: int, work):
    """Run work(i) in ``count`` threads released at the same moment; returns results or exceptions."""
    barrier = threading.Barrier(count)

    def task(index):
        barrier.wait()
        try:
            return work(index)
        except Exception as exc:  # noqa: BLE001 - collected and checked by the test
            return exc

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def test_threads_adding_entries_lose_nothing(repo, database):
    ids = repo.sync_plan_records("plan.pdf", [dict(council="R", activity=f"Aktivitet {n} om bemanning")
                                              for n in range(4)]).added

    def work(thread):
        return [repo.add_followup_entry(ids[(thread + n) % len(ids)], "Pågår", comment=f"{thread}:{n}",
                                        recorded_by=f"user{thread}").id for n in range(PER_THREAD)]

    results = run_together(THREADS, work)
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors
    entry_ids = [entry_id for result in results for entry_id in result]
    assert len(set(entry_ids)) == THREADS * PER_THREAD
    entries = repo.all_entries()
    assert len(entries) == THREADS * PER_THREAD
    assert {entry.comment for entry in entries} == {f"{t}:{n}" for t in range(THREADS) for n in range(PER_THREAD)}
    assert sum(len(repo.history(record_id)) for record_id in ids) == THREADS * PER_THREAD
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(FollowupEntryRow)) == THREADS * PER_THREAD
        if database.backend == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_threads_syncing_and_recording_at_once(repo):
    base = repo.sync_plan_records("gemensam.pdf", [dict(council="R", activity="Gemensam aktivitet")]).added[0]

    def work(thread):
        if thread % 2:
            source = f"plan-{thread}.pdf"
            records = [dict(council="R", activity=f"Aktivitet {n}", source=source) for n in range(10)]
            for _ in range(3):
                repo.sync_plan_records(source, records)
            return source
        return [repo.add_followup_entry(base, "Klar", recorded_by="anna").id for _ in range(10)]

    results = run_together(THREADS, work)
    assert not [result for result in results if isinstance(result, Exception)], results
    # Identical texts in several sources: every source still has its own 10 records.
    for thread in range(1, THREADS, 2):
        assert len(repo.list_records(source=f"plan-{thread}.pdf")) == 10
    assert len({record.record_id for record in repo.list_records()}) == 1 + 10 * (THREADS // 2)
    assert len(repo.history(base)) == 10 * (THREADS // 2)


def test_threads_creating_the_same_user(repo):
    results = run_together(THREADS, lambda thread: repo.add_user("Anna" if thread % 2 else "anna", "lösenord123"))
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(result, UserExistsError) for result in results if isinstance(result, Exception))
    assert len(repo.list_users()) == 1


def test_processes_opening_a_fresh_database_at_once(database_url):
    """Several processes start on an empty database: exactly one migrates, all can use it."""
    script = (
        "import sys\n"
        "from assistant.db import Repository, open_database\n"
        "db = open_database(sys.argv[1])\n"
        "Repository(db).sync_plan_records(f'p{sys.argv[2]}.pdf', [dict(council='R', activity='A' + sys.argv[2])])\n"
        "db.dispose()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", script, database_url, str(n)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(4)]
    outputs = [process.communicate(timeout=180) for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, outputs
    with open_database(database_url) as database:
        assert database.schema_revision() == head_revision()
        assert len(Repository(database).list_records()) == 4
        with database.read() as session:
            assert session.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
