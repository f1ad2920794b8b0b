"""Vårdkompetens-assistenten web app: `python app.py` (or `assistant serve`).

Builds the index if it is missing, then serves the Gradio app on settings.host:settings.port
(127.0.0.1:7860 by default). The app lives in assistant/frontends/web/; importing the package sets
the offline environment first (assistant/offline.py).
"""

from assistant.frontends.web import build_app, main

__all__ = ["build_app", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
