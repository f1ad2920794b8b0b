"""Load test: concurrent users against the web app on loopback.

Starts ``python app.py`` on a free 127.0.0.1 port over a private copy of the corpus and index, then
runs N users (default 16), asking the eval questions in a loop for a fixed time (default 60 s), each
either with its own ``gradio_client.Client`` through the queue (``--client gradio``, the default) or
with plain HTTP POSTs to ``/gradio_api/run/chat`` on a kept-alive connection (``--client rest``).
Reports requests, errors (must be 0), throughput and latency p50/p95, and writes
``bench/results/load.json`` (gradio) or ``bench/results/load-rest.json``. The users run on the same
cores as the server: gradio_client's own work (SSE, threads) is part of what is measured.

    .venv/bin/python bench/load.py [--users 32] [--seconds 60] [--client gradio|rest]

Traffic goes only to 127.0.0.1; the request loop is bounded in time and stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def start_app(settings, port: int, timeout: float = 300.0):
    """The app in a subprocess and a connected client (raises if it does not come up)."""
    from gradio_client import Client

    env = common.offline_env(**common.index_env(settings), ASSISTANT_PORT=str(port), ASSISTANT_HOST="127.0.0.1")
    log = Path(settings.index_dir).parent / "app.log"
    handle = open(log, "wb")
    proc = subprocess.Popen([sys.executable, str(common.PROJECT_ROOT / "app.py")], env=env, stdout=handle,
                            stderr=subprocess.STDOUT, cwd=common.PROJECT_ROOT, start_new_session=True)
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}: {log.read_text(errors='replace')[-800:]}")
        try:
            Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False, download_files=False)
            return proc, handle
        except Exception:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"the app did not come up within {timeout:.0f} s")


def _ask_until(ask, questions: list[str], offset: int, deadline: float, out: dict, lock: threading.Lock) -> None:
    """Ask the questions in turn until the deadline; ``ask(question)`` gives an error text or None.
    Records every latency and error."""
    i = offset
    while time.perf_counter() < deadline:
        question = questions[i % len(questions)]
        i += 1
        started = time.perf_counter()
        try:
            error = ask(question)
        except Exception as exc:  # noqa: BLE001 - a failed request is an error to report
            error = f"{type(exc).__name__}: {exc}"[:300]
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            out["latencies_ms"].append(elapsed)
            if error:
                out["errors"].append(error)


def user_loop(port: int, questions: list[str], offset: int, deadline: float, out: dict, lock: threading.Lock) -> None:
    """One user with its own gradio_client.Client, through the queue."""
    from gradio_client import Client

    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False, download_files=False)
    except Exception as exc:  # noqa: BLE001 - a failed connection is an error to report
        with lock:
            out["errors"].append(f"connect: {type(exc).__name__}: {exc}"[:300])
        return

    def ask(question: str) -> str | None:
        result = client.predict(question, [], api_name="/chat")
        ok = isinstance(result, dict) and result.get("answer") and not result.get("error")
        return None if ok else f"bad result: {str(result)[:200]}"

    _ask_until(ask, questions, offset, deadline, out, lock)


def rest_user_loop(port: int, questions: list[str], offset: int, deadline: float, out: dict,
                   lock: threading.Lock) -> None:
    """One user over plain HTTP: POST /gradio_api/run/chat on a kept-alive connection (what a script does)."""
    connection = [http.client.HTTPConnection("127.0.0.1", port, timeout=120)]

    def ask(question: str) -> str | None:
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
        result = (payload.get("data") or [None])[0]
        ok = response.status == 200 and isinstance(result, dict) and result.get("answer") and not result.get("error")
        return None if ok else f"HTTP {response.status}: {str(payload)[:200]}"

    _ask_until(ask, questions, offset, deadline, out, lock)
    connection[0].close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--client", choices=("gradio", "rest"), default="gradio",
                        help="gradio: gradio_client through the queue (as the Python client does); "
                             "rest: plain HTTP POST /gradio_api/run/chat (as curl or a script does)")
    args = parser.parse_args(argv)

    info = common.machine_info()
    settings = common.bench_settings(common.work_dir("load"))
    common.ensure_index(settings)
    questions = common.load_questions()
    port = common.free_port()
    proc, handle = start_app(settings, port)
    out: dict = {"latencies_ms": [], "errors": []}
    lock = threading.Lock()
    try:
        deadline = time.perf_counter() + args.seconds
        loop = rest_user_loop if args.client == "rest" else user_loop
        threads = [threading.Thread(target=loop, args=(port, questions, n * 7, deadline, out, lock))
                   for n in range(args.users)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 300)
        wall = time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        handle.close()

    latencies = out["latencies_ms"]
    summary = common.summarize(latencies)
    data = {
        "users": args.users, "seconds": args.seconds, "client": args.client, "wall_s": round(wall, 1), "requests": len(latencies),
        "errors": len(out["errors"]), "error_samples": out["errors"][:5],
        "throughput_rps": round(len(latencies) / wall, 2) if wall else None, "latency_ms": summary,
        "note": ("each user is a gradio_client.Client calling /chat through the queue" if args.client == "gradio"
                 else "each user POSTs /gradio_api/run/chat on a kept-alive HTTP connection")
                + ", one eval question at a time (no think time); the load generator runs on the same 2 cores",
    }
    print(common.table(["users", "seconds", "requests", "errors", "req/s", "p50 ms", "p95 ms"],
                       [[args.users, args.seconds, len(latencies), len(out["errors"]), data["throughput_rps"],
                         summary.get("p50"), summary.get("p95")]], title="Load test (gradio_client on loopback)"))
    common.write_result("load" if args.client == "gradio" else f"load-{args.client}", data, info)
    return 0 if not out["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
