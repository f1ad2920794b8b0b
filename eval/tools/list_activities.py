#!/usr/bin/env python3
"""List the activity records of the three 2026 plans with their fields (standard library only).

usage: python3 eval/tools/list_activities.py [--corpus DIR] [--json]

A helper for writing and re-checking the aggregate questions in eval/questions.jsonl:

* 000 (Nationella vårdkompetensrådet): "Fokusområde N" / "Mål och aktivitet N" blocks with
  Mål, Aktivitet, Tidpunkt, Mått på genomförande, Ansvarig (parsed from the labels).
* 002 (RVKR Södra): the tab-separated aktivitetsplan table (Prioriterat område, Aktivitet,
  Genomförande, Tidplan, Uppföljning – mått, Uppföljning – när). A row with an empty first cell
  belongs to the area of the row above it.
* 001 (RVKR Mellansverige): the table is flattened beyond reliable parsing, so the line range of
  each activity row was read by hand (ROWS_001 below) and the fields are picked out of each range
  with regexes: Genomförande (the Arbetsutskott/Arbetsgrupp/Huvudmannagrupp cell; none when the
  row has no such cell), Kontakt (the text after "Kontakt:"), and the Innehåll text.
  Read by hand, not by the regexes: "Bevaka frågan om framtidens vårdkompetens" names "Ingela:" in
  front of one Innehåll item without a "Kontakt:" label, so whether it has a contact person is
  ambiguous; the aggregate questions neither require nor forbid it.

Everything is printed from the corpus text, so a changed document shows up as a changed listing.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_questions import DEFAULT_CORPUS, join_lines  # noqa: E402

F000 = "000_a136ead4faa7fb25.txt"
F001 = "001_c218980ea090ff6f.txt"
F002 = "002_8b6a782e2b1e2be8.txt"

# (first line, last line, number of lines of the Aktivitet cell) of each activity row in 001, 1-based,
# read by hand from the flattened table.
ROWS_001 = [
    (89, 100, 2),    # Bevaka utvecklingen på nationell nivå gällande VFU
    (103, 107, 2),   # placeringsverktyg
    (109, 115, 4),   # praktiknära forskarskolor
    (117, 122, 2),   # regelverket för förenade anställningar
    (124, 133, 2),   # beredskap att starta arbetsgrupper/nätverk
    (136, 138, 0),   # Samverka med övriga regionala vårdkompetensråd (one line: cell + rest)
    (141, 149, 1),   # framtidens vårdkompetens
    (160, 164, 2),   # vård och omsorgsprogrammets utveckling
    (166, 175, 2),   # undersköterskor
    (179, 184, 2),   # utbildning till specialistsjuksköterska
    (188, 197, 2),   # tandvården
    (200, 207, 3),   # utlandsutbildad personal
    (210, 211, 0),   # Följa forskningen (one line: cell + rest)
    (213, 221, 3),   # språkkrav
    (223, 229, 2),   # AT/BT
    (232, 237, 3),   # Skriva fram och samordna ärenden
]
_GENOMF = re.compile(r"(?:^|(?<=\s))(Arbetsutskottet|Arbetsutskott|Arbetsgrupp|Huvudmanna-?grupp för kommuner)\b,?\s*")
_INLINE = {  # one-line rows: Aktivitet text, then the Genomförande cell on the same line
    136: "Samverka med övriga regionala vårdkompetensråd",
    210: "Följa forskningen inom rådets prioriterade områden",
}


def read_lines(corpus: Path, name: str) -> list[str]:
    return (corpus / name).read_text(encoding="utf-8").split("\n")


def parse_000(lines: list[str]) -> list[dict]:
    rows, area, cur = [], "", None
    for raw in lines:
        line = raw.strip()
        m = re.match(r"Fokusområde (\d): (.+)", line)
        if m:
            area = f"{m.group(1)}: {m.group(2).strip()}"
            continue
        m = re.match(r"Mål och aktivitet (\d)", line)
        if m:
            cur = {"council": "Nationella vårdkompetensrådet", "area": area, "no": m.group(1)}
            rows.append(cur)
            key = None
            continue
        if cur is None:
            continue
        m = re.match(r"(Mål|Aktivitet|Tidpunkt|Mått på genomförande|Ansvarig): ?(.*)", line)
        if m:
            key = m.group(1)
            cur[key] = m.group(2)
        elif line and key:
            cur[key] += "\n" + line
    for r in rows:
        for k in ("Mål", "Aktivitet", "Tidpunkt", "Mått på genomförande", "Ansvarig"):
            r[k] = join_lines(r.get(k, "").split("\n")).rstrip(".")
    return rows


def parse_002(lines: list[str]) -> list[dict]:
    rows, area = [], ""
    for raw in lines:
        if "\t" not in raw or raw.startswith("Prioriterade områden"):
            continue
        cells = [join_lines([c]) for c in raw.split("\t")]
        cells += [""] * (6 - len(cells))
        if cells[0]:
            area = cells[0]
        rows.append({"council": "RVKR Södra", "area": area, "Aktivitet": cells[1], "Genomförande": cells[2],
                     "Tidplan": cells[3], "Uppföljning – mått": cells[4], "Uppföljning – när": cells[5]})
    return rows


def parse_001(lines: list[str]) -> list[dict]:
    rows = []
    for first, last, n_act in ROWS_001:
        block = lines[first - 1:last]
        if first in _INLINE:
            act = _INLINE[first]
            rest = [block[0].split(act, 1)[1]] + block[1:]
        else:
            act = join_lines(block[:n_act])
            rest = block[n_act:]
        text = "\n".join(rest)
        genomf = ""
        body = join_lines(rest)
        m = _GENOMF.search(body)  # the first Genomförande-like cell of the row, if any
        if m:
            genomf = m.group(1)
            body = (body[:m.start()] + " " + body[m.end():]).strip()
        contact = ""
        m = re.search(r"Kontakt:\s*([^\n]+)", text)
        if m:
            contact = m.group(1).strip()
            body = body.replace(f"Kontakt: {contact}", "").strip()
        rows.append({"council": "RVKR Mellansverige", "lines": f"{first}-{last}", "Aktivitet": act,
                     "Genomförande": genomf, "Kontakt": contact, "Innehåll": re.sub(r"\s+", " ", body).strip()})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    corpus = Path(args.corpus)
    plans = {F000: parse_000(read_lines(corpus, F000)), F001: parse_001(read_lines(corpus, F001)),
             F002: parse_002(read_lines(corpus, F002))}
    if args.json:
        print(json.dumps(plans, ensure_ascii=False, indent=1))
        return 0
    for name, rows in plans.items():
        print(f"=== {name}: {len(rows)} activity rows")
        for i, r in enumerate(rows, 1):
            print(f"[{i}]")
            for k, v in r.items():
                if k != "council":
                    print(f"    {k:<22} {v if v else '(empty)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
