"""Profile the warm query path with pyinstrument: where does the time of ``Assistant.ask`` go?

    .venv/bin/python bench/profile_query.py [--repeats 2]

Builds/opens the bench index, warms up with one pass over the eval questions, then profiles
``--repeats`` passes (question text only). Writes bench/results/profile_query.txt with the functions
ranked by their own time (flat) followed by the call tree, and bench/results/profile_query.json with
the top entries. pyinstrument samples the main thread; torch and Chroma run native code called from
it, so their time shows under the Python frame that called them.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    info = common.machine_info()

    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    from assistant.service import Assistant

    settings = common.bench_settings(common.work_dir("index"))
    common.ensure_index(settings)
    assistant = Assistant(settings)
    questions = common.load_questions(args.limit)
    for question in questions:
        assistant.ask(question)

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.repeats):
        for question in questions:
            assistant.ask(question)
    profiler.stop()

    flat = profiler.output(ConsoleRenderer(flat=True, unicode=True, color=False, show_all=False,
                                           time="percent_of_total"))
    tree = profiler.output(ConsoleRenderer(unicode=True, color=False, show_all=False, short_mode=False))
    out = common.RESULTS_DIR / "profile_query.txt"
    common.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out.write_text(f"{len(questions)} questions x {args.repeats} passes, warm\n\n== own time per function ==\n{flat}\n"
                   f"== call tree ==\n{tree}", encoding="utf-8")

    top = []
    for line in flat.splitlines():
        match = re.match(r"\s*([\d.]+)%?\s+(.+?)\s{2,}(\S.*)$", line) or re.match(r"\s*([\d.]+)%?\s+(\S.*)$", line)
        if match and len(top) < args.top:
            top.append(line.strip())
    print("\n".join(flat.splitlines()[: args.top + 8]))
    common.write_result("profile_query", {"questions": len(questions), "repeats": args.repeats,
                                          "profile_text": common._shown(out),
                                          "top_own_time": top}, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
