"""Load test: concurrent users against the web app on loopback.

Starts ``python app.py`` on a free 127.0.0.1 port over a private copy of the corpus and index, then
runs N users (default 16) that ask the eval questions in a loop for a fixed time (default 60 s), one
question at a time and no think time. A user is one of

* ``--client gradio`` (the default): its own ``gradio_client.Client`` calling ``/chat`` through the
  queue, as a Python script using Gradio's client does;
* ``--client queue``: the browser's queue protocol spoken directly with ``http.client``
  (``POST /gradio_api/queue/join`` with a session hash, then the SSE stream
  ``/gradio_api/queue/data?session_hash=…`` until ``process_completed``): the same server path as
  ``gradio``, without gradio_client's threads and 50-ms polling in the load generator;
* ``--client rest``: plain HTTP POSTs to ``/gradio_api/run/chat`` on a kept-alive connection (what
  curl or a script does; this route does not go through the queue).

The users are spread over ``--processes P`` load-generator processes (``spawn``; default: as many as
needed for at most 8 users each), so that Python's GIL in one generator process does not become the
bottleneck; each process runs its users as threads and sends its latencies, errors and CPU time back.
``--processes`` takes a comma-separated list (``auto,1``): each split is run in turn against the same
app, the first is the headline, all are kept under ``runs``.

For each run the CPU time of the app process (with its children) and of the load generator (all its
processes) is measured over the run (``/proc`` via psutil, ``getrusage``), and the whole machine's
busy time, so the JSON says who used the 2 shared cores. With ``--client queue`` the queue wait
(join → ``process_starts``) and the server's processing time (``duration`` of ``process_completed``)
are recorded per request too.

Reports requests, errors (must be 0), throughput and latency p50/p95 and writes
``bench/results/load.json`` (gradio), ``load-queue.json`` or ``load-rest.json``.

    .venv/bin/python bench/load.py [--users 32] [--seconds 60] [--client gradio|queue|rest]
                                   [--processes auto|P[,P...]] [--app-env ASSISTANT_X=value]

Traffic goes only to 127.0.0.1; the request loop is bounded in time and stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import resource
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

USERS_PER_PROCESS = 8
RESULT_NAMES = {"gradio": "load", "queue": "load-queue", "rest": "load-rest"}
NOTES = {
    "gradio": "each user is a gradio_client.Client calling /chat through the queue",
    "queue": "each user speaks the browser's queue protocol (POST /gradio_api/queue/join, SSE "
             "/gradio_api/queue/data) with http.client",
    "rest": "each user POSTs /gradio_api/run/chat on a kept-alive HTTP connection (no queue)",
}


def start_app(settings, port: int, timeout: float = 300.0, extra_env: dict[str, str] | None = None):
    """The app in a subprocess, answering on ``port`` (raises if it does not come up)."""
    env = common.offline_env(**common.index_env(settings), ASSISTANT_PORT=str(port), ASSISTANT_HOST="127.0.0.1",
                             **(extra_env or {}))
    log = Path(settings.index_dir).parent / "app.log"
    handle = open(log, "wb")
    proc = subprocess.Popen([sys.executable, str(common.PROJECT_ROOT / "app.py")], env=env, stdout=handle,
                            stderr=subprocess.STDOUT, cwd=common.PROJECT_ROOT, start_new_session=True)
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}: {log.read_text(errors='replace')[-800:]}")
        try:
            if _chat_fn_index(port) is not None and _ask_rest_once(port):
                return proc, handle
        except Exception:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"the app did not come up within {timeout:.0f} s")


def _chat_fn_index(port: int) -> int | None:
    """The id of the ``chat`` API function in the app's config (what a queue join names)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/config")
        response = connection.getresponse()
        config = json.loads(response.read()) if response.status == 200 else {}
    finally:
        connection.close()
    for dependency in config.get("dependencies") or ():
        if dependency.get("api_name") == "chat":
            return int(dependency["id"])
    return None


def _ask_rest_once(port: int) -> bool:
    """One answer over the REST route (the app is up and the index and model are loaded)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", "/gradio_api/run/chat", body=json.dumps({"data": ["Vad är VFU?", [], [], []]}),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status == 200 and bool(json.loads(response.read()).get("data"))
    finally:
        connection.close()


def _result_error(result) -> str | None:
    ok = isinstance(result, dict) and result.get("answer") and not result.get("error")
    return None if ok else f"bad result: {str(result)[:200]}"


# ------------------------------------------------------------------ users (in the generator processes)
def gradio_user(port: int, fn_index: int, ssl_verify: bool = False):
    """``ask(question)`` for one user with its own gradio_client.Client, through the queue.

    gradio_client makes a new ``httpx`` client for every queue join and every SSE stream, and with
    ``ssl_verify=True`` (its default) each one loads the CA bundle into a new SSL context (≈ 25 ms of
    CPU, twice per request) even for a plain ``http://`` URL. The app is on plain HTTP on loopback, so
    there is no TLS to verify: ``ssl_verify=False`` unless ``--ssl-verify``.
    """
    from gradio_client import Client

    client = Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False, download_files=False,
                    ssl_verify=ssl_verify)

    def ask(question: str, extra: dict) -> str | None:
        return _result_error(client.predict(question, [], api_name="/chat"))

    return ask, client.close


def rest_user(port: int, fn_index: int, ssl_verify: bool = False):
    """``ask(question)`` for one user over plain HTTP: POST /gradio_api/run/chat on a kept-alive connection."""
    connection = [http.client.HTTPConnection("127.0.0.1", port, timeout=120)]

    def ask(question: str, extra: dict) -> str | None:
        try:
            body = json.dumps({"data": [question, [], [], []]})
            connection[0].request("POST", "/gradio_api/run/chat", body=body,
                                  headers={"Content-Type": "application/json"})
            response = connection[0].getresponse()
            payload = json.loads(response.read())
        except Exception:
            connection[0].close()  # a broken connection is not reused
            connection[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            raise
        if response.status != 200:
            return f"HTTP {response.status}: {str(payload)[:200]}"
        return _result_error((payload.get("data") or [None])[0])

    return ask, lambda: connection[0].close()


def queue_user(port: int, fn_index: int, ssl_verify: bool = False):
    """``ask(question)`` for one user speaking the browser's queue protocol with http.client.

    Join with the user's session hash on one kept-alive connection, then read the SSE stream of the
    session on another until ``process_completed`` (the server then closes the stream with
    ``close_stream``). Records the queue wait and the server's processing time in ``extra``.
    """
    session_hash = secrets.token_hex(6)
    join = [http.client.HTTPConnection("127.0.0.1", port, timeout=120)]
    stream = [http.client.HTTPConnection("127.0.0.1", port, timeout=120)]

    def reset(holder):
        holder[0].close()
        holder[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def ask(question: str, extra: dict) -> str | None:
        started = time.perf_counter()
        body = json.dumps({"data": [question, [], [], []], "fn_index": fn_index, "session_hash": session_hash,
                           "event_data": None, "trigger_id": None})
        try:
            join[0].request("POST", "/gradio_api/queue/join", body=body, headers={"Content-Type": "application/json"})
            response = join[0].getresponse()
            payload = json.loads(response.read())
        except Exception:
            reset(join)
            raise
        if response.status != 200:
            return f"join: HTTP {response.status}: {str(payload)[:200]}"
        try:
            stream[0].request("GET", f"/gradio_api/queue/data?session_hash={session_hash}",
                              headers={"Accept": "text/event-stream"})
            response = stream[0].getresponse()
            if response.status != 200:
                response.read()
                return f"stream: HTTP {response.status}"
            result = None
            while True:
                line = response.readline()
                if not line:
                    break
                if not line.startswith(b"data:"):
                    continue
                message = json.loads(line[5:])
                kind = message.get("msg")
                if kind == "process_starts":
                    extra["queue_wait_ms"] = (time.perf_counter() - started) * 1000
                elif kind == "estimation":
                    extra["estimations"] = extra.get("estimations", 0) + 1
                elif kind == "process_completed":
                    output = message.get("output") or {}
                    if not message.get("success"):
                        result = f"process_completed without success: {str(output)[:200]}"
                    else:
                        if output.get("duration") is not None:
                            extra["server_ms"] = float(output["duration"]) * 1000
                        result = _result_error((output.get("data") or [None])[0])
                        result = result or ""
                elif kind == "close_stream":
                    break
                elif kind == "unexpected_error":
                    result = f"unexpected_error: {str(message)[:200]}"
            response.read()  # the end of the chunked body, so the connection can be reused
        except Exception:
            reset(stream)
            raise
        if result is None:
            return "the stream ended without process_completed"
        return result or None

    return ask, lambda: (join[0].close(), stream[0].close())


USERS = {"gradio": gradio_user, "queue": queue_user, "rest": rest_user}


def _user_thread(kind: str, port: int, fn_index: int, ssl_verify: bool, questions: list[str], offset: int,
                 ready: threading.Barrier, released: threading.Event, deadline: list[float], out: dict,
                 lock: threading.Lock) -> None:
    """Connect, wait for the start signal, then ask until the deadline."""
    ask = close = None
    try:
        ask, close = USERS[kind](port, fn_index, ssl_verify)
    except Exception as exc:  # noqa: BLE001 - a failed connection is an error to report
        with lock:
            out["errors"].append(f"connect: {type(exc).__name__}: {exc}"[:300])
    ready.wait()
    released.wait()
    if ask is None:
        return
    i = offset
    while time.time() < deadline[0]:
        question = questions[i % len(questions)]
        i += 1
        extra: dict = {}
        started = time.perf_counter()
        try:
            error = ask(question, extra)
        except Exception as exc:  # noqa: BLE001 - a failed request is an error to report
            error = f"{type(exc).__name__}: {exc}"[:300]
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            out["latencies_ms"].append(elapsed)
            for key in ("queue_wait_ms", "server_ms"):
                if key in extra:
                    out.setdefault(key, []).append(extra[key])
            out["estimations"] = out.get("estimations", 0) + extra.get("estimations", 0)
            if error:
                out["errors"].append(error)
    try:
        close()
    except Exception:
        pass


def generator_process(kind: str, port: int, fn_index: int, ssl_verify: bool, questions: list[str], offsets: list[int],
                      seconds: float, ready_queue, go, start_at, result_queue) -> None:
    """One load-generator process: its users as threads; latencies, errors and own CPU time go back."""
    out: dict = {"latencies_ms": [], "errors": []}
    lock = threading.Lock()
    deadline = [0.0]
    connected, released = threading.Barrier(len(offsets) + 1), threading.Event()
    threads = [threading.Thread(target=_user_thread, daemon=True,
                                args=(kind, port, fn_index, ssl_verify, questions, offset, connected, released, deadline,
                                      out, lock))
               for offset in offsets]
    for thread in threads:
        thread.start()
    connected.wait()  # every user has its client; wait for the other processes
    ready_queue.put(os.getpid())
    go.wait()
    deadline[0] = start_at.value + seconds
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_start = usage.ru_utime + usage.ru_stime
    released.set()  # the users start together
    for thread in threads:
        thread.join(timeout=seconds + 300)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_s"] = usage.ru_utime + usage.ru_stime - cpu_start
    out["users"] = len(offsets)
    out["pid"] = os.getpid()
    result_queue.put(out)


# ------------------------------------------------------------------ CPU accounting (in the parent)
def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its live children."""
    import psutil

    try:
        proc = psutil.Process(pid)
        total = sum(proc.cpu_times()[:2])
        for child in proc.children(recursive=True):
            try:
                total += sum(child.cpu_times()[:2])
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0.0


def _machine_busy() -> tuple[float, float]:
    """(busy CPU seconds, total CPU seconds) of the whole machine, summed over its CPUs."""
    import psutil

    times = psutil.cpu_times()
    total = sum(times)
    return total - times.idle - getattr(times, "iowait", 0.0), total


def split_users(users: int, processes: int) -> list[list[int]]:
    """The users' question offsets per generator process, as even as possible."""
    processes = max(1, min(processes, users))
    return [[n * 7 for n in range(users) if n % processes == p] for p in range(processes)]


def run_once(kind: str, port: int, fn_index: int, questions: list[str], users: int, processes: int,
             seconds: float, app_pid: int, ssl_verify: bool = False) -> dict:
    """One timed run with ``users`` spread over ``processes`` spawned generator processes."""
    context = multiprocessing.get_context("spawn")
    ready_queue, result_queue = context.Queue(), context.Queue()
    go, start_at = context.Event(), context.Value("d", 0.0)
    groups = split_users(users, processes)
    workers = [context.Process(target=generator_process, daemon=True,
                               args=(kind, port, fn_index, ssl_verify, questions, offsets, seconds, ready_queue, go,
                                     start_at, result_queue))
               for offsets in groups]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready_queue.get(timeout=300)
    app_cpu_start = _process_cpu(app_pid)
    busy_start, total_start = _machine_busy()
    own = resource.getrusage(resource.RUSAGE_SELF)
    own_start = own.ru_utime + own.ru_stime
    started = time.perf_counter()
    start_at.value = time.time()
    go.set()
    results = [result_queue.get(timeout=seconds + 600) for _ in workers]
    wall = time.perf_counter() - started
    app_cpu = _process_cpu(app_pid) - app_cpu_start
    busy_end, total_end = _machine_busy()
    own = resource.getrusage(resource.RUSAGE_SELF)
    parent_cpu = own.ru_utime + own.ru_stime - own_start
    for worker in workers:
        worker.join(timeout=30)
        if worker.is_alive():
            worker.kill()

    latencies = [x for r in results for x in r["latencies_ms"]]
    errors = [e for r in results for e in r["errors"]]
    generator_cpu = sum(r["cpu_s"] for r in results) + parent_cpu
    cpus = os.cpu_count() or 1
    machine_cpu = (busy_end - busy_start) / ((total_end - total_start) / cpus) * wall if total_end > total_start else None
    summary = common.summarize(latencies)
    run = {
        "processes": len(groups), "users_per_process": [len(g) for g in groups], "wall_s": round(wall, 1),
        "requests": len(latencies), "errors": len(errors), "error_samples": errors[:5],
        "throughput_rps": round(len(latencies) / wall, 2) if wall else None, "latency_ms": summary,
        "cpu": {
            "app_s": round(app_cpu, 1), "app_pct_of_one_core": round(100 * app_cpu / wall, 1),
            "generator_s": round(generator_cpu, 1), "generator_pct_of_one_core": round(100 * generator_cpu / wall, 1),
            "generator_pct_per_process": [round(100 * r["cpu_s"] / wall, 1) for r in results],
            "machine_busy_pct_of_one_core": round(100 * machine_cpu / wall, 1) if machine_cpu is not None else None,
            "other_pct_of_one_core": (round(100 * (machine_cpu - app_cpu - generator_cpu) / wall, 1)
                                      if machine_cpu is not None else None),
            "cores": cpus,
            "app_cpu_ms_per_request": round(1000 * app_cpu / len(latencies), 1) if latencies else None,
            "generator_cpu_ms_per_request": round(1000 * generator_cpu / len(latencies), 1) if latencies else None,
        },
    }
    for key in ("queue_wait_ms", "server_ms"):
        values = [x for r in results for x in r.get(key, [])]
        if values:
            run[key] = common.summarize(values)
    if kind == "queue":
        run["estimation_messages_per_request"] = (round(sum(r.get("estimations", 0) for r in results) / len(latencies), 1)
                                                  if latencies else None)
    return run


def _split(value: str, users: int) -> int:
    return math.ceil(users / USERS_PER_PROCESS) if value == "auto" else max(1, int(value))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--client", choices=tuple(USERS), default="gradio",
                        help="gradio: gradio_client through the queue (as the Python client does); queue: the "
                             "browser's queue protocol with http.client; rest: plain HTTP POST /gradio_api/run/chat "
                             "(as curl or a script does)")
    parser.add_argument("--processes", default="auto",
                        help=f"load-generator processes, comma-separated for several runs (auto: at most "
                             f"{USERS_PER_PROCESS} users per process)")
    parser.add_argument("--app-env", action="append", default=[], metavar="ASSISTANT_X=value",
                        help="an extra environment variable for the app (e.g. ASSISTANT_MAX_CONCURRENT_REQUESTS=8)")
    parser.add_argument("--ssl-verify", action="store_true",
                        help="gradio: keep gradio_client's default ssl_verify=True (a CA bundle loaded per request)")
    parser.add_argument("--output", help="result name instead of load / load-queue / load-rest")
    args = parser.parse_args(argv)
    splits = [_split(part.strip(), args.users) for part in args.processes.split(",") if part.strip()]
    app_env = dict(item.split("=", 1) for item in args.app_env)

    info = common.machine_info()
    settings = common.bench_settings(common.work_dir("load"))
    common.ensure_index(settings)
    questions = common.load_questions()
    port = common.free_port()
    proc, handle = start_app(settings, port, extra_env=app_env)
    runs = []
    try:
        fn_index = _chat_fn_index(port)
        for processes in splits:
            runs.append(run_once(args.client, port, fn_index, questions, args.users, processes, args.seconds, proc.pid,
                                 ssl_verify=args.ssl_verify))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        handle.close()

    head = runs[0]
    data = {
        "users": args.users, "seconds": args.seconds, "client": args.client, "app_env": app_env,
        **({"gradio_client_ssl_verify": args.ssl_verify} if args.client == "gradio" else {}),
        **{k: head[k] for k in ("processes", "users_per_process", "wall_s", "requests", "errors", "error_samples",
                                "throughput_rps", "latency_ms", "cpu")},
        "runs": runs,
        "note": NOTES[args.client] + ", one eval question at a time (no think time); the users are spread over "
                "load-generator processes (spawn) that run on the same cores as the app; cpu: CPU time over the "
                "run as % of one core (app with children, generator processes, the whole machine, the rest)",
    }
    rows = [[args.client, r["processes"], args.users, r["requests"], r["errors"], r["throughput_rps"],
             r["latency_ms"].get("p50"), r["latency_ms"].get("p95"), r["cpu"]["app_pct_of_one_core"],
             r["cpu"]["generator_pct_of_one_core"], r["cpu"]["other_pct_of_one_core"]] for r in runs]
    print(common.table(["client", "procs", "users", "requests", "errors", "req/s", "p50 ms", "p95 ms", "app CPU %",
                        "generator CPU %", "other CPU %"], rows, title="Load test on loopback"))
    common.write_result(args.output or RESULT_NAMES[args.client], data, info)
    return 0 if not any(r["errors"] for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
