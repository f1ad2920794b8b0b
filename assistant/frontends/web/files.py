"""Files the web app writes: a follow-up draft's downloads (DOCX, CSV, Markdown) in temporary folders."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
import unicodedata
from collections import deque
from pathlib import Path

from assistant.followup import render_csv, render_markdown, write_docx

log = logging.getLogger(__name__)

SUMMARY_DIRS_KEPT = 12    # download folders of earlier drafts kept before the oldest is removed


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:40]


def summary_file_stem(summary) -> str:
    """A file name for the draft from its selection: uppfoljning-RVKR-Sodra-Q1-2027."""
    parts = ["uppfoljning"]
    if summary.councils and len(summary.councils) <= 2:
        parts += [_slug(c) for c in summary.councils]
    for value in (summary.period, summary.theme, summary.focus_area):
        if value:
            parts.append(_slug(value))
    return "-".join(p for p in parts if p)[:100] or "uppfoljning"


#: The CSV download opens in Swedish Excel as columns: semicolons, UTF-8 with BOM.
CSV_DELIMITER = ";"


#: The CSV separators offered in the UI: ';' for Swedish Excel (the default), ',' for other programs.
CSV_DELIMITERS = (";", ",")


def write_summary_files(summary, folder: Path, overview: bool = False,
                        author: str = "Vårdkompetens-assistenten", delimiter: str = CSV_DELIMITER) -> dict[str, Path]:
    """The draft as DOCX (A4 landscape), CSV (``delimiter``, ';' by default, UTF-8 with BOM, so Swedish Excel
    reads columns and å, ä, ö) and Markdown in ``folder``."""
    delimiter = delimiter if delimiter in CSV_DELIMITERS else CSV_DELIMITER
    folder.mkdir(parents=True, exist_ok=True)
    stem = summary_file_stem(summary)
    docx = write_docx(summary, folder / f"{stem}.docx", overview=bool(overview), author=author)
    csv_path = folder / f"{stem}.csv"
    csv_path.write_text(render_csv(summary, delimiter), encoding="utf-8-sig", newline="")
    md_path = folder / f"{stem}.md"
    md_path.write_text(render_markdown(summary, overview=bool(overview)), encoding="utf-8")
    return {"docx": docx, "csv": csv_path, "md": md_path}


class SummaryFolders:
    """Fresh folders for drafts' files; only the newest ``kept`` are kept (the oldest are removed)."""

    def __init__(self, kept: int = SUMMARY_DIRS_KEPT):
        self.kept = kept
        self._dirs: deque[Path] = deque()
        self._lock = threading.Lock()

    def new(self) -> Path:
        """A fresh folder for one draft's files; the oldest folders are removed."""
        folder = Path(tempfile.mkdtemp(prefix="va-uppfoljning-"))
        with self._lock:
            self._dirs.append(folder)
            while len(self._dirs) > self.kept:
                shutil.rmtree(self._dirs.popleft(), ignore_errors=True)
        return folder


def remove_quietly(path: Path) -> None:
    """Remove a file; a failure is logged, not raised."""
    try:
        path.unlink()
    except OSError:
        log.warning("could not remove %s", path)
