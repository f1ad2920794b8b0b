"""Optional LLM backend: a fluent answer written from the composer's verified evidence.

Off by default. When ``ASSISTANT_LLM_BASE_URL`` points at an OpenAI-compatible server (Ollama,
vLLM, llama.cpp server, LM Studio …), :func:`rewrite_with_llm` sends the question, the composer's
verified citations (each inside ``<evidence id="n"> … </evidence>``) and the composer's own draft
to ``POST {base_url}/chat/completions`` and asks for an answer that cites with the same markers.

The model is never trusted:

* every sentence of the reply must carry at least one marker ``[n]``, and every marker must name
  an evidence item that was sent; sentences with an unknown (fabricated) marker or none are dropped;
* a kept sentence must also be backed by what it cites: its numbers must occur in the cited
  evidence and, for Swedish answers, at least half of its content words as well;
* the returned citations are the evidence items actually referenced, renumbered in order of first
  use, with their quotes unchanged (they were verified against the source lines by the composer);
* if nothing survives, or the server fails or times out, the composer's answer is returned as it
  was, with a note; if the model answers with the refusal phrase, the answer becomes an abstention.

Only the standard library is used for HTTP (no ``openai`` package).
"""

from __future__ import annotations

import dataclasses
import html
import http.client
import ipaddress
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Protocol, runtime_checkable

from assistant.answer.question import GENERIC_WORDS, QUESTION_WORDS
from assistant.lang.tokens import tokenize
from assistant.messages import LLM_NOTES as NOTES
from assistant.messages import REFUSAL, REFUSAL_PHRASE

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 2 * 1024 * 1024
MIN_SUPPORT = 0.5  # share of a Swedish sentence's content words that must occur in what it cites

LANGUAGE_NAMES = {"sv": "svenska", "en": "engelska (English)"}


# ------------------------------------------------------------ backend
class LLMError(RuntimeError):
    """The backend could not produce a reply (connection, HTTP status, timeout, malformed JSON)."""


@runtime_checkable
class ChatBackend(Protocol):
    """Anything that turns chat messages into the assistant's reply text."""

    model: str

    def chat(self, messages: list[dict[str, str]]) -> str:
        """The reply to ``messages`` (``[{"role": "system", ...}, {"role": "user", ...}]``); raises on failure."""
        ...


def chat_completions_url(base_url: str) -> str:
    """``{base_url}/chat/completions``; a URL without scheme gets ``http://``, a full endpoint URL is kept."""
    url = base_url.strip()
    if "://" not in url:
        url = f"http://{url}"
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def _is_loopback_host(host: str | None) -> bool:
    if not host or host.lower() in {"localhost", "localhost.localdomain", "ip6-localhost"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class OpenAICompatibleBackend:
    """``POST {base_url}/chat/completions`` with ``temperature`` 0, non-streaming, via ``urllib``."""

    def __init__(self, base_url: str, model: str, api_key: str | None = "not-needed", timeout: float = 60.0,
                 temperature: float = 0.0, max_tokens: int | None = 1024):
        self.url = chat_completions_url(base_url)
        self.model, self.api_key, self.timeout = model, api_key, timeout
        self.temperature, self.max_tokens = temperature, max_tokens
        host = urllib.parse.urlsplit(self.url).hostname
        # A local server is reached directly even when HTTP(S)_PROXY is set; remote ones honour the proxy settings.
        handlers = [urllib.request.ProxyHandler({})] if _is_loopback_host(host) else []
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:  # no API key in logs
        return f"OpenAICompatibleBackend(url={self.url!r}, model={self.model!r})"

    def payload(self, messages: list[dict[str, str]]) -> dict:
        body = {"model": self.model, "messages": messages, "temperature": self.temperature, "stream": False}
        if self.max_tokens:
            body["max_tokens"] = self.max_tokens
        return body

    def chat(self, messages: list[dict[str, str]]) -> str:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(self.payload(messages), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            detail = ""
            try:
                detail = exc.read(300).decode("utf-8", "replace").strip()
            except Exception:  # the error body is only for the log
                pass
            raise LLMError(f"HTTP {exc.code} från {self.url}: {detail}") from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            raise LLMError(f"{type(exc).__name__} mot {self.url}: {exc}") from exc
        if len(raw) > MAX_RESPONSE_BYTES:
            raise LLMError(f"svaret från {self.url} är större än {MAX_RESPONSE_BYTES} byte")
        try:
            content = json.loads(raw.decode("utf-8"))["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"oväntat svarsformat från {self.url}") from exc
        if isinstance(content, list):  # content parts
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        if not isinstance(content, str) or not content.strip():
            raise LLMError(f"tomt svar från {self.url}")
        return content


def get_backend(settings) -> ChatBackend | None:
    """The configured backend, or ``None`` when no ``llm_base_url`` is set (the default)."""
    base_url = (getattr(settings, "llm_base_url", None) or "").strip()
    if not base_url:
        return None
    return OpenAICompatibleBackend(base_url, settings.llm_model or "default", api_key=settings.llm_api_key,
                                   timeout=settings.llm_timeout_s)


# ------------------------------------------------------------ prompts
@lru_cache(maxsize=None)
def load_prompt(name: str) -> str:
    """A prompt template from ``assistant/answer/prompts/``."""
    return resources.files("assistant.answer").joinpath(f"prompts/{name}").read_text(encoding="utf-8")


def _fill(template: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` placeholders in one pass (inserted text is never re-scanned)."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def _escape(text: str) -> str:
    """Evidence, question and draft cannot close or open a delimiter tag."""
    return html.escape(text, quote=False)


def evidence_blocks(evidence: list) -> str:
    """The numbered evidence, one ``<evidence id="n" …>quote</evidence>`` block per item (ids 1..k)."""
    blocks = []
    for i, citation in enumerate(evidence, start=1):
        attrs = {"source": citation.source, "title": citation.title, "council": citation.council,
                 "section": citation.section, "lines": f"{citation.lines[0]}-{citation.lines[1]}"}
        attr_text = " ".join(f'{key}="{html.escape(str(value), quote=True)}"' for key, value in attrs.items() if value)
        blocks.append(f'<evidence id="{i}" {attr_text}>\n{_escape(citation.quote)}\n</evidence>')
    return "\n".join(blocks)


def _draft_for(answer, evidence: list) -> str:
    """The composer's text with its markers renumbered to the evidence ids (unknown markers removed)."""
    ids = {citation.n: i for i, citation in enumerate(evidence, start=1)}
    return _MARKER.sub(lambda m: f"[{ids[int(m.group(1))]}]" if int(m.group(1)) in ids else "", answer.answer).strip()


def build_messages(answer, evidence: list, language: str | None = None) -> list[dict[str, str]]:
    """The system and user messages for one question."""
    language = language or answer.language or "sv"
    refusal = REFUSAL.get(language, REFUSAL["sv"])
    values = {
        "language_name": LANGUAGE_NAMES.get(language, language), "refusal": refusal,
        "question": _escape(answer.question), "evidence": evidence_blocks(evidence),
        "draft": _escape(_draft_for(answer, evidence)),
        "valid_ids": ", ".join(f"[{i}]" for i in range(1, len(evidence) + 1)),
    }
    return [{"role": "system", "content": _fill(load_prompt("answer_system.md"), values).strip()},
            {"role": "user", "content": _fill(load_prompt("answer_user.md"), values).strip()}]


# ------------------------------------------------------------ checking the reply
_MARKER = re.compile(r"\[(\d{1,3})\]")
_MARKER_GROUP = re.compile(r"\[\s*(\d{1,3}(?:\s*(?:,|;|-|–|och|and)\s*\d{1,3})*)\s*\]")
_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_BOUNDARY = re.compile(r"[.!?…]+((?:\s*\[\d{1,3}\])*)\s+(?=[^\s\[a-zåäöéü])")
_LIST_PREFIX = re.compile(r"^\s*(?:[-*•●▪–]|\d{1,2}[.)])\s+")
_ABBREVIATIONS = {"t.ex", "bl.a", "m.m", "s.k", "ca", "dvs", "d.v.s", "osv", "t.o.m", "fr.o.m", "inkl", "resp", "nr",
                  "jfr", "e.g", "i.e", "etc", "kap", "p.g.a", "pga", "enl", "ev", "st", "vs", "mr", "dr", "prof"}


def _expand_group(match: re.Match) -> str:
    numbers: list[int] = []
    for part in re.split(r"\s*(?:,|;|och|and)\s*", match.group(1)):
        bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x]
        if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] <= 20:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return "".join(f"[{n}]" for n in numbers)


def clean_reply(reply: str) -> str:
    """Reasoning blocks removed and marker groups (``[1, 2]``, ``[1-3]``) written as ``[1][2]``."""
    reply = _THINK.sub("", reply)
    return _MARKER_GROUP.sub(_expand_group, reply).strip()


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(line number, sentence) for every sentence; markers after a full stop stay with their sentence."""
    out = []
    for line_no, line in enumerate(text.split("\n")):
        line = line.strip()
        start = 0
        for match in _BOUNDARY.finditer(line):
            before = line[start:match.start()].split()
            last = before[-1].lower().rstrip(".") if before else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue
            piece = line[start:match.end()].strip()
            if piece:
                out.append((line_no, piece))
            start = match.end()
        if line[start:].strip():
            out.append((line_no, line[start:].strip()))
    return out


def _plain(text: str) -> str:
    return re.sub(r"[\s\"'”“’.!?:()*_]+", " ", _MARKER.sub(" ", text)).strip().lower()


def is_refusal(text: str) -> bool:
    """True when ``text`` says the documents do not cover something (the refusal phrase)."""
    plain = _plain(text)
    return REFUSAL_PHRASE.lower() in plain or "the documents do not say" in plain


@dataclass
class Checked:
    """The verdict on one reply: kept sentences (with original markers), what was dropped and why."""

    kept: list[tuple[int, str]] = field(default_factory=list)
    cited: int = 0  # kept sentences that carry markers
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (reason, sentence)
    refusal_only: bool = False


def _support_text(ids: list[int], evidence: list, draft_units: list[tuple[int, str]]) -> str:
    parts = []
    for i in ids:
        c = evidence[i - 1]
        parts += [c.quote, c.title, c.council, c.section]
    parts += [s for _, s in draft_units if set(int(x) for x in _MARKER.findall(s)) & set(ids)]
    return " ".join(parts)


def is_supported(sentence: str, ids: list[int], evidence: list, language: str, draft: str = "",
                 min_support: float = MIN_SUPPORT) -> bool:
    """Numbers must occur in what the sentence cites; for Swedish, most content words too."""
    body = _LIST_PREFIX.sub("", _MARKER.sub(" ", sentence))
    support = _support_text(ids, evidence, split_sentences(draft) if draft else [])
    if not set(re.findall(r"\d+", body)) <= set(re.findall(r"\d+", support)):
        return False
    if language != "sv":
        return True
    skip = QUESTION_WORDS | GENERIC_WORDS
    tokens = {t for t in tokenize(body) if t not in skip}
    if not tokens:
        return True
    return len(tokens & set(tokenize(support))) / len(tokens) >= min_support


def check_reply(reply: str, evidence: list, language: str = "sv", draft: str = "",
                min_support: float = MIN_SUPPORT) -> Checked:
    """Keep sentences whose markers all name sent evidence, with at least one marker and source support."""
    checked = Checked()
    valid = set(range(1, len(evidence) + 1))
    units = split_sentences(clean_reply(reply))
    refusals = 0
    for line_no, sentence in units:
        ids = [int(x) for x in _MARKER.findall(sentence)]
        if not re.search(r"\w", _LIST_PREFIX.sub("", _MARKER.sub("", sentence))):
            continue  # a stray marker or bullet on its own
        if not ids:
            if is_refusal(sentence):
                refusals += 1
                checked.kept.append((line_no, sentence))
            else:
                checked.dropped.append(("no marker", sentence))
        elif not set(ids) <= valid:
            checked.dropped.append(("unknown marker", sentence))
        elif not is_supported(sentence, ids, evidence, language, draft, min_support):
            checked.dropped.append(("unsupported", sentence))
        else:
            checked.kept.append((line_no, sentence))
            checked.cited += 1
    checked.refusal_only = refusals > 0 and not checked.dropped and checked.cited == 0
    return checked


# ------------------------------------------------------------ the rewrite
def _with_notes(answer, *notes: str):
    """A copy of ``answer`` with ``notes`` appended (``Answer.notes`` if the field exists, else an attribute)."""
    existing = list(getattr(answer, "notes", []) or [])
    if any(f.name == "notes" for f in dataclasses.fields(answer)):
        return dataclasses.replace(answer, notes=existing + list(notes))
    copy = dataclasses.replace(answer)
    copy.notes = existing + list(notes)
    return copy


def _finish(answer, started: float, *notes: str):
    """``answer`` with the LLM time added to its timings and ``notes`` attached."""
    ms = round((time.perf_counter() - started) * 1000, 1)
    timings = dict(answer.timings_ms)
    timings["llm"] = ms
    if "total" in timings:
        timings["total"] = round(timings["total"] + ms, 1)
    return _with_notes(dataclasses.replace(answer, timings_ms=timings), *notes)


def _note(key: str, language: str, **values) -> str:
    return NOTES[key].get(language, NOTES[key]["sv"]).format(**values)


def rewrite_with_llm(answer, evidence: list, backend: ChatBackend | None, language: str | None = None,
                     min_support: float = MIN_SUPPORT, answer_abstentions: bool = False):
    """A fluent, verified answer from ``backend``, or ``answer`` itself (with a note) when that fails.

    ``evidence``: verified citations — the composer's, plus the best retrieved passages when the engine
    passes them. Invalid questions and calls without evidence are returned untouched, without a call;
    so are abstentions unless ``answer_abstentions`` (the LLM may find an answer in the retrieved
    evidence where the composer abstained — the same citation checks apply to it).
    """
    if backend is None or answer.invalid or not evidence or (answer.abstained and not answer_abstentions):
        return answer
    language = language or answer.language or "sv"
    started = time.perf_counter()
    try:
        reply = backend.chat(build_messages(answer, evidence, language))
    except Exception as exc:  # any backend failure: the composer's answer stands
        log.warning("LLM backend %r failed: %s", backend, exc)
        return _finish(answer, started, _note("unavailable", language))

    try:
        draft = _draft_for(answer, evidence)
        checked = check_reply(reply, evidence, language, draft, min_support)
    except Exception:  # a checker bug must not lose the verified answer
        log.exception("could not check the LLM reply")
        return _finish(answer, started, _note("unsupported", language))
    for reason, sentence in checked.dropped:
        log.info("LLM sentence dropped (%s): %s", reason, sentence)

    if checked.refusal_only:
        closest = [dataclasses.replace(c, n=i) for i, c in enumerate(evidence, start=1)]
        abstained = dataclasses.replace(answer, answer=REFUSAL.get(language, REFUSAL["sv"]),
                                        abstained=True, citations=[], closest=closest)
        return _finish(abstained, started, _note("refused", language))
    if checked.cited == 0:
        return _finish(answer, started, _note("unsupported", language))

    order: dict[int, int] = {}
    for _, sentence in checked.kept:
        for x in _MARKER.findall(sentence):
            order.setdefault(int(x), len(order) + 1)
    lines: dict[int, list[str]] = {}
    for line_no, sentence in checked.kept:
        renumbered = _MARKER.sub(lambda m: f"[{order[int(m.group(1))]}]", sentence)
        renumbered = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", renumbered)  # "[1][1]" → "[1]"
        lines.setdefault(line_no, []).append(renumbered)
    text = "\n".join(" ".join(parts) for _, parts in sorted(lines.items()))
    citations = [dataclasses.replace(evidence[old - 1], n=new) for old, new in order.items()]
    rewritten = dataclasses.replace(answer, answer=text, citations=citations, abstained=False)
    notes = [_note("used", language, model=getattr(backend, "model", "?"))]
    if checked.dropped:
        notes.append(_note("dropped", language, n=len(checked.dropped)))
    return _finish(rewritten, started, *notes)


def maybe_rewrite(answer, settings, backend: ChatBackend | None = None):
    """``rewrite_with_llm`` with the backend from ``settings``; the answer unchanged when none is configured."""
    backend = backend if backend is not None else get_backend(settings)
    if backend is None:
        return answer
    return rewrite_with_llm(answer, answer.citations, backend, answer.language)
