"""Vårdkompetens-assistenten: grounded answers about Swedish healthcare competence-supply plans."""

import os

__version__ = "0.1.0"

# Offline by design: nothing may reach the Hugging Face hub or gradio telemetry at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Idle OpenMP threads must not spin: with 2 cores and several requests at once, busy-waiting workers
# made a 50 ms query embedding take up to 2 s (bench/README.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# One BLAS thread: the dense scoring is one small matrix-vector product per question, and concurrent
# requests on 2 cores gain nothing from a threaded gemv whose workers spin (8 ms instead of 0.4 ms).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
