"""Stable ids for activity records across re-ingests (pure functions, no database).

A record's id is derived from its content: ``"rec-" + sha256(council, normalised activity text)[:10]``.
The position within the document is used only to break ties between identical activity texts.

On re-ingest :func:`assign_record_ids` first matches the new records against the records stored
earlier for the same source, so ids survive small changes:

1. **Unchanged text** (same council and normalised activity text): keeps the stored id, wherever it
   moved. Among identical texts the pairing prefers equal secondary fields (focus area, owner,
   timeline, follow-up), then the nearest position.
2. **Slightly edited text** (a word changed, a typo fixed: ``difflib`` ratio ≥ 0.8 on the normalised
   texts) at the same or a nearby position keeps the stored id. "Nearby" means within
   :data:`NEARBY_POSITIONS` of the old position, or in the same gap between records matched in step 1
   (so records inserted or removed elsewhere do not break the match).
3. Anything else gets a fresh content-derived id. A stored record that found no partner simply
   disappears (the caller marks it not in plan); its id is never given to an unrelated record.

The result is deterministic: the same inputs always give the same ids.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

ID_PREFIX = "rec-"
ID_HEX_LENGTH = 10
SIMILARITY_THRESHOLD = 0.8
NEARBY_POSITIONS = 3
SECONDARY_FIELDS = ("focus_area", "owner", "timeline", "follow_up")
CONTENT_FIELDS = ("council", "title", "activity", "focus_area", "owner", "timeline", "follow_up")

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(value: str | None) -> str:
    """Case-folded, NFKC-normalised text with punctuation and whitespace runs turned into one space."""
    if not value:
        return ""
    folded = unicodedata.normalize("NFKC", str(value)).casefold()
    return _NON_WORD.sub(" ", folded).strip()


def field_value(record: Any, name: str, default: Any = "") -> Any:
    """``record[name]`` for mappings, ``record.name`` otherwise; None counts as missing."""
    value = record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)
    return default if value is None else value


def base_record_id(council: str, activity: str) -> str:
    """The content-derived id of an activity (before any tie-break)."""
    return _hash_id(normalise_text(council), normalise_text(activity))


def content_hash(record: Any) -> str:
    """A hash of the record's stored fields (tells whether a kept record changed)."""
    payload = {name: str(field_value(record, name)) for name in CONTENT_FIELDS}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _hash_id(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return ID_PREFIX + digest[:ID_HEX_LENGTH]


@dataclass
class _Item:
    index: int  # place in the input list
    position: int
    council: str
    text: str
    secondary: tuple[str, ...]
    record_id: str | None = None
    in_plan: bool = True


def _items(records: Sequence[Any], with_ids: bool) -> list[_Item]:
    items = []
    for index, record in enumerate(records):
        position = field_value(record, "position", None)
        items.append(_Item(
            index=index,
            position=int(position) if position is not None else index,
            council=normalise_text(field_value(record, "council")),
            text=normalise_text(field_value(record, "activity")),
            secondary=tuple(normalise_text(field_value(record, name)) for name in SECONDARY_FIELDS),
            record_id=str(field_value(record, "record_id")) if with_ids else None,
            in_plan=bool(field_value(record, "in_plan", True)) if with_ids else True,
        ))
    return items


def assign_record_ids(
    records: Sequence[Any],
    previous: Sequence[Any] = (),
    *,
    reserved: Collection[str] = (),
) -> list[str]:
    """Ids for ``records`` (in input order), reusing the ids of matching ``previous`` records.

    ``records``: objects or dicts with council, activity, position (defaults to the index in the
    list), focus_area, owner, timeline, follow_up. ``previous``: the stored records of the same
    source, with ``record_id``, ``position`` and ``in_plan`` as well. ``reserved``: ids that belong to
    other sources; a fresh id never equals one of them (nor any id in ``previous``).
    """
    new = _items(records, with_ids=False)
    old = _items(previous, with_ids=True)
    result: dict[int, str] = {}  # new.index -> id
    matched_old: set[int] = set()  # old.index
    anchors: list[tuple[int, int]] = []  # (new position, old position) of exact matches

    # 1. Exact text matches (same council and normalised text).
    old_by_key: dict[tuple[str, str], list[_Item]] = {}
    for item in old:
        old_by_key.setdefault((item.council, item.text), []).append(item)
    new_by_key: dict[tuple[str, str], list[_Item]] = {}
    for item in new:
        new_by_key.setdefault((item.council, item.text), []).append(item)
    for key in sorted(new_by_key):
        candidates = old_by_key.get(key, [])
        pairs = sorted(
            (sum(a != b for a, b in zip(n.secondary, o.secondary, strict=True)), not o.in_plan,
             abs(n.position - o.position), n.position, n.index, o.position, o.index, n, o)
            for n in new_by_key[key] for o in candidates
        )
        _take_greedily(((pair[-2], pair[-1]) for pair in pairs), result, matched_old, anchors)

    # 2. Slightly edited texts at the same or a nearby position.
    anchors.sort()
    unmatched_new = [item for item in new if item.index not in result and item.text]
    unmatched_old = [item for item in old if item.index not in matched_old and item.text]
    fuzzy = []
    for n in unmatched_new:
        low, high = _gap(anchors, n.position)
        for o in unmatched_old:
            if o.council != n.council:
                continue
            nearby = abs(n.position - o.position) <= NEARBY_POSITIONS or low < o.position < high
            if not nearby:
                continue
            ratio = _similarity(n.text, o.text)
            if ratio >= SIMILARITY_THRESHOLD:
                fuzzy.append((-ratio, abs(n.position - o.position), n.position, n.index, o.position, o.index, n, o))
    fuzzy.sort(key=lambda pair: pair[:-2])
    _take_greedily(((pair[-2], pair[-1]) for pair in fuzzy), result, matched_old, anchors)

    # 3. Fresh ids for the rest, never reusing a stored or reserved id.
    taken = set(reserved) | {item.record_id for item in old if item.record_id} | set(result.values())
    for n in sorted((item for item in new if item.index not in result), key=lambda item: (item.position, item.index)):
        candidate = _hash_id(n.council, n.text)
        if candidate in taken:
            candidate = _hash_id(n.council, n.text, f"position={n.position}")
            counter = 1
            while candidate in taken:
                counter += 1
                candidate = _hash_id(n.council, n.text, f"position={n.position}", f"n={counter}")
        taken.add(candidate)
        result[n.index] = candidate
    return [result[item.index] for item in new]


def _take_greedily(pairs, result: dict[int, str], matched_old: set[int], anchors: list[tuple[int, int]]) -> None:
    for n, o in pairs:
        if n.index in result or o.index in matched_old:
            continue
        result[n.index] = o.record_id
        matched_old.add(o.index)
        anchors.append((n.position, o.position))


def _gap(anchors: list[tuple[int, int]], position: int) -> tuple[float, float]:
    """Old positions strictly between which a new record at ``position`` must have stood.

    Only anchors whose old positions keep the document order count, so one moved record cannot
    widen or close the gap."""
    low, high = float("-inf"), float("inf")
    for new_pos, old_pos in anchors:
        if new_pos < position:
            low = max(low, old_pos)
        elif new_pos > position:
            high = min(high, old_pos)
    if low >= high:  # anchors out of order (records were moved): fall back to the position test only
        return float("inf"), float("-inf")
    return low, high


def _similarity(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD or matcher.quick_ratio() < SIMILARITY_THRESHOLD:
        return 0.0
    return matcher.ratio()
