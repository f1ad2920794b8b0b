"""The one home of the process environment that keeps the assistant offline and calm on 2 cores.

Imported first by ``assistant/__init__.py``, so it runs before any heavy library (gradio, chromadb,
onnxruntime, transformers) is imported by any entry point: the CLI, the web app, the tests and the
benchmarks. The offline variables always win; thread settings already in the environment are kept.
"""

from __future__ import annotations

import os

#: Nothing may reach the Hugging Face hub, gradio/Chroma/onnxruntime telemetry at run time.
OFFLINE_ENVIRONMENT: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "CHROMA_ANONYMIZED_TELEMETRY": "False",
    # onnxruntime's own telemetry looks up a Microsoft host a few seconds after the model loads.
    "ORT_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}
#: Thread behaviour measured in bench/: idle OpenMP threads must not spin (with 2 cores and several
#: requests at once, busy-waiting workers made a 50 ms query embedding take up to 2 s), and one BLAS
#: thread (dense scoring is one small matrix-vector product; a threaded gemv whose workers spin took
#: 8 ms instead of 0.4 ms under concurrency).
THREAD_ENVIRONMENT: dict[str, str] = {
    "TOKENIZERS_PARALLELISM": "false",
    "OMP_WAIT_POLICY": "PASSIVE",
    "OPENBLAS_NUM_THREADS": "1",
}


def apply() -> None:
    """Set the offline environment (always) and the thread defaults (unless already set); idempotent."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    for key, value in THREAD_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def environment() -> dict[str, str]:
    """The variables a child process (a server, a benchmark subprocess) should start with."""
    return {**THREAD_ENVIRONMENT, **os.environ, **OFFLINE_ENVIRONMENT}


apply()
