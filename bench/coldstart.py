"""Cold start: process start → first answer, for the CLI and for the web app, with peak memory.

    .venv/bin/python bench/coldstart.py [--runs 3] [--skip-app] [--app-api-name /ask]

* CLI: ``assistant ask --json "<question>"`` in a subprocess, wall time from spawn to exit. Peak memory
  is the child's own high-water mark (``VmHWM``, polled from /proc). One extra run of a small script prints where the
  time goes (imports, model load, index load, first answer).
* App: ``python app.py`` with ``ASSISTANT_PORT=<free port>`` in a subprocess; time until the server
  answers ``gradio_client`` and until a first answer has been served through it. Skipped with a note
  when app.py is missing. The endpoint is found from the app's API description (an endpoint whose name
  says ask/answer/chat/respond/submit, else the first one that takes text), or given with
  ``--app-api-name``.

The first run may include a cold OS file cache; later ones do not (the page cache cannot be dropped
here), so min/median/max are all reported. Writes bench/results/coldstart.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

QUESTION = "Vem ansvarar för VFU i nationella rådets plan?"

PHASES_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
from assistant.service import Assistant
t1 = time.perf_counter()
a = Assistant()
a.embedder.embed_query("uppvärmning")
t2 = time.perf_counter()
a.index
t3 = time.perf_counter()
ans = a.ask(sys.argv[1])
t4 = time.perf_counter()
print(json.dumps({"import_assistant_ms": (t1-t0)*1000, "embedding_backend": a.settings.embedding_backend,
                  "model_load_and_first_embedding_ms": (t2-t1)*1000, "index_load_ms": (t3-t2)*1000,
                  "first_answer_ms": (t4-t3)*1000, "torch_imported": "torch" in sys.modules,
                  "chromadb_imported": "chromadb" in sys.modules, "answer_timings_ms": ans.timings_ms}))
"""


def spawn_wait(cmd: list[str], env: dict, timeout: float = 300.0) -> tuple[float, float, int, str]:
    """Run ``cmd``; (wall s, peak RSS MB of that child, exit code, stdout).

    The peak is the child's own high-water mark (``VmHWM`` in /proc/<pid>/status, polled every 5 ms):
    ``wait4``'s ``ru_maxrss`` also counts the parent's memory at fork time, which inflates it when the
    parent is large. Falls back to ``ru_maxrss`` where /proc cannot be read.
    """
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-coldstart-{os.getpid()}.out"
    peak_kb = 0
    with open(out_path, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.DEVNULL, cwd=common.PROJECT_ROOT)
        deadline = started + timeout
        while True:
            peak_kb = max(peak_kb, _high_water_kb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text(encoding="utf-8", errors="replace")
    out_path.unlink(missing_ok=True)
    return wall, (peak_kb or usage.ru_maxrss) / 1024, proc.returncode, text


def _high_water_kb(pid: int) -> int:
    """A process's peak resident memory so far (kB), 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def bench_cli(settings, runs: int) -> dict:
    env = common.offline_env(**common.index_env(settings))
    cli = str(common.VENV_BIN / "assistant")
    walls, peaks, answers = [], [], []
    for _ in range(runs):
        wall, peak, code, out = spawn_wait([cli, "ask", "--json", QUESTION], env)
        if code != 0:
            raise SystemExit(f"assistant ask failed (exit {code}): {out[-500:]}")
        walls.append(wall)
        peaks.append(peak)
        answers.append(json.loads(out.strip().splitlines()[-1]))
    wall, peak, code, out = spawn_wait([sys.executable, "-c", PHASES_SCRIPT, QUESTION], env)
    phases = json.loads(out.strip().splitlines()[-1]) if code == 0 else {"error": out[-500:]}
    phases["process_wall_ms"] = round(wall * 1000, 1)
    phases = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in phases.items()}
    return {"command": f"assistant ask --json {QUESTION!r}", "wall_s": walls, "peak_rss_mb": peaks,
            "wall_summary_s": common.summarize(walls), "peak_rss_max_mb": round(max(peaks), 1),
            "answer_timings_ms": answers[-1].get("timings_ms"), "answer_preview": answers[-1].get("answer", "")[:160],
            "phases_one_run": phases}


# ------------------------------------------------------------------ app
def find_endpoint(client, wanted: str | None) -> tuple[str, list[dict]]:
    api = client.view_api(print_info=False, return_format="dict") or {}
    endpoints = api.get("named_endpoints", {})
    if wanted:
        if wanted not in endpoints:
            raise RuntimeError(f"the app has no endpoint {wanted}; it has {sorted(endpoints)}")
        return wanted, endpoints[wanted].get("parameters", [])

    def takes_text(params):
        return any((p.get("python_type", {}) or {}).get("type") == "str" for p in params)

    ranked = sorted(endpoints.items(), key=lambda item: (
        not any(word in item[0].lower() for word in ("ask", "answer", "chat", "respond", "submit", "fråga", "query")),
        not takes_text(item[1].get("parameters", []))))
    for name, spec in ranked:
        if takes_text(spec.get("parameters", [])):
            return name, spec.get("parameters", [])
    raise RuntimeError(f"no endpoint taking text among {sorted(endpoints)}")


def call_args(params: list[dict], question: str) -> dict:
    """Keyword arguments: the question for the first text parameter, defaults (or empty values) for the rest."""
    kwargs, placed = {}, False
    for p in params:
        name = p.get("parameter_name") or p.get("label")
        kind = (p.get("python_type", {}) or {}).get("type", "")
        if not placed and kind == "str":
            kwargs[name] = question
            placed = True
        elif p.get("parameter_has_default"):
            continue
        elif kind.startswith("list") or kind.startswith("List"):
            kwargs[name] = []
        elif kind == "str":
            kwargs[name] = ""
        else:
            kwargs[name] = None
    return kwargs


def bench_app(settings, runs: int, api_name: str | None, timeout: float) -> dict:
    app = common.PROJECT_ROOT / "app.py"
    if not app.exists():
        return {"skipped": "app.py is missing (it is being written elsewhere); rerun when it exists"}
    try:
        from gradio_client import Client
    except ImportError:
        return {"skipped": "gradio_client is not installed"}
    results = []
    for _ in range(runs):
        port = common.free_port()
        env = common.offline_env(**common.index_env(settings), ASSISTANT_PORT=str(port), ASSISTANT_HOST="127.0.0.1")
        url = f"http://127.0.0.1:{port}/"
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-app-{port}.log"
        with open(log, "wb") as handle:
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, str(app)], env=env, stdout=handle, stderr=subprocess.STDOUT,
                                    cwd=common.PROJECT_ROOT, start_new_session=True)
        run: dict = {"port": port}
        try:
            client = None
            while time.perf_counter() - started < timeout:
                if proc.poll() is not None:
                    raise RuntimeError(f"app.py exited with {proc.returncode}: {log.read_text(errors='replace')[-800:]}")
                try:
                    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
                    break
                except Exception:
                    time.sleep(0.2)
            if client is None:
                raise RuntimeError(f"app did not come up within {timeout:.0f} s")
            run["server_up_s"] = round(time.perf_counter() - started, 2)
            name, params = find_endpoint(client, api_name)
            result = client.predict(api_name=name, **call_args(params, QUESTION))
            run["first_answer_s"] = round(time.perf_counter() - started, 2)
            run["endpoint"] = name
            run["answer_preview"] = json.dumps(result, ensure_ascii=False, default=str)[:200]
            run["rss_at_answer_mb"] = _tree_rss(proc.pid)
        except Exception as exc:
            run["error"] = f"{type(exc).__name__}: {exc}"[:600]
        finally:
            run["peak_rss_mb"] = _stop(proc)
            log.unlink(missing_ok=True)
        results.append(run)
    ok = [r for r in results if "first_answer_s" in r]
    return {"command": "python app.py (ASSISTANT_PORT=<free port>), first answer through gradio_client",
            "runs": results,
            "first_answer_summary_s": common.summarize([r["first_answer_s"] for r in ok]),
            "server_up_summary_s": common.summarize([r["server_up_s"] for r in ok]),
            "peak_rss_max_mb": max((r["peak_rss_mb"] or 0 for r in results), default=None)}


def _tree_rss(pid: int) -> float | None:
    try:
        import psutil

        proc = psutil.Process(pid)
        total = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
        return round(total / 1024 / 1024, 1)
    except Exception:
        return None


def _stop(proc: subprocess.Popen) -> float | None:
    """Terminate the app (its process group), reap it and return its peak RSS in MB."""
    peak_kb = _high_water_kb(proc.pid)  # the app's own peak; wait4 would add the parent's memory at fork
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.perf_counter() + 15
    while time.perf_counter() < deadline:
        pid, _, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return round((peak_kb or usage.ru_maxrss) / 1024, 1)
        time.sleep(0.05)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, _, usage = os.wait4(proc.pid, 0)
    return round((peak_kb or usage.ru_maxrss) / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-app", action="store_true")
    parser.add_argument("--app-api-name", default=os.environ.get("BENCH_APP_API"),
                        help="gradio endpoint to call, e.g. /ask (default: detected)")
    parser.add_argument("--app-timeout", type=float, default=180.0)
    args = parser.parse_args(argv)

    info = common.machine_info()
    settings = common.bench_settings(common.work_dir("index"))
    report = common.ensure_index(settings)
    print(f"bench index: {report.chunks} chunks; question: {QUESTION}")

    cli = bench_cli(settings, args.runs)
    app = {"skipped": "--skip-app"} if args.skip_app else bench_app(settings, args.runs, args.app_api_name, args.app_timeout)

    rows = [["CLI: assistant ask (spawn → exit)", cli["wall_summary_s"]["min"], cli["wall_summary_s"]["p50"],
             cli["wall_summary_s"]["max"], cli["peak_rss_max_mb"], "≤ 15 s"]]
    if "skipped" in app:
        rows.append(["app: python app.py → first answer", "skipped", "", "", "", app["skipped"]])
    else:
        up, first = app["server_up_summary_s"], app["first_answer_summary_s"]
        rows.append(["app: spawn → server answers", up.get("min"), up.get("p50"), up.get("max"), "", ""])
        rows.append(["app: spawn → first answer served", first.get("min"), first.get("p50"), first.get("max"),
                     app["peak_rss_max_mb"], ""])
        errors = [r["error"] for r in app["runs"] if "error" in r]
        if errors:
            print("app errors:", *errors, sep="\n  ")
    print(common.table(["what (seconds)", "min", "median", "max", "peak RSS MB", "target"], rows, "Cold start"))
    phases = cli["phases_one_run"]
    print(common.table(["phase (one run, ms)", "value"], [[k, v] for k, v in phases.items() if k != "answer_timings_ms"],
                       "Where the CLI's start-up time goes"))

    common.write_result("coldstart", {"question": QUESTION, "runs": args.runs, "cli": cli, "app": app,
                                      "targets_met": {"cli_cold_start_le_15s": cli["wall_summary_s"]["p50"] <= 15}}, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
