"""The Gradio web app, one module per concern.

* ``views``: pure rendering (HTML for answers, sources, documents, status and follow-up drafts; API payloads)
* ``files``: the follow-up draft's download files
* ``handlers``: :class:`Handlers`, the event handlers (every error becomes a Swedish message)
* ``conversations``: the Chatt tab's stored conversations, plain-text copies, exports and feedback
* ``layout``: :func:`build_app` (the Blocks layout), :func:`launch` and :func:`main` (the launcher)
* ``style.css``: the app's CSS (package data)
"""

from assistant.frontends.web.handlers import Handlers
from assistant.frontends.web.layout import build_app, launch, main

__all__ = ["Handlers", "build_app", "launch", "main"]
