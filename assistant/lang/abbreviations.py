"""Abbreviations defined in the documents themselves ("verksamhetsförlagd utbildning (VFU)")."""

from __future__ import annotations

import re

_ABBREVIATION = re.compile(r"((?:[\wåäöÅÄÖ-]+\s+){0,3}[\wåäöÅÄÖ-]+)\s+\(([A-ZÅÄÖ]{2,6})\)")


def find_abbreviations(texts: list[str]) -> dict[str, str]:
    """Abbreviations defined in the text itself: "verksamhetsförlagd utbildning (VFU)" → VFU."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _ABBREVIATION.finditer(text):
            words, short = match.group(1).split(), match.group(2)
            for n in range(1, len(words) + 1):
                candidate = words[-n:]
                initials = [w[0].upper() for w in candidate]
                if initials[0] == short[0] and _in_order(initials, short):
                    found.setdefault(short, " ".join(candidate).lower())
                    break
    return found


def _in_order(initials: list[str], short: str) -> bool:
    position = 0
    for letter in initials:
        position = short.find(letter, position)
        if position < 0:
            return False
        position += 1
    return True
