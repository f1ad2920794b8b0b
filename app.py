"""Vårdkompetens-assistenten web app: `python app.py` (or `assistant serve`).

Builds the index if it is missing, then serves the Gradio app on settings.host:settings.port
(127.0.0.1:7860 by default). The app itself lives in assistant/ui.py.
"""

import os

# Offline by design: no telemetry and no Hugging Face hub lookups; set before gradio is imported.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"

from assistant.ui import build_app, main  # noqa: E402

__all__ = ["build_app", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
