"""The data pipeline on real corpus pieces (a handful, parsed into a temporary cache)."""

from __future__ import annotations

import numpy as np
import pytest

from model import data as D
from model.data import corpus


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(D.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_chorale_becomes_four_quantised_voices_with_the_soprano_as_melody(cache):
    piece = D.load_or_parse("bach/bwv66.6.mxl")
    assert piece["tags"] == {
        "composer": "bach",
        "collection": "bach-chorales",
        "meter": "4/4",
        "parts": "4",
        "mode": "minor",
        "key": "f#-minor",
    }
    voices = piece["voices"]
    assert len(voices) == 4
    means = [np.mean([p for _, p, _ in v]) for v in voices]
    assert means == sorted(means, reverse=True)  # soprano, alto, tenor, bass
    # the chorale opens with a one-beat pickup, padded so that step 0 is a downbeat: the first
    # note starts on beat 4 (step 12) and the first full bar begins on step 16
    assert min(start for start, _, _ in voices[0]) == 12
    assert any(start == 16 for start, _, _ in voices[0])
    assert (cache / "pieces" / "bach__bwv66.6.mxl.json").exists()


def test_a_five_part_piece_keeps_top_and_bottom_voices(cache):
    piece = D.load_or_parse("bach/bwv1.6.mxl")
    assert piece["tags"]["parts"] == "5"
    lowest = [min(p for _, p, _ in v) for v in piece["voices"]]
    assert lowest[-1] == min(lowest)  # the bass is the lowest voice of all five


def test_build_filters_by_tags_splits_by_piece_and_second_build_is_cached(cache, monkeypatch):
    dataset = D.build(["collection:bach-chorales", "meter:3/4"], max_pieces=4)
    index = D.load_index()
    assert len(dataset.paths) == 4
    assert all(index["pieces"][p]["meter"] == "3/4" for p in dataset.paths)
    assert dataset.held_out.tolist() == [D.is_held_out(p) for p in dataset.paths]
    assert dataset.held_out.any() and not dataset.held_out.all()
    for roll in dataset.rolls:
        assert roll.dtype == bool and roll.shape[1:] == (128, 4)

    def no_parsing(path):
        raise AssertionError(f"parsed {path} again")

    monkeypatch.setattr(corpus, "parse_piece", no_parsing)
    again = D.build(["collection:bach-chorales", "meter:3/4"], max_pieces=4)
    assert again.paths == dataset.paths
    assert all(np.array_equal(a, b) for a, b in zip(again.rolls, dataset.rolls, strict=False))


def test_windows_fit_the_band_and_transpose_exactly(cache):
    roll = D.piece_roll(D.load_or_parse("bach/bwv66.6.mxl"))
    rows = D.window_index([roll])
    assert len(rows) > 0
    assert set(rows[:, 1] % D.HOP_STEPS) == {0}
    windows = D.gather([roll], rows)
    assert windows.shape == (len(rows), D.WINDOW_STEPS, D.PITCH_COUNT, 4)
    for (_r, start, shift), window in zip(rows, windows, strict=False):
        original = roll[start : start + D.WINDOW_STEPS]
        assert window.sum() == original.sum()  # nothing cropped away
        assert window[:, :, 0].any()
        pitches = np.nonzero(original.any(axis=(0, 2)))[0]
        lowest_in_window = np.nonzero(window.any(axis=(0, 2)))[0][0]
        assert lowest_in_window == pitches[0] + shift - D.LOW_PITCH
    assert len({s for _, _, s in rows}) > 6  # many keys per window


def test_held_out_split_is_a_stable_tenth_of_the_pieces():
    paths = [f"bach/bwv{i}.mxl" for i in range(2000)]
    held = [p for p in paths if D.is_held_out(p)]
    assert 150 < len(held) < 250
    assert held == [p for p in paths if D.is_held_out(p)]


def test_tags_list_counts_and_filter_semantics():
    tags = {t["tag"]: t for t in D.list_tags()}
    assert tags["collection:bach-chorales"]["pieces"] >= 400
    assert tags["collection:bach-chorales"]["kind"] == "collection"
    assert {t["kind"] for t in tags.values()} == set(D.TAG_KINDS)
    minor = set(D.match(["collection:bach-chorales", "mode:minor"]))
    major = set(D.match(["collection:bach-chorales", "mode:major"]))
    either = set(D.match(["collection:bach-chorales", "mode:minor", "mode:major"]))
    assert minor and major and not minor & major and either == minor | major  # same kind: OR; kinds: AND
    assert set(D.match(["bach"])) == set(D.match(["composer:bach"]))  # a bare value matches its kind
    with pytest.raises(D.DatasetError, match="Unknown data-set tag"):
        D.match(["composer:nobody"])


def test_tags_arrive_as_json_or_comma_separated_strings():
    assert D.parse_tags('["Composer:Bach", "mode:minor"]') == ["composer:bach", "mode:minor"]
    assert D.parse_tags("composer:bach, mode:minor,") == ["composer:bach", "mode:minor"]
    assert D.parse_tags('"composer:bach,mode:minor"') == ["composer:bach", "mode:minor"]
    assert D.parse_tags(None) == list(D.DEFAULT_TAGS)
    with pytest.raises(D.DatasetError):
        D.parse_tags("[not json")
