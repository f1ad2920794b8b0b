"""Councils and healthcare regions: names, counties, English names, and detection in a question."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.lang.spelling import fold

#: Index names of regional councils: "RVKR " + the healthcare region ("RVKR Södra").
REGIONAL_PREFIX = "RVKR "
#: How the national council is named in the documents and in catalog metadata.
COUNCIL_NATIONAL = "Nationella vårdkompetensrådet"
#: How a regional council names itself in its own plan, without its region ("Regionala vårdkompetensrådet (rådet) är …").
REGIONAL_COUNCIL_NAME = "Regionala vårdkompetensrådet"


def regional_council(region: str) -> str:
    """The index name of a region's council: "Södra" → "RVKR Södra"."""
    return f"{REGIONAL_PREFIX}{region}"


def council_region(council: str) -> str | None:
    """The healthcare region of a regional council ("RVKR Södra" → "Södra"); None for the national one."""
    return council[len(REGIONAL_PREFIX):] if council.startswith(REGIONAL_PREFIX) else None


def short_name(council: str) -> str:
    """The name people use: the region for a regional council, the full name otherwise."""
    return council_region(council) or council


# Counties (län/regioner) of Sweden's six healthcare regions: general knowledge, used to map a
# county named in a question to the regional council that covers it.
HEALTHCARE_REGIONS: dict[str, tuple[str, ...]] = {
    "Mellansverige": ("dalarna", "gävleborg", "södermanland", "uppsala", "värmland", "västmanland", "örebro"),
    "Södra": ("skåne", "blekinge", "kronoberg", "halland"),
    "Sydöstra": ("jönköping", "kalmar", "östergötland"),
    "Västra": ("västra götaland", "vgr"),
    "Stockholm-Gotland": ("stockholm", "gotland"),
    "Norra": ("norrbotten", "västerbotten", "västernorrland", "jämtland", "härjedalen"),
}
ENGLISH_REGION_NAMES = {"Södra": ("southern", "south"), "Mellansverige": ("central sweden", "mid sweden", "middle sweden"),
                        "Norra": ("northern",), "Västra": ("western",), "Sydöstra": ("south-east", "southeast")}
NATIONAL_ALIASES = ("nationella vårdkompetensråd", "nationella rådet", "nationella rådets", "nvkr", "national council",
                    "national healthcare", "det nationella rådet", "nationellt", "nationally")


@lru_cache(maxsize=64)
def _region_pattern(region: str, genitive: bool) -> re.Pattern:
    """One regex for a healthcare region: its name, counties and English names, as whole words."""
    names = (region.lower(),) + HEALTHCARE_REGIONS.get(region, ()) + ENGLISH_REGION_NAMES.get(region, ())
    names = tuple({*names, *(fold(name) for name in names)})  # also typed without å/ä/ö ("sodra", "vastra")
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    # whole words: "south" is not the start of "south-east"; "Södras", "Mellansverige-rådets", "södrarådet" name it
    suffix = r"(?:s|-?r[åa]d(?:ets?|s)?)?" if genitive else ""
    return re.compile(rf"(?<![\wåäö])(?<![\wåäö]-)(?:{alternatives}){suffix}(?![\wåäö])(?!-[\wåäö])")


def council_aliases(council: str) -> list[str]:
    """Lower-case names a user may give a council: its index name, region, counties, English names."""
    region = council_region(council)
    if region is not None:
        return [council.lower(), region.lower(), *HEALTHCARE_REGIONS.get(region, ()), *ENGLISH_REGION_NAMES.get(region, ())]
    return [council.lower(), "nationella", "nationell", "nationella rådet", "national", "nvkr"]


def detect_councils(question: str, known: list[str]) -> list[str]:
    """Councils (as named in the index) that the question refers to."""
    lowered = question.lower()
    found = []
    for council in known:
        if not council:
            continue
        region = council_region(council)
        if region is not None:
            if _region_pattern(region, genitive=True).search(lowered):
                found.append(council)  # "Södra" and the genitive "Södras"
        elif any(alias in lowered or fold(alias) in lowered for alias in NATIONAL_ALIASES):
            found.append(council)
    return found


def unindexed_regions(question: str, known: list[str]) -> list[str]:
    """Healthcare regions named in the question that no indexed council covers ("Norra", "Jämtland")."""
    lowered = question.lower()
    covered = {council_region(council) for council in known} - {None}
    return [region for region in HEALTHCARE_REGIONS
            if region not in covered and _region_pattern(region, genitive=False).search(lowered)]


def without_council_names(text: str, councils: list[str]) -> str:
    """``text`` with every name it gives the councils blanked out, genitives and "the"/"det" included
    ("the national council's focus areas" → " focus areas"; "Vilka av nationella rådets …" → "Vilka av  …")."""
    for council in councils:
        for name in _names_in_text(council):
            text = _name_pattern(name).sub(" ", text)
    return text


def _names_in_text(council: str) -> list[str]:
    """Every name a question may give a council, longest first (so "nationella rådet" goes before "nationella")."""
    names = {short_name(council).lower(), *council_aliases(council)}
    if council_region(council) is None:
        names |= set(NATIONAL_ALIASES)
    return sorted(names, key=len, reverse=True)


def _name_pattern(name: str) -> re.Pattern:
    """A council name as whole words, with "the"/"det" before it and its genitive ending (group 1) after it."""
    return re.compile(rf"(?<![\wåäö])(?:the\s+|det\s+)?{re.escape(name)}('s|s)?(?![\wåäö])", re.IGNORECASE)


_PARTNER_WORD = r"(?:med|till|with|to|towards)\s+(?:det\s+|the\s+)?"


def partner_councils(question: str, councils: list[str]) -> list[str]:
    """Councils the question names as the partner of the others ("hur tänker Mellansverige och Södra samarbeta
    med nationella rådet"): right after "med"/"till"/"with"/"to", while at least one other council is named."""
    lowered = question.lower()
    partners = []
    for council in councils:
        region = council_region(council)
        names = [region.lower(), *HEALTHCARE_REGIONS.get(region, ())] if region else list(NATIONAL_ALIASES)
        names = sorted({*names, *(fold(n) for n in names)}, key=len, reverse=True)
        alternatives = "|".join(re.escape(n) for n in names)
        if re.search(rf"\b{_PARTNER_WORD}(?:{alternatives})", lowered):
            partners.append(council)
    return partners if len(partners) < len(councils) else []


def with_council_swapped(text: str, old: str, new: str) -> str:
    """``text`` naming council ``new`` where it named ``old`` ("Mellansveriges råd" → "Södras råd"), or "" when
    it does not name ``old`` by a name that can be swapped."""
    new_name = short_name(new)
    for name in _names_in_text(old):
        pattern = _name_pattern(name)
        if pattern.search(text):
            return pattern.sub(lambda m: new_name + (m.group(1) or ""), text)
    return ""
