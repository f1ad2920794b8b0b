"""The follow-up chart: how many activities per focus area have each status, as a PNG.

Drawn with matplotlib's Agg backend through :class:`matplotlib.figure.Figure` (no pyplot, so no
global backend state and no GUI), with the fonts matplotlib ships (DejaVu Sans): nothing is
downloaded. The same picture goes into the annual report's Word file
(:mod:`assistant.followup.report`) and the web app's Uppföljning tab.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from assistant.db import STATUSES

#: One colour per status (the web app's CSS uses the same ones for the status cells).
STATUS_COLOURS = {"Ej påbörjad": "#9ca3af", "Pågår": "#2563eb", "Klar": "#16a34a", "Försenad": "#dc2626",
                  "Struken": "#78716c"}
NO_FOCUS_AREA = "Utan fokusområde"
LABEL_WIDTH = 38  # characters per line of a focus area's label
NOT_STARTED = STATUSES[0]


def counts_by_focus_area(rows: Iterable) -> dict[str, dict[str, int]]:
    """Focus area → status → number of activities (rows without an entry count as "Ej påbörjad"),
    focus areas in the order they first appear."""
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        area = (getattr(row, "focus_area", "") or "").strip() or NO_FOCUS_AREA
        status = getattr(row, "status", "") or NOT_STARTED
        counts = found.setdefault(area, dict.fromkeys(STATUSES, 0))
        counts[status] = counts.get(status, 0) + 1
    return found


def status_chart_png(rows: Iterable, title: str = "Status per fokusområde", dpi: int = 110) -> bytes:
    """A horizontal stacked bar per focus area (the number of activities per status), as PNG bytes."""
    data = counts_by_focus_area(rows)
    areas = list(data) or [NO_FOCUS_AREA]
    labels = ["\n".join(textwrap.wrap(area, LABEL_WIDTH)[:3]) or area for area in areas]
    height = 1.2 + 0.55 * sum(label.count("\n") + 1 for label in labels)
    figure = Figure(figsize=(8.5, max(2.4, height)), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(areas)))
    left = [0] * len(areas)
    for status in STATUSES:
        values = [data.get(area, {}).get(status, 0) for area in areas]
        if not any(values):
            continue
        axes.barh(positions, values, left=left, color=STATUS_COLOURS[status], label=status, height=0.6)
        for y, (start, value) in enumerate(zip(left, values)):
            if value:
                axes.text(start + value / 2, y, str(value), ha="center", va="center", color="white", fontsize=8)
        left = [a + b for a, b in zip(left, values)]
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("Antal aktiviteter", fontsize=8)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.tick_params(axis="x", labelsize=8)
    axes.set_title(title, fontsize=10)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if any(left):
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, -0.02), bbox_transform=figure.transFigure, ncol=5,
                    fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


__all__ = ["NO_FOCUS_AREA", "STATUS_COLOURS", "counts_by_focus_area", "status_chart_png"]
