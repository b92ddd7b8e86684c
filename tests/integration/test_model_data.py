"""The data pipeline on real corpus pieces (a handful, parsed into a temporary cache)."""

from __future__ import annotations

import numpy as np
import pytest

from model import data as D
from model.data import corpus, split
from model.data.styles import STYLES, held_out_file, split_style


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
    assert (cache / f"pieces-v{corpus.PARSE_VERSION}" / "bach__bwv66.6.mxl.json").exists()


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
    assert all(np.array_equal(a, b) for a, b in zip(again.rolls, dataset.rolls, strict=True))


def test_windows_fit_the_band_and_transpose_exactly(cache):
    roll = D.piece_roll(D.load_or_parse("bach/bwv66.6.mxl"))
    rows = D.window_index([roll])
    assert len(rows) > 0
    assert set(rows[:, 1] % D.HOP_STEPS) == {0}
    windows = D.gather([roll], rows)
    assert windows.shape == (len(rows), D.WINDOW_STEPS, D.PITCH_COUNT, 4)
    for (_piece, start, shift), window in zip(rows, windows, strict=True):
        original = roll[start : start + D.WINDOW_STEPS]
        assert window.sum() == original.sum()  # nothing cropped away
        assert window[:, :, 0].any()
        pitches = np.nonzero(original.any(axis=(0, 2)))[0]
        lowest_in_window = np.nonzero(window.any(axis=(0, 2)))[0][0]
        assert lowest_in_window == pitches[0] + shift - D.LOW_PITCH
    assert len({s for _, _, s in rows}) > 6  # many keys per window


def test_voices_are_taken_by_part_name_and_a_violin_descant_is_left_out(cache):
    from music21 import corpus as m21

    piece = D.load_or_parse("bach/bwv172.6.mxl")  # parts: Violin, Soprano, Alto, Tenor, Bass
    assert piece["named"] and piece["tags"]["parts"] == "5"
    score = m21.parse("bach/bwv172.6.mxl")
    by_name = {part.partName: part for part in score.parts}
    soprano = [n.pitch.midi for n in by_name["Soprano"].flatten().notes][:8]
    alto = [n.pitch.midi for n in by_name["Alto"].flatten().notes][:8]
    assert [p for _, p, _ in piece["voices"][0]][:8] == soprano
    assert [p for _, p, _ in piece["voices"][1]][:8] == alto
    violin = [n.pitch.midi for n in by_name["Violin"].flatten().notes][:8]
    assert all([p for _, p, _ in v][:8] != violin for v in piece["voices"])


def test_the_split_is_the_checked_in_list_grouped_by_tune_and_no_held_out_tune_is_trained_on():
    index = D.load_index()
    tunes = D.tunes(index)
    held = split.held_out_paths()
    for style in STYLES:  # each style's checked-in file is current
        listed = {line for line in held_out_file(style).read_text().splitlines() if line}
        assert listed == set(split_style(style, tunes)), style
    for style, (low, high) in {"bach-chorales": (0.08, 0.2), "madrigal": (0.15, 0.35)}.items():
        own = [p for p in index["pieces"] if index["pieces"][p]["style"] == style]
        assert low < sum(p in held for p in own) / len(own) < high
    training = [p for p in tunes if p not in held]
    for path in held:
        matches = [other for other in training if split.same_tune(tunes[path], tunes[other])]
        assert not matches, f"held-out {path} is the tune of training {matches}"
    # settings of one tune that a split by file put on both sides now share a side
    for a, b in (("bach/bwv112.5-sc.mxl", "bach/bwv112.5.mxl"), ("bach/bwv59.3.mxl", "bach/bwv175.7.mxl")):
        assert split.same_tune(tunes[a], tunes[b]) and D.is_held_out(a) == D.is_held_out(b)


def test_same_tune_sees_a_transposed_ornamented_setting_and_not_another_tune():
    tune = [2, 2, -1, -2, 3, -1, -2, 2, 2, 1, -3, 2, -2, -2, 5, -1]
    ornamented = tune[:6] + [1, 1] + tune[7:]  # a passing note fills one interval
    assert split.same_tune(tune, ornamented)
    assert not split.same_tune(tune, [-2, -2, 4, 1, -5, 2, 2, 2, -1, -1, 3, -4, 2, 1, -2, 7])


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
