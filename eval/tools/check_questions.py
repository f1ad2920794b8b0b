#!/usr/bin/env python3
"""Validate eval/questions.jsonl (standard library only).

usage: python3 eval/tools/check_questions.py [QUESTIONS.jsonl] [--corpus DIR] [--quiet]
       (also accepts the perturbed files eval/questions_{test,dev}_perturbed.jsonl)

Checks
  * schema: required fields and their types, known kinds / splits / styles / languages,
    ids unique and of the form qNNN, `history` only (and always) on `conversation: true` rows;
  * unanswerable rows: `answerable: false`, empty `must` and `sources` (and no must_v2/must_not);
    answerable rows: non-empty `must` groups and existing `sources` files;
  * every alternative of `must_v2` and of `must` (new rows) is found by whole-word match in the
    normalised text of at least one of the row's `sources` files. Normalisation: markup stripped,
    words hyphenated across a line break rejoined ("kompe-\\ntens" -> "kompetens", "AT-\\nföreskriften"
    -> "AT-föreskriften"), whitespace collapsed, case ignored. Dash variants (- – —, with or without
    spaces) count as the same spelling. On English rows an alternative that is not found is accepted
    when another alternative of the same group is found (an English rendering of the Swedish fact);
  * the legacy `must` of the original rows q001–q123 is checked per group only (at least one
    alternative found), because those rows were written for substring matching and may not be
    edited; their weak groups are strengthened in `must_v2`;
  * the effective must (`must_v2` when present, else `must`) has no alternative that is four
    characters or shorter (except a short allow-list of distinctive codes, SHORT_OK) and no generic
    word standing alone ("Rådet", "kommuner", "Arbetsutskott", ... see GENERIC). One exception: a
    generic actor word may be an alternative when the row also has a group made only of specific
    alternatives that pins down the activity (e.g. [["Arbetsutskottet"], ["stödja tandvården"]]),
    because for some activities the actor really is just "Arbetsutskottet" or "Rådet". The frozen
    `must` of an original row gets no such exception: any generic or short alternative there needs
    a `must_v2`, and a must_v2 identical to its must is an error;
  * aggregate rows may carry a count group made only of the number as digit / Swedish word /
    English word (["12", "tolv"]); it is a worked-out count, so it is exempt from the text and
    length checks, and a "hur många"/"how many" aggregate must have one with both digit and
    Swedish word;
  * `must_not` strings occur somewhere in the corpus (warning otherwise), and none of them is
    contained in one of the row's own must alternatives (that would make the row impossible to pass);
  * `near_miss` only on unanswerable rows; `must_v2` only on the original rows; the original rows
    stay in the dev split; cross rows name two or more sources; a conversation has 2-4 turns.

Prints counts per split x kind, style, lang and conversation; exit code 1 on any error.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_QUESTIONS = HERE.parent / "questions.jsonl"
DEFAULT_CORPUS = HERE.parent.parent / "corpus"

KINDS = {"owner", "contact", "time", "fact", "list", "cross", "followup", "aggregate", "definition",
         "unanswerable"}
SPLITS = {"dev", "test"}
STYLES = {"formal", "typed"}
LANGS = {"sv", "en"}
REQUIRED = {"id": str, "split": str, "question": str, "lang": str, "style": str, "kind": str,
            "conversation": bool, "must": list, "sources": list, "answerable": bool}
OPTIONAL = {"history": list, "must_v2": list, "must_not": list, "near_miss": bool,
            "perturbation": str}  # perturbation: rows written by /work/shared/tools/perturb.py
LEGACY_LAST = 123  # q001..q123: the original (tuning) set, `must` frozen

# Words that name a generic actor or topic found all over the corpus. As a whole alternative they
# prove nothing about the answer.
GENERIC = {
    "råd", "rådet", "rådets", "råden", "rådsmöte", "rådsmöten", "kansliet",
    "kommun", "kommuner", "kommunen", "kommunerna",
    "region", "regioner", "regionen", "regionerna",
    "lärosäte", "lärosäten", "lärosätena", "universitet", "högskolor",
    "arbetsutskott", "arbetsutskottet", "arbetsgrupp", "arbetsgruppen", "arbetsgrupper",
    "processledare", "processledaren", "ordförande", "representant", "representanter",
    "ledamöter", "ledamot", "huvudman", "huvudmännen", "myndigheten", "staten", "regeringen",
    "samverkan", "utbildning", "utbildningar", "aktivitet", "aktiviteter", "kompetensförsörjning",
    "vården", "vård", "tandvård", "tandvården", "chefer", "ledarskap", "forskning", "fortbildning",
    "the council", "council", "municipalities", "regions", "universities",
}
# Short strings that are themselves a distinctive fact.
SHORT_OK = {"ukä"}
NUMBER_WORDS = {
    0: "noll", 1: "en", 2: "två", 3: "tre", 4: "fyra", 5: "fem", 6: "sex", 7: "sju", 8: "åtta",
    9: "nio", 10: "tio", 11: "elva", 12: "tolv", 13: "tretton", 14: "fjorton", 15: "femton",
    16: "sexton", 17: "sjutton", 18: "arton", 19: "nitton", 20: "tjugo",
}
NUMBER_WORDS_EN = {
    0: "zero", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
    9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen",
    16: "sixteen", 17: "seventeen", 18: "eighteen", 19: "nineteen", 20: "twenty",
}

# ------------------------------------------------------------------ normalisation
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(?<![\w*])([*_]{1,3})(?![\s*_])(.+?)(?<![\s*_])\1(?![\w*])")
_HYPHEN_BREAK = re.compile(r"\w-$")
# "hälso-" + "och sjukvården" is a suspended compound, not a broken word
_SUSPENDED_NEXT = re.compile(r"^(och|eller|samt|till|resp\.?|respektive|som|and|or)\b", re.IGNORECASE)
_WS = re.compile(r"\s+")
_DASH = re.compile(r"\s*[-‐‑–—]\s*")


def strip_markup(line: str) -> str:
    line = _TAG.sub("", line)
    line = _MD_HEADING.sub("", line)
    return _MD_EMPHASIS.sub(r"\2", line)


def join_lines(lines: list[str]) -> str:
    """Running text: markup stripped, hyphenated line breaks rejoined, whitespace collapsed."""
    out = ""
    for raw in lines:
        line = strip_markup(raw).strip()
        if not line:
            continue
        if out and _HYPHEN_BREAK.search(out) and line[:1].islower() and not _SUSPENDED_NEXT.match(line):
            # "verksam-" + "hetsförlagd" -> one word; "AT-" + "föreskriften" keeps its hyphen
            out = (out[:-1] if out[-2].islower() else out) + line
        else:
            out = f"{out} {line}" if out else line
    return _WS.sub(" ", out).strip()


def normalise(text: str) -> str:
    return _WS.sub(" ", text).strip().lower()


def fold_dashes(text: str) -> str:
    return _DASH.sub("-", text)


def whole_word_in(needle: str, haystack: str) -> bool:
    """Case-insensitive, whitespace-normalised match that starts and ends at word boundaries."""
    needle = normalise(needle)
    if not needle:
        return False
    pattern = r"(?<!\w)" + re.escape(needle) + r"(?!\w)"
    if re.search(pattern, haystack):
        return True
    folded = fold_dashes(needle)
    return bool(re.search(r"(?<!\w)" + re.escape(folded) + r"(?!\w)", fold_dashes(haystack)))


def load_corpus(corpus_dir: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(corpus_dir.glob("*.txt")):
        texts[path.name] = normalise(join_lines(path.read_text(encoding="utf-8").split("\n")))
    return texts


# ------------------------------------------------------------------ checks
def id_number(qid: str) -> int | None:
    m = re.fullmatch(r"q(\d{3,})(?:-(?:ascii|lower|typo|all))?", qid)  # suffix: perturb.py variants
    return int(m.group(1)) if m else None


def is_weak(alt: str) -> bool:
    core = normalise(alt).strip(" .,:;()\"'")
    if core in GENERIC:
        return True
    return len(normalise(alt)) <= 4 and core not in SHORT_OK


def count_group(group) -> int | None:
    """The number a count group stands for, when every alternative is that number as a digit or a
    Swedish/English word (["5", "fem"], ["3", "tre", "three"]); else None."""
    if not isinstance(group, list) or not group:
        return None
    values = set()
    for alt in group:
        a = normalise(alt) if isinstance(alt, str) else ""
        if a.isdigit():
            values.add(int(a))
            continue
        hits = [n for n, w in NUMBER_WORDS.items() if w == a] + [n for n, w in NUMBER_WORDS_EN.items() if w == a]
        if not hits:
            return None
        values.add(hits[0])
    return values.pop() if len(values) == 1 else None


def check_groups(row, field, groups, texts, errors, strict: bool) -> None:
    qid = row["id"]
    if not isinstance(groups, list) or not groups:
        errors.append(f"{qid}: {field} must be a non-empty list of groups")
        return
    sources = [s for s in row.get("sources", []) if s in texts]
    for gi, group in enumerate(groups):
        if not isinstance(group, list) or not group or not all(isinstance(a, str) and a.strip() for a in group):
            errors.append(f"{qid}: {field}[{gi}] must be a non-empty list of non-empty strings")
            continue
        if row.get("kind") == "aggregate" and count_group(group) is not None:
            continue  # a count worked out from the activity rows, not a quote
        found = [any(whole_word_in(alt, texts[s]) for s in sources) for alt in group]
        if not any(found):
            errors.append(f"{qid}: {field}[{gi}] {group}: no alternative found (whole word) in {sources}")
            continue
        if strict:
            for alt, ok in zip(group, found):
                if ok:
                    continue
                if row.get("lang") == "en" and not re.search(r"[åäöÅÄÖ]", alt):
                    continue  # English rendering next to a Swedish alternative that is found
                errors.append(f"{qid}: {field}[{gi}] alternative {alt!r} not found (whole word) in {sources}")


def check_row(row: dict, texts: dict[str, str], errors: list[str], warnings: list[str]) -> None:
    qid = row.get("id", "?")
    for key, typ in REQUIRED.items():
        if key not in row:
            errors.append(f"{qid}: missing field {key!r}")
        elif not isinstance(row[key], typ):
            errors.append(f"{qid}: field {key!r} should be {typ.__name__}")
    for key, typ in OPTIONAL.items():
        if key in row and not isinstance(row[key], typ):
            errors.append(f"{qid}: field {key!r} should be {typ.__name__}")
    unknown = set(row) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        errors.append(f"{qid}: unknown field(s) {sorted(unknown)}")
    if any(k not in row for k in REQUIRED):
        return
    if row["kind"] not in KINDS:
        errors.append(f"{qid}: unknown kind {row['kind']!r}")
    if row["split"] not in SPLITS:
        errors.append(f"{qid}: unknown split {row['split']!r}")
    if row["style"] not in STYLES:
        errors.append(f"{qid}: unknown style {row['style']!r}")
    if row["lang"] not in LANGS:
        errors.append(f"{qid}: unknown lang {row['lang']!r}")
    if not row["question"].strip():
        errors.append(f"{qid}: empty question")

    # conversations
    if row["conversation"]:
        hist = row.get("history")
        if not hist or not all(isinstance(h, str) and h.strip() for h in hist):
            errors.append(f"{qid}: conversation row needs a non-empty history of user turns")
        elif not 1 <= len(hist) <= 3:
            errors.append(f"{qid}: conversation must have 2-4 turns (history of 1-3), has {len(hist) + 1}")
    elif "history" in row:
        errors.append(f"{qid}: history on a row that is not conversation: true")
    if row["kind"] == "followup" and not row["conversation"]:
        errors.append(f"{qid}: followup rows are conversations")

    num = id_number(qid)
    legacy = num is not None and num <= LEGACY_LAST
    if legacy and row["split"] != "dev":
        errors.append(f"{qid}: original rows belong to the dev split")
    if not legacy and "must_v2" in row:
        errors.append(f"{qid}: must_v2 is only for the original rows (new rows get a strong must)")

    # answerability
    if row["kind"] == "unanswerable" or not row["answerable"]:
        if row["kind"] != "unanswerable" or row["answerable"]:
            errors.append(f"{qid}: answerable=false goes with kind unanswerable and vice versa")
        if row["must"] or row["sources"] or row.get("must_v2") or row.get("must_not"):
            errors.append(f"{qid}: unanswerable rows have empty must/sources and no must_v2/must_not")
        return
    if not row["sources"]:
        errors.append(f"{qid}: answerable row without sources")
    for s in row["sources"]:
        if s not in texts:
            errors.append(f"{qid}: unknown source {s!r}")
    if len(set(row["sources"])) != len(row["sources"]):
        errors.append(f"{qid}: duplicate source")
    if row["kind"] == "cross" and len(row["sources"]) < 2:
        errors.append(f"{qid}: cross rows name at least two sources")

    check_groups(row, "must", row["must"], texts, errors, strict=not legacy)
    if "must_v2" in row:
        check_groups(row, "must_v2", row["must_v2"], texts, errors, strict=True)
    effective_field = "must_v2" if "must_v2" in row else "must"
    effective = row.get(effective_field) or []
    groups_ok = [g for g in effective if isinstance(g, list)]
    counts = [g for g in groups_ok if row["kind"] == "aggregate" and count_group(g) is not None]
    specific = [g for g in groups_ok if g not in counts and all(isinstance(a, str) and not is_weak(a) for a in g)]
    for gi, group in enumerate(groups_ok):
        if group in counts:
            continue
        for alt in group:
            if not isinstance(alt, str) or not is_weak(alt):
                continue
            short = normalise(alt).strip(" .,:;()\"'") not in GENERIC
            if legacy and effective_field == "must":
                errors.append(f"{qid}: must[{gi}] alternative {alt!r} is generic or too short (add a must_v2)")
            elif short or not specific:
                errors.append(f"{qid}: {effective_field}[{gi}] alternative {alt!r} is "
                              + ("too short" if short else "generic and the row has no specific group"))
    if legacy and effective_field == "must_v2" and row["must_v2"] == row["must"]:
        errors.append(f"{qid}: must_v2 is identical to must")

    # must_not
    for bad in row.get("must_not", []):
        if not isinstance(bad, str) or not bad.strip():
            errors.append(f"{qid}: empty must_not entry")
            continue
        if not any(whole_word_in(bad, t) for t in texts.values()):
            warnings.append(f"{qid}: must_not {bad!r} does not occur in the corpus")
        for group in effective:
            for alt in group:
                if whole_word_in(bad, normalise(alt)):
                    errors.append(f"{qid}: must_not {bad!r} is part of must alternative {alt!r}")

    # aggregates: "hur många" needs a count group with the digit and the Swedish word
    if row["kind"] == "aggregate" and re.search(r"\b(hur m[aå]nga|how many)\b", normalise(row["question"])):
        ok = False
        for group in counts:
            n = count_group(group)
            low = {normalise(a) for a in group}
            if str(n) in low and NUMBER_WORDS.get(n) in low:
                ok = True
        if not ok:
            errors.append(f"{qid}: 'hur många' aggregate needs a group with the number as digit and word, e.g. ['5', 'fem']")
    if "near_miss" in row and row["kind"] != "unanswerable":
        errors.append(f"{qid}: near_miss is only for unanswerable rows")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("questions", nargs="?", default=str(DEFAULT_QUESTIONS))
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--quiet", action="store_true", help="errors and the summary line only")
    args = parser.parse_args(argv)

    texts = load_corpus(Path(args.corpus))
    errors: list[str] = []
    warnings: list[str] = []
    rows = []
    with open(args.questions, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"line {lineno}: invalid JSON ({exc})")
                continue
            if not isinstance(row, dict):
                errors.append(f"line {lineno}: not an object")
                continue
            rows.append(row)

    seen = collections.Counter(r.get("id") for r in rows)
    for qid, n in seen.items():
        if n > 1:
            errors.append(f"{qid}: id used {n} times")
        if not isinstance(qid, str) or id_number(qid) is None:
            errors.append(f"{qid!r}: id should look like q123")
    numbers = sorted(id_number(r["id"]) for r in rows if isinstance(r.get("id"), str) and id_number(r["id"]))
    if numbers and not any("perturbation" in r for r in rows) and numbers != list(range(1, len(numbers) + 1)):
        warnings.append("ids are not a gap-free sequence q001..")
    qtexts = collections.Counter((r.get("question"), tuple(r.get("history") or ())) for r in rows)
    for (q, h), n in qtexts.items():
        if n > 1:
            errors.append(f"duplicate question {q!r}")

    for row in rows:
        check_row(row, texts, errors, warnings)

    if not args.quiet:
        print_counts(rows)
        for w in warnings:
            print("warning:", w)
    for e in errors:
        print("ERROR:", e)
    print(f"{len(rows)} rows, {len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


def table(title: str, counter: dict, cols: list[str], rows_keys: list[str]) -> None:
    print(f"\n{title}")
    width = max([len(k) for k in rows_keys] + [6])
    print(" " * width + "".join(f"{c:>8}" for c in cols) + f"{'total':>8}")
    for k in rows_keys:
        vals = [counter.get((k, c), 0) for c in cols]
        print(f"{k:<{width}}" + "".join(f"{v:>8}" for v in vals) + f"{sum(vals):>8}")
    tot = [sum(counter.get((k, c), 0) for k in rows_keys) for c in cols]
    print(f"{'total':<{width}}" + "".join(f"{v:>8}" for v in tot) + f"{sum(tot):>8}")


def print_counts(rows: list[dict]) -> None:
    splits = sorted({r.get("split", "?") for r in rows})
    kinds = sorted({r.get("kind", "?") for r in rows})
    for field, title in (("kind", "split x kind"), ("style", "split x style"), ("lang", "split x lang"),
                         ("conversation", "split x conversation")):
        c = collections.Counter((str(r.get(field)), r.get("split", "?")) for r in rows)
        keys = kinds if field == "kind" else sorted({str(r.get(field)) for r in rows})
        table(title, c, splits, keys)
    new = [r for r in rows if (id_number(r.get("id", "")) or 0) > LEGACY_LAST]
    if new:
        c = collections.Counter((r.get("kind", "?"), r.get("split", "?")) for r in new)
        table(f"new rows only (q{LEGACY_LAST + 1}+): split x kind", c, splits,
              sorted({r.get("kind", "?") for r in new}))
        c = collections.Counter((f"{r.get('style')}/{r.get('lang')}", r.get("split", "?")) for r in new)
        table("new rows only: split x style/lang", c, splits,
              sorted({f"{r.get('style')}/{r.get('lang')}" for r in new}))
    print()


if __name__ == "__main__":
    sys.exit(main())
