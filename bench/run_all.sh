#!/usr/bin/env bash
# Run every benchmark in sequence and write bench/results/ (JSON, PNG, summary.md).
# Run it on a quiet machine: nothing else using the CPUs (the script waits for the load to drop).
#
#   bash bench/run_all.sh                 # full run (about 15–25 minutes on 2 cores)
#   QUICK=1 bash bench/run_all.sh         # smoke run: few questions, 1k/10k chunks only
#   BENCH_STRICT=1 bash bench/run_all.sh  # refuse to measure on a busy machine
#   BENCH_RESULTS_DIR=/tmp/r bash bench/run_all.sh  # write the results elsewhere (trial runs)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
created_workdir=""
if [[ -z "${BENCH_WORKDIR:-}" ]]; then
    BENCH_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-XXXXXX")
    created_workdir=$BENCH_WORKDIR
fi
export BENCH_WORKDIR
trap '[[ -n "$created_workdir" ]] && rm -rf "$created_workdir"' EXIT

if ! "$PY" -c "import matplotlib, pyinstrument, psutil" 2>/dev/null; then
    echo "installing the bench tools (matplotlib, pyinstrument, psutil) into the venv"
    "$PY" -m pip install --quiet matplotlib pyinstrument psutil
fi
if [[ ! -f models/multilingual-e5-small/modules.json && ! -f models/multilingual-e5-small/config.json ]]; then
    "$PY" -m assistant.model_prep --target models/multilingual-e5-small
fi

# Wait (up to BENCH_WAIT_S, default 5 minutes) for a quiet machine: 1-minute load below a quarter of the CPUs.
cpus=$(nproc)
limit=$(awk -v c="$cpus" 'BEGIN { print c * 0.25 }')
for _ in $(seq $(( ${BENCH_WAIT_S:-300} / 5 ))); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    awk -v l="$load" -v m="$limit" 'BEGIN { exit !(l < m) }' && break
    echo "waiting for a quiet machine (load $load, want < $limit) …"
    sleep 5
done
load=$(cut -d' ' -f1 /proc/loadavg)
if ! awk -v l="$load" -v m="$limit" 'BEGIN { exit !(l < m) }'; then
    echo "WARNING: load average $load on $cpus CPUs; the figures will be noisy (see the 'noise' field of each result)."
    [[ "${BENCH_STRICT:-0}" == "1" ]] && exit 1
fi

if [[ "${QUICK:-0}" == "1" ]]; then
    "$PY" bench/ingest.py --repeats 1
    "$PY" bench/coldstart.py --runs 1
    "$PY" bench/backends.py --repeats 1
    "$PY" bench/latency.py --repeats 1 --limit 20
    "$PY" bench/profile_query.py --repeats 1 --limit 20
    "$PY" bench/scale.py --sizes 1000,10000 --limit 30
else
    "$PY" bench/ingest.py --repeats 3
    "$PY" bench/coldstart.py --runs 3
    "$PY" bench/backends.py --repeats 2
    "$PY" bench/latency.py --repeats 3
    "$PY" bench/profile_query.py --repeats 2
    "$PY" bench/scale.py --sizes 1000,10000,100000 --answer
fi
"$PY" bench/summary.py
