"""Vårdkompetens-assistenten: grounded answers about Swedish healthcare competence-supply plans."""

import os

__version__ = "0.1.0"

# Offline by design: nothing may reach the Hugging Face hub or gradio telemetry at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
