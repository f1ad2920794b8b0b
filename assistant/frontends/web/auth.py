"""Who may do what in the web app: the login, login throttling and the editor check of the handlers.

**Login** (decided when the app starts, see :meth:`Access.from_assistant`):

* ``users``: the application database has users (``assistant users add``) → every visitor logs in
  with a user name and password; the password is checked against the stored Argon2 hash
  (:meth:`assistant.db.Repository.authenticate`).
* ``shared``: no users, but the settings ``auth_user`` / ``auth_password`` are set → one shared
  login (the fallback from before users existed). It may read, never change the corpus.
* ``open``: neither → no login; anyone who reaches the port may read, nobody may change the corpus
  through the web app (only from the local CLI: ``assistant documents …``).

**Roles.** Reading (chat, documents, drafts, status) needs no role. Changing the corpus (upload,
delete, replace, metadata, review) needs the role ``editor`` or ``admin``; :meth:`Access.editor` is
called by every such handler (server-side: the handlers are reachable through Gradio's API too,
hiding a button is not enough). The role is read from the database on every change, so removing a
user or lowering the role takes effect at once.

**Throttling** (:class:`LoginThrottle`): after ``login_max_failures`` wrong logins within
``login_failure_window_s`` for one user name, or from one client address, further attempts are
refused without checking the password for ``login_lockout_s`` seconds, doubling with every further
failure up to ``login_max_lockout_s`` (HTTP 429 with a Swedish text and Retry-After).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable, Literal

from fastapi import HTTPException

from assistant.db import Repository
from assistant.db.repository import username_key
from assistant.frontends.web.security import client_address
from assistant.settings import Settings

log = logging.getLogger(__name__)

Mode = Literal["open", "shared", "users"]
EDIT_ROLES = ("editor", "admin")

#: What a visitor reads when a change is refused, per reason.
REFUSALS = {
    "open": ("Ändringar av dokumenten kan inte göras i webbappen när inga användare är upplagda. De görs från "
             "kommandoraden på servern (assistant documents …), eller lägg upp en redaktör med "
             "”assistant users add NAMN --role editor” och starta om webbappen."),
    "shared": ("Den gemensamma inloggningen kan bara läsa. Ändringar av dokumenten kräver en egen användare med "
               "rollen redaktör (assistant users add NAMN --role editor) och en omstart av webbappen."),
    "login": "Logga in som redaktör för att ändra dokumenten.",
    "unknown": "Användaren finns inte längre eller är avstängd. Logga in igen.",
    "reader": "Du har läsbehörighet. Att lägga till, ersätta, ta bort eller granska dokument kräver rollen redaktör.",
    "database": "Behörigheten kunde inte kontrolleras eftersom databasen inte gick att nå. Försök igen senare.",
}


class EditRefused(PermissionError):
    """A change of the corpus by someone without the editor role; the message is meant for the user."""


class LoginThrottle:
    """Back-off after repeated wrong logins, per key (a user name, a client address).

    ``clock`` (seconds, monotonic) is injectable for tests. At most ``max_keys`` keys are remembered
    (the least recently failed are forgotten first), so a flood of names cannot fill the memory.
    """

    def __init__(self, max_failures: int = 5, window_s: float = 900.0, lockout_s: float = 30.0,
                 max_lockout_s: float = 900.0, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000):
        self.max_failures = max(1, int(max_failures))
        self.window_s, self.lockout_s, self.max_lockout_s = float(window_s), float(lockout_s), float(max_lockout_s)
        self.clock, self.max_keys = clock, max_keys
        self._failures: OrderedDict[tuple, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, clock: Callable[[], float] = time.monotonic) -> LoginThrottle:
        return cls(settings.login_max_failures, settings.login_failure_window_s, settings.login_lockout_s,
                   settings.login_max_lockout_s, clock=clock)

    def _recent(self, key: tuple, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and now - times[0] > self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, *keys: tuple) -> float:
        """Seconds until a login for ``keys`` may be tried again (0: now)."""
        with self._lock:
            now = self.clock()
            wait = 0.0
            for key in keys:
                times = self._recent(key, now)
                extra = len(times) - self.max_failures
                if extra >= 0:
                    lock = min(self.lockout_s * 2 ** min(extra, 30), self.max_lockout_s)
                    wait = max(wait, times[-1] + lock - now)
            return max(wait, 0.0)

    def failed(self, *keys: tuple) -> None:
        with self._lock:
            now = self.clock()
            for key in keys:
                times = self._failures.setdefault(key, deque())
                times.append(now)
                while len(times) > self.max_failures + 32:  # enough to reach the longest lockout
                    times.popleft()
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, *keys: tuple) -> None:
        """A right password clears its keys' failures (call it with the user-name key only: a client that
        knows one password must not clear the count of guesses at other names)."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


@dataclass
class Access:
    """The app's login mode and the editor check (see the module docstring)."""

    mode: Mode = "open"
    repository: Repository | None = None
    shared_user: str | None = None
    shared_password: str | None = None
    error: str | None = None  # the database could not be read at start: logins are refused (fail closed)

    @classmethod
    def from_assistant(cls, assistant) -> Access:
        """``users`` when the database has a user who may log in, else ``shared`` when the shared
        login is set, else ``open``. A database that is in use but cannot be read keeps the app
        closed (mode ``users``, every login refused) instead of opening it without a login."""
        settings: Settings = assistant.settings
        shared = (settings.auth_user, settings.auth_password) if settings.auth_user and settings.auth_password else None
        try:
            in_use = assistant.database_in_use()
            repository = assistant.repository if in_use else None
            has_users = repository is not None and any(not user.disabled for user in repository.list_users())
        except Exception as exc:  # DatabaseError, a broken URL …
            log.error("the users could not be read from the database: %s", exc)
            return cls("users", error=f"Databasen med användarna kunde inte läsas: {exc}")
        if has_users:
            return cls("users", repository)
        if shared:
            return cls("shared", repository, shared_user=shared[0], shared_password=shared[1])
        return cls("open", repository)

    @property
    def login_required(self) -> bool:
        return self.mode != "open"

    def verify(self, username: str, password: str) -> bool:
        """Whether the name and password may log in (blocking: Argon2 takes a few tens of milliseconds)."""
        if not isinstance(username, str) or not isinstance(password, str):
            return False
        if self.mode == "shared":
            return (hmac.compare_digest(username.encode(), (self.shared_user or "").encode())
                    and hmac.compare_digest(password.encode(), (self.shared_password or "").encode()))
        if self.mode != "users" or self.repository is None:
            return False
        try:
            return self.repository.authenticate(username, password) is not None
        except Exception:  # SQLAlchemy errors while the database is down, not only DatabaseError
            log.exception("login check failed")
            return False

    def editor(self, request: Any) -> str:
        """The user name of the logged-in editor behind ``request``; :class:`EditRefused` otherwise."""
        if self.mode == "open":
            raise EditRefused(REFUSALS["open"])
        if self.mode == "shared":
            raise EditRefused(REFUSALS["shared"])
        username = getattr(request, "username", None) if request is not None else None
        if not username or self.repository is None:
            raise EditRefused(REFUSALS["login"])
        try:
            user = self.repository.get_user(username)
        except Exception:
            log.exception("role check failed")
            raise EditRefused(REFUSALS["database"]) from None
        if user is None or user.disabled:
            raise EditRefused(REFUSALS["unknown"])
        if user.role not in EDIT_ROLES:
            raise EditRefused(REFUSALS["reader"])
        return user.username

    def can_edit(self, request: Any) -> bool:
        try:
            self.editor(request)
        except EditRefused:
            return False
        return True

    def refusal(self, request: Any) -> str | None:
        """Why ``request`` may not change the corpus (Swedish), or None when it may."""
        try:
            self.editor(request)
        except EditRefused as exc:
            return str(exc)
        return None


def throttled_login(access: Access, throttle: LoginThrottle):
    """The ``auth=`` function for Gradio's launch(): async, so that Gradio awaits it (a coroutine
    returned by a sync callable would count as a successful login); the password check runs in a
    thread. Locked-out attempts get HTTP 429 without the password being checked."""

    async def check(username: str, password: str) -> bool:
        name = username_key(username) if isinstance(username, str) else ""
        keys = (("user", name), ("client", client_address() or "okänd"))
        wait = throttle.retry_after(*keys)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            log.warning("login throttled for %r from %s (%d s)", username, keys[1][1], seconds)
            raise HTTPException(status_code=429, headers={"Retry-After": str(seconds)},
                                detail=f"För många misslyckade inloggningar. Försök igen om {seconds} sekunder.")
        ok = await asyncio.to_thread(access.verify, username, password)
        if ok:
            throttle.succeeded(keys[0])
        else:
            throttle.failed(*keys)
        return ok

    return check


__all__ = ["EDIT_ROLES", "REFUSALS", "Access", "EditRefused", "LoginThrottle", "throttled_login"]
