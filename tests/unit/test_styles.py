"""The style corpora's rules (voices, split, pool) and the style classifier, on small made-up inputs."""

from __future__ import annotations

import numpy as np
import pytest
from music21 import note, stream, tie

from model.data import corpus
from model.data.styles import STYLES, choose_held_out_share, style_groups, style_of, work_of
from model.styles.classifier import StyleClassifier, confusion, features, windows
from model.styles.ship import main as ship_main
from model.styles.ship import style_record


def _part(*events: tuple[int, float, str | None]) -> stream.Part:
    part = stream.Part()
    for pitch, length, tie_type in events:
        n = note.Note(pitch, quarterLength=length)
        if tie_type:
            n.tie = tie.Tie(tie_type)
        part.append(n)
    return part


def test_a_tie_chain_is_one_note_and_a_repeated_note_stays_two():
    part = _part((60, 1, "start"), (60, 1, "continue"), (60, 0.5, "stop"), (60, 1, None), (62, 1, None))
    assert corpus.part_notes(part, 0.0) == [(0, 60, 10), (10, 60, 4), (14, 62, 4)]


def test_a_pickup_shifts_the_notes_and_a_broken_tie_does_not_join():
    part = _part((60, 1, "start"), (62, 1, "stop"))  # a tie to another pitch is not a tie
    assert corpus.part_notes(part, 1.0) == [(4, 60, 4), (8, 62, 4)]


def test_parts_keep_top_and_bottom_and_a_three_voice_style_leaves_its_silent_track_empty():
    voices = [[(0, p, 4)] for p in (50, 72, 60, 40, 65, 55)]  # mean pitches, in no order
    picked = corpus.pick_voices(voices)
    assert [v[0][1] for v in picked] == [72, 60, 55, 40]  # top, the 3rd and 4th from the top, bottom
    picked = corpus.pick_voices([[(0, 48, 4)], [(0, 67, 4)], [(0, 55, 4)]], silent=2)
    assert [v[0][1] if v else None for v in picked] == [67, 55, None, 48]
    picked = corpus.pick_voices([[(0, 48, 4)], [(0, 67, 4)], [(0, 55, 4)], [(0, 60, 4)]], silent=2)
    assert [v[0][1] if v else None for v in picked] == [67, 55, None, 48]  # a 4th voice of a 3-voice style is left out


def test_every_corpus_folder_has_one_style_and_the_style_records_name_its_instruments():
    assert style_of("palestrina/Agnus_01.krn") == "renaissance-polyphony"
    assert style_of("beethoven/opus74.mxl") == style_of("haydn/opus1no1/movement1.mxl") == "classical-quartet"
    quartet = style_record(STYLES["classical-quartet"])
    assert [t["program"] for t in quartet["tracks"]] == [40, 40, 41, 42]
    assert quartet["genre"] == "classical-quartet" and quartet["description"]
    trecento = style_record(STYLES["trecento"])
    assert [bool(t.get("silent")) for t in trecento["tracks"]] == [False, False, True, False]


def test_a_quartets_movements_stay_on_one_side_and_the_share_is_held_out_by_whole_groups():
    assert work_of("haydn/opus1no1/movement1.mxl") == "haydn/opus1no1"
    assert work_of("beethoven/opus74.mxl") == "beethoven/opus74.mxl"
    tunes = {
        "haydn/op1/movement1.mxl": [2, 2, 1, -3, 5, 2, -2, 1],
        "haydn/op1/movement2.mxl": [-5, 4, 4, -1, -1, 7, 3, 3],
        "haydn/op2/movement1.mxl": [1, 1, 1, 1, -4, 2, 2, 2],
        "mozart/k1/movement1.mxl": [3, -3, 3, -3, 3, 2, 1, 7],
    }
    groups = style_groups(tunes)
    assert ["haydn/op1/movement1.mxl", "haydn/op1/movement2.mxl"] in groups and len(groups) == 3
    held = choose_held_out_share(groups, 0.5)
    assert 2 <= len(held) <= 3
    assert ("haydn/op1/movement1.mxl" in held) == ("haydn/op1/movement2.mxl" in held)


def _roll(steps: int, voices: list[list[int]], note_steps: int) -> np.ndarray:
    """A 4-track roll: each voice a list of pitches, each held ``note_steps`` 16ths."""
    roll = np.zeros((steps, 128, 4), dtype=bool)
    for v, pitches in enumerate(voices):
        for i in range(steps // note_steps):
            roll[i * note_steps : (i + 1) * note_steps, pitches[i % len(pitches)], v] = True
    return roll


def test_the_classifier_never_reads_the_melody_track():
    a = _roll(64, [[72, 74], [64, 65], [55, 57], [48, 43]], 4)
    b = a.copy()
    b[:, :, 0] = False
    b[::2, 90, 0] = True
    assert np.array_equal(features(windows(a)[0]), features(windows(b)[0]))


def test_the_classifier_tells_sustained_triads_from_running_bare_fifths():
    rng = np.random.default_rng(0)
    triads = [_roll(64, [[72], [64 + d, 65 + d], [55 + d], [48 + d]], 8) for d in rng.integers(-3, 3, 12)]
    fifths = [
        _roll(64, [[72], [67 + d, 69 + d], [60 + d, 62 + d], [48 + d, 50 + d]], 2) for d in rng.integers(-3, 3, 12)
    ]
    x = np.stack([features(windows(r)[0]) for r in triads[:8] + fifths[:8]])
    clf = StyleClassifier.fit(x, ["chorale"] * 8 + ["organum"] * 8, ["chorale", "organum"])
    guesses = [clf.classify_piece(r) for r in triads[8:] + fifths[8:]]
    assert guesses == ["chorale"] * 4 + ["organum"] * 4
    assert confusion(["chorale"] * 4 + ["organum"] * 4, guesses, ["chorale", "organum"]) == [[4, 0], [0, 4]]
    assert clf.classify_piece(np.zeros((64, 128, 4), dtype=bool)) is None


def test_the_chorale_model_may_only_be_retuned_by_the_style_shipper(capsys):
    """``ship bach-chorales`` would overwrite the chorale model with the style recipe: refused with the reason."""
    with pytest.raises(SystemExit) as exit_info:
        ship_main(["bach-chorales"])
    assert exit_info.value.code == 2
    assert "only --tune-only" in capsys.readouterr().err
