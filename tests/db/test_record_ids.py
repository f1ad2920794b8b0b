"""Stable record ids: pure functions, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.db.record_ids import assign_record_ids, base_record_id, normalise_text

COUNCIL = "Region Exempel"
TEXTS = [
    "Inventera behovet av specialistsjuksköterskor inom psykiatrin",
    "Utveckla introduktionsprogrammet för nyanställda undersköterskor",
    "Erbjuda handledarutbildning till alla kliniska handledare",
    "Införa karriärvägar för barnmorskor i primärvården",
    "Samverka med gymnasieskolor om vård- och omsorgsprogrammet",
]


def make(texts, council=COUNCIL, **extra):
    return [dict(council=council, source="plan.pdf", activity=text, position=index, **extra)
            for index, text in enumerate(texts)]


def stored(records, ids, in_plan=True):
    return [dict(record, record_id=record_id, in_plan=in_plan) for record, record_id in zip(records, ids, strict=True)]


def test_ids_are_short_hex_unique_and_deterministic():
    records = make(TEXTS)
    ids = assign_record_ids(records, [])
    assert all(re.fullmatch(r"rec-[0-9a-f]{10}", record_id) for record_id in ids)
    assert len(set(ids)) == len(ids)
    assert assign_record_ids(make(TEXTS), []) == ids
    assert ids[0] == base_record_id(COUNCIL, TEXTS[0])


def test_id_depends_on_council_and_text_not_position():
    assert base_record_id(COUNCIL, TEXTS[0]) != base_record_id("Region Annan", TEXTS[0])
    moved = [dict(council=COUNCIL, activity=TEXTS[0], position=42)]
    assert assign_record_ids(moved, []) == [base_record_id(COUNCIL, TEXTS[0])]


def test_normalisation_ignores_case_whitespace_and_punctuation():
    assert normalise_text("  Utveckla  INTRODUKTION, för\nnyanställda. ") == "utveckla introduktion för nyanställda"
    assert base_record_id(COUNCIL, "Erbjuda handledarutbildning!") == \
        base_record_id(COUNCIL, "erbjuda  handledarutbildning")


def test_unchanged_reingest_keeps_every_id():
    records = make(TEXTS)
    ids = assign_record_ids(records, [])
    assert assign_record_ids(make(TEXTS), stored(records, ids)) == ids


def test_reordered_records_keep_their_ids():
    records = make(TEXTS)
    ids = dict(zip(TEXTS, assign_record_ids(records, []), strict=True))
    reordered = list(reversed(TEXTS))
    new_ids = assign_record_ids(make(reordered), stored(records, list(ids.values())))
    assert new_ids == [ids[text] for text in reordered]


def test_slightly_edited_text_keeps_the_id():
    records = make(TEXTS)
    ids = assign_record_ids(records, [])
    edited = list(TEXTS)
    edited[1] = "Utveckla introduktionsprogrammet för nyanställda skötare"  # a word changed
    edited[2] = "Erbjuda handledarutbilding till alla kliniska handledare"  # a typo
    edited[3] = "Införa karriärvägar för barnmorskor inom primärvården"  # a word changed
    assert assign_record_ids(make(edited), stored(records, ids)) == ids


def test_edited_text_keeps_id_when_records_are_inserted_before_it():
    records = make(TEXTS)
    ids = assign_record_ids(records, [])
    inserted = [f"Helt ny aktivitet nummer {n} om lönebildning och arbetsmiljö" for n in range(6)]
    edited = inserted + TEXTS[:4] + ["Samverka med gymnasieskolorna om vård- och omsorgsprogrammet"]
    new_ids = assign_record_ids(make(edited), stored(records, ids))
    assert new_ids[6:] == ids  # the edited one moved 6 places but sits between the same neighbours
    assert not set(new_ids[:6]) & set(ids)


def test_rewritten_text_gets_a_new_id():
    records = make(TEXTS)
    ids = assign_record_ids(records, [])
    rewritten = list(TEXTS)
    rewritten[2] = "Ta fram en regional plan för digital kompetens hos chefer"
    new_ids = assign_record_ids(make(rewritten), stored(records, ids))
    assert new_ids[2] not in ids
    assert new_ids[:2] + new_ids[3:] == ids[:2] + ids[3:]


def test_removed_record_is_not_matched_to_an_unrelated_new_one():
    records = make(TEXTS)
    ids = assign_record_ids(records, [])
    # TEXTS[1] disappears and an unrelated activity takes its place (same position).
    changed = [TEXTS[0], "Minska inhyrd personal genom en gemensam bemanningspool", *TEXTS[2:]]
    new_ids = assign_record_ids(make(changed), stored(records, ids))
    assert new_ids[1] != ids[1]
    assert new_ids[1] not in ids
    assert new_ids[0] == ids[0] and new_ids[2:] == ids[2:]


def test_removed_record_leaves_the_others_alone():
    records = make(TEXTS)
    ids = assign_record_ids(records, [])
    remaining = TEXTS[:2] + TEXTS[3:]
    assert assign_record_ids(make(remaining), stored(records, ids)) == ids[:2] + ids[3:]


def test_a_record_that_reappears_gets_its_old_id_back():
    records = make(TEXTS)
    ids = assign_record_ids(records, [])
    previous = stored(records, ids)
    previous[4]["in_plan"] = False  # it had left the plan
    assert assign_record_ids(make(TEXTS), previous) == ids


def test_duplicate_texts_get_distinct_stable_ids():
    texts = ["Kompetensutveckling", "Rekrytering av läkare", "Kompetensutveckling"]
    records = make(texts)
    ids = assign_record_ids(records, [])
    assert len(set(ids)) == 3
    assert ids[0] == base_record_id(COUNCIL, "Kompetensutveckling")  # the first keeps the plain id
    assert assign_record_ids(make(texts), stored(records, ids)) == ids
    assert assign_record_ids(make(texts), []) == ids  # position breaks the tie deterministically


def test_duplicate_texts_follow_their_other_fields_when_reordered():
    records = [
        dict(council=COUNCIL, activity="Kompetensutveckling", owner="Primärvården", position=0),
        dict(council=COUNCIL, activity="Kompetensutveckling", owner="Psykiatrin", position=1),
    ]
    ids = assign_record_ids(records, [])
    swapped = [dict(records[1], position=0), dict(records[0], position=1)]
    assert assign_record_ids(swapped, stored(records, ids)) == [ids[1], ids[0]]


def test_removing_one_of_two_duplicates_keeps_the_nearest():
    texts = ["Kompetensutveckling", *TEXTS, "Kompetensutveckling"]
    records = make(texts)
    ids = assign_record_ids(records, [])
    without_first = make(texts[1:])
    new_ids = assign_record_ids(without_first, stored(records, ids))
    assert new_ids == ids[1:]


def test_reserved_ids_of_other_sources_are_never_produced():
    records = make(TEXTS[:1])
    taken = base_record_id(COUNCIL, TEXTS[0])
    new_ids = assign_record_ids(records, [], reserved={taken})
    assert new_ids[0] != taken and new_ids[0].startswith("rec-")


def test_exact_text_wins_over_an_edited_neighbour():
    records = make(TEXTS[:2])
    ids = assign_record_ids(records, [])
    edited = ["Inventera behovet av specialistsjuksköterskor inom psykiatrin och BUP", TEXTS[1], TEXTS[0]]
    new_ids = assign_record_ids(make(edited), stored(records, ids))
    assert new_ids[1:] == [ids[1], ids[0]]  # TEXTS[0] is still there (moved): it keeps its id
    assert new_ids[0] not in ids


def test_a_fresh_id_never_reuses_a_stored_one():
    # A stored record holds base(TEXTS[0]) although its text has drifted far away (many small edits).
    previous = [dict(council=COUNCIL, activity="Något helt annat om arbetsmiljö", position=0,
                     record_id=base_record_id(COUNCIL, TEXTS[0]), in_plan=False)]
    new_ids = assign_record_ids(make(TEXTS[:1]), previous)
    assert new_ids[0] != previous[0]["record_id"]
    assert assign_record_ids(make(TEXTS[:1]), previous) == new_ids  # still deterministic


def test_other_council_is_never_matched():
    records = make(TEXTS[:1])
    ids = assign_record_ids(records, [])
    other = make(TEXTS[:1], council="Region Annan")
    assert assign_record_ids(other, stored(records, ids)) != ids


def test_objects_and_missing_positions_are_accepted():
    @dataclass
    class Record:
        council: str
        activity: str
        source: str = "plan.pdf"
        focus_area: str = ""
        owner: str = ""
        timeline: str = ""
        follow_up: str = ""

    objects = [Record(COUNCIL, text) for text in TEXTS]
    assert assign_record_ids(objects, []) == assign_record_ids(make(TEXTS), [])
