"""Collect the targets from bench/results/*.json into one table (printed and written to summary.md).

    .venv/bin/python bench/summary.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


def load(name: str) -> dict | None:
    path = common.RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def get(data, *keys):
    for key in keys:
        if data is None:
            return None
        data = data.get(key) if isinstance(data, dict) else None
    return data


def main() -> int:
    latency, cold, ingest, scale = load("latency"), load("coldstart"), load("ingest"), load("scale")
    backends = load("backends")
    rows = []

    def add(metric, value, target, ok, source):
        rows.append([metric, value, target, "–" if ok is None else ("yes" if ok else "NO"), source])

    p50, p95 = get(latency, "assistant_ms", "wall", "p50"), get(latency, "assistant_ms", "wall", "p95")
    naive = get(latency, "naive_ms", "wall", "p50")
    add("warm answer p50 (ms)", p50, "≤ 150", None if p50 is None else p50 <= 150, "latency")
    add("warm answer p95 (ms)", p95, "≤ 400", None if p95 is None else p95 <= 400, "latency")
    add("naive llama-index p50 (ms)", naive, "assistant ≤ naive", None if naive is None or p50 is None else p50 <= naive,
        "latency")
    cli = get(cold, "cli", "wall_summary_s", "p50")
    add("CLI cold start, median (s)", cli, "≤ 15", None if cli is None else cli <= 15, "coldstart")
    app = get(cold, "app", "first_answer_summary_s", "p50")
    add("app start → first answer, median (s)", app if app is not None else get(cold, "app", "skipped"), "–", None, "coldstart")
    add("peak RSS CLI / app (MB)", f"{get(cold, 'cli', 'peak_rss_max_mb')} / {get(cold, 'app', 'peak_rss_max_mb')}", "–",
        None, "coldstart")
    warm = get(ingest, "cli", "unchanged_wall_s")
    add("unchanged re-ingest, CLI (s)", warm, "≤ 3", None if warm is None else warm <= 3, "ingest")
    add("cold ingest, CLI (s)", get(ingest, "cli", "cold_wall_s"), "–", None, "ingest")
    add("e5 passages/s at batch 32", get(ingest, "embedding_throughput", "32", "best_per_s"), "–", None, "ingest")
    for name, entry in (get(backends, "backends") or {}).items():
        accuracy = get(entry, "eval", "accuracy")
        add(f"{name} backend: query embedding p50 (ms) / eval accuracy",
            f"{get(entry, 'query_ms', 'p50')} / {'–' if accuracy is None else f'{accuracy * 100:.1f}%'}", "–", None, "backends")
    if scale:
        largest = max(scale["sizes"], key=int)
        hybrid = scale["sizes"][largest]["latency_ms"]["hybrid"]["p50"]
        add(f"hybrid retrieval p50 at {int(largest):,} chunks (ms)", hybrid, "≤ 100", hybrid <= 100, "scale")
        filtered = get(scale["sizes"][largest], "latency_ms", "hybrid_council_filter", "p50")
        add(f"hybrid + council filter p50 at {int(largest):,} chunks (ms)", filtered, "≤ 100",
            None if filtered is None else filtered <= 100, "scale")
        add(f"Chroma build at {int(largest):,} chunks (s)", scale["sizes"][largest]["timings_s"]["chroma_add_s"], "–", None,
            "scale")
    noisy = [name for name, data in (("latency", latency), ("coldstart", cold), ("ingest", ingest), ("scale", scale),
                                     ("backends", backends))
             if data and str(data.get("noise", "")).startswith("NOISY")]
    text = common.table(["metric", "value", "target", "met", "from"], rows, "Benchmark summary")
    if noisy:
        text += f"\n\nMeasured on a busy machine (noisy): {', '.join(noisy)}."
    print(text)
    (common.RESULTS_DIR / "summary.md").write_text(text.strip() + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
