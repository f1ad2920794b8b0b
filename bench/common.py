"""Shared helpers for the bench scripts: offline environment, bench index, statistics, tables, results.

Every script sets the offline/telemetry variables before anything heavy is imported, builds its own
index from a copy of ``corpus/`` in a work folder (never touching the project's ``index/``), and writes
``bench/results/<name>.json`` (plus a PNG where a curve says more).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS_DIR") or BENCH_DIR / "results").resolve()
QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
VENV_BIN = Path(sys.executable).parent

if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from assistant import offline  # noqa: E402  (the offline environment, before numpy or a model loads)

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


# ------------------------------------------------------------------ environment
def offline_env(**extra: str) -> dict[str, str]:
    """Environment for child processes: offline, no telemetry, plus ``extra``."""
    env = offline.environment()
    env.update({"PYTHONUNBUFFERED": "1"}, **extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine_info() -> dict:
    """What the numbers were measured on, including how busy the machine was."""
    from assistant.build.evaluation import machine_facts

    info = {**machine_facts(), "gpu": _gpu(),
            "python": platform.python_version(), "platform": platform.platform(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()]}
    for module in ("onnxruntime", "torch", "chromadb", "bm25s", "llama_index.core", "sentence_transformers", "gradio"):
        try:
            info[f"{module}_version"] = __import__(module, fromlist=["__version__"]).__version__
        except Exception:
            pass
    return info


def _gpu() -> str:
    try:
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except Exception:
        return "none"


def noise_note(info: dict) -> str:
    """A warning when the load average says other work shared the CPUs."""
    load = max(info.get("loadavg_start", [0])[0], info.get("loadavg_end", [0])[0])
    cpus = info.get("cpus") or 1
    if load > 0.5 * cpus:
        return (f"NOISY: load average {load:.2f} on {cpus} CPUs while measuring; other processes shared the "
                f"machine, so the figures are pessimistic and vary run to run.")
    return ""


# ------------------------------------------------------------------ stats / output
def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize(values: list[float]) -> dict:
    """n, p50, p95, mean, min, max (rounded) of a list of milliseconds/seconds."""
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": _r(percentile(values, 50)), "p95": _r(percentile(values, 95)),
            "mean": _r(statistics.fmean(values)), "min": _r(min(values)), "max": _r(max(values))}


def _r(value):
    return None if value is None else round(float(value), 2)


def table(headers: list[str], rows: list[list], title: str = "") -> str:
    """A plain-text table (also valid Markdown)."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h)) for i, h in enumerate(headers)]
    lines = [f"\n{title}"] if title else []
    lines.append("| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    return "\n".join(lines)


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def write_result(name: str, data: dict, info: dict) -> Path:
    """Write ``bench/results/<name>.json`` with the machine description and a noise note."""
    info["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    note = noise_note(info)
    payload = {"bench": name, "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": info,
               "noise": note or "quiet (load average below half the CPUs)", **data}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    if note:
        print(f"\n{note}")
    print(f"\nwrote {_shown(path)}")
    return path


def save_figure(fig, name: str) -> str:
    """Save a matplotlib figure as ``bench/results/<name>`` and close it; returns the shown path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = RESULTS_DIR / name
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return _shown(path)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def load_questions(limit: int | None = None) -> list[str]:
    """Question texts of eval/questions.jsonl (history and expected answers ignored)."""
    questions = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            questions.append(str(json.loads(line)["question"]))
    return questions[:limit] if limit else questions


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


# ------------------------------------------------------------------ bench index
def work_dir(name: str) -> Path:
    """A work folder: ``$BENCH_WORKDIR/<name>`` when set (run_all.sh shares one), else a fresh temp folder."""
    root = os.environ.get("BENCH_WORKDIR")
    if root:
        path = Path(root) / name
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))


def bench_settings(base: Path, **overrides):
    """Settings over a private copy of the project corpus and an index folder under ``base``."""
    from assistant.settings import Settings

    corpus = base / "corpus"
    if not corpus.exists():
        shutil.copytree(PROJECT_ROOT / "corpus", corpus)
        for path in corpus.iterdir():  # the project corpus files are read-only; copies must be editable
            path.chmod(0o644)
    return Settings(corpus_dir=corpus, index_dir=base / "index", **overrides)


def ensure_index(settings, embedder=None):
    """Build the bench index if it is missing (unchanged corpus → nothing rebuilt)."""
    from assistant.ingest.pipeline import ingest

    return ingest(settings, embedder=embedder)


def index_env(settings) -> dict[str, str]:
    """ASSISTANT_* variables that point a child process at the bench corpus and index."""
    return {"ASSISTANT_CORPUS_DIR": str(settings.corpus_dir), "ASSISTANT_INDEX_DIR": str(settings.index_dir)}


def rss_mb() -> float | None:
    try:
        import psutil

        return round(psutil.Process().memory_info().rss / 1024 / 1024, 1)
    except Exception:
        return None
