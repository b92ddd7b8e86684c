"""The melody corpus: a tune's notes from ABC, and a held-out split that keeps variants together."""

from __future__ import annotations

from itertools import pairwise

import pytest

from model.transformer import corpus as C


def _tune(tune_id: str, title: str, pitches: list[int], start: int = 0) -> dict:
    return {
        "id": tune_id,
        "title": title,
        "meter": "4/4",
        "notes": [[start + 4 * i, p, 4] for i, p in enumerate(pitches)],
    }


MELODY = [60, 62, 64, 65, 67, 65, 64, 62, 60, 67, 72, 71, 72, 74]


def test_variants_by_title_or_by_their_opening_share_a_group() -> None:
    tunes = [
        _tune("a#1", "The Rambler", MELODY),
        _tune("b#7", "The  rambler!", [50, 52, 53] * 5),  # same title, other notes
        _tune("c#2", "Untitled", [p + 5 for p in MELODY]),  # same opening a fourth higher
        _tune("d#3", "Other", [p + 1 for p in [60, 60, 67, 67, 69, 69, 67, 65, 65, 64, 64, 62, 62, 60]]),
    ]
    groups = C.tune_groups(tunes)
    assert groups[0] == groups[1] == groups[2] != groups[3]


def test_a_group_is_held_out_whole() -> None:
    names = [f"tune {chr(97 + g % 26)}{chr(97 + g // 26)}" for g in range(200)]  # titles compare by letters
    tunes = [
        _tune(f"t#{i}", names[i // 3], [60, 62 + i % 12, 64, 50 + i // 12, 65, 67, 60, 62, 61]) for i in range(600)
    ]
    held = set(C.choose_held_out(tunes))
    for group in range(200):
        members = {f"t#{i}" for i in range(3 * group, 3 * group + 3)}
        assert members <= held or not members & held
    assert 0.01 < len(held) / len(tunes) < 0.12


def test_the_checked_in_split_is_a_list_of_corpus_tune_ids() -> None:
    held = C.held_out_ids()
    assert len(held) > 300
    assert all("#" in t or t.startswith("bach/") for t in held)
    assert {t.split("/", 1)[0] for t in held} <= {*C.FOLK_COLLECTIONS, "bach"}


def test_an_abc_book_gives_its_tunes_with_the_pickup_padded_to_a_bar_line() -> None:
    tunes = C.parse_file("oneills1850/0001-0050.abc")
    by_id = {t["id"]: t for t in tunes}
    tune = by_id["oneills1850/0001-0050.abc#2"]
    assert tune["title"] == "Fare You Well" and tune["meter"] == "2/4"
    assert tune["notes"][:3] == [[6, 78, 2], [8, 81, 4], [12, 79, 4]]  # an 8th-note pickup in 2/4
    for t in tunes:
        if "skip" not in t:
            starts = [n[0] for n in t["notes"]]
            assert starts == sorted(set(starts)) and all(a[0] + a[2] <= b[0] for a, b in pairwise(t["notes"]))


def test_collections_from_tags() -> None:
    assert C.resolve_collections(["collection:essen", "ryans-mammoth"]) == ["essen", "ryans-mammoth"]
    assert C.resolve_collections(None) == list(C.COLLECTIONS)
    with pytest.raises(C.CorpusError, match="choose from"):
        C.resolve_collections(["composer:bach"])
