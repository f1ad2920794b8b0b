"""HTTP hardening for the web app: a Host allow-list and security headers, as one plain ASGI middleware.

* **Host allow-list.** A request whose ``Host`` header is not 127.0.0.1, localhost, [::1], the
  configured ``host`` or one of ``allowed_hosts`` gets 400 with a short Swedish text. A web page on
  another site cannot then reach the app through DNS rebinding (a name of the attacker's that
  resolves to 127.0.0.1 still sends the attacker's name as Host).
* **Headers on every response** that passes through it: :data:`SECURITY_HEADERS` (a
  Content-Security-Policy that allows what Gradio's own front end needs and nothing from other
  sites, no framing, no MIME sniffing, no Referer).

:func:`client_address` is the address of the client whose request is being handled (set by the
middleware; the login throttling counts failures per client with it).
:func:`redact_paths` shortens absolute server paths in texts shown to users (error messages).
No framework imports here: the middleware speaks raw ASGI, so :mod:`views` can use the helpers too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from contextvars import ContextVar

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_CLIENT: ContextVar[str | None] = ContextVar("va_client_address", default=None)


def client_address() -> str | None:
    """The client address of the request being handled (the proxy's when behind a reverse proxy)."""
    return _CLIENT.get()

#: What Gradio 6's front end needs: its own scripts and styles (it inlines its config and theme, so
#: 'unsafe-inline'; gr.HTML compiles its template and js_on_load with Handlebars / new Function, so
#: 'unsafe-eval': without it every gr.HTML stays empty), data:/blob: images, fonts and media,
#: fetch/EventSource to the app itself. Nothing may be loaded from, sent to or framed by another origin.
#: Against injected markup the app relies on escaping every document text (views.py), not on this policy.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
REJECTED_HOST_TEXT = ("Ogiltig värdadress (Host). Öppna assistenten via den adress den körs på, "
                      "t.ex. http://127.0.0.1:7860/, eller lägg till namnet i inställningen allowed_hosts.\n")


def host_name(value: str | None) -> str | None:
    """The host part of a Host header, lower case, without port or brackets; None when it is not one.

    ``"LocalHost:7860"`` → ``"localhost"``, ``"[::1]:7860"`` → ``"::1"``, ``"example.se."`` → ``"example.se"``.
    """
    value = (value or "").strip().lower()
    if value.startswith("["):  # an IPv6 literal, maybe with a port
        end = value.find("]")
        rest = value[end + 1:]
        if end < 0 or (rest and not re.fullmatch(r":\d{1,5}", rest)):
            return None
        try:
            return str(ipaddress.IPv6Address(value[1:end]))
        except ValueError:
            return None
    name, _, port = value.partition(":")
    if port and not port.isdigit():
        return None
    name = name.rstrip(".")
    if not name or not re.fullmatch(r"[a-z0-9_.-]+", name):
        return None
    return name


def allowed_host_names(host: str | None = None, extra: Iterable[str] = ()) -> frozenset[str]:
    """The loopback names, the configured ``host`` and ``extra`` (settings.allowed_hosts), normalised."""
    names = set(LOOPBACK_HOSTS)
    for entry in (host, *extra):
        entry = (entry or "").strip()
        if ":" in entry and not entry.startswith("["):  # a bare IPv6 address such as "::1" or "fd00::5"
            entry = f"[{entry}]"
        name = host_name(entry)
        if name:
            names.add(name)
    return frozenset(names)


class SecurityMiddleware:
    """Rejects requests for other hosts (400) and adds :data:`SECURITY_HEADERS` to every response."""

    def __init__(self, app, allowed_hosts: Iterable[str] = LOOPBACK_HOSTS,
                 headers: dict[str, str] | None = None):
        self.app = app
        self.allowed = frozenset(allowed_hosts)
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                        for k, v in (SECURITY_HEADERS if headers is None else headers).items()]
        self._names = {name for name, _ in self.headers}

    def host_allowed(self, scope) -> bool:
        hosts = [v.decode("latin-1") for k, v in scope.get("headers") or () if k.lower() == b"host"]
        return len(hosts) == 1 and host_name(hosts[0]) in self.allowed

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind not in ("http", "websocket"):  # lifespan
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        _CLIENT.set(str(client[0]) if client else None)
        if not self.host_allowed(scope):
            if kind == "websocket":  # closing before accept makes the server answer 403
                await send({"type": "websocket.close", "code": 1008})
                return
            body = REJECTED_HOST_TEXT.encode("utf-8")
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode()), *self.headers]})
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers") or ()
                        if k.lower() not in self._names or k.lower() == b"content-security-policy"]
                # A policy the route sets itself stays too: browsers enforce every policy they get.
                message = {**message, "headers": [*kept, *self.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~\\-])/(?:[^\s/'\"()<>\[\]{},;]+/)+[^\s/'\"()<>\[\]{},;]*")


def redact_paths(text: str) -> str:
    """``text`` with every absolute POSIX path shortened to its last part: ``/srv/app/index`` → ``…/index``.

    Messages shown in the web app must not tell a visitor how the server's disk is laid out.
    URLs (``http://host/path``) are left alone.
    """
    def shorten(match: re.Match) -> str:
        path = match.group(0)
        tail = re.search(r"[.:!?]+$", path)
        end = tail.group(0) if tail else ""
        path = path[:len(path) - len(end)].rstrip("/")
        return f"…/{path.rsplit('/', 1)[-1]}{end}"

    return _ABSOLUTE_PATH.sub(shorten, text or "")
