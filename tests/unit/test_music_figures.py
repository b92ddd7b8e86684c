"""The music figures against independent reference values, and the machinery around them.

The reference cases are the hand-made snippets of ``shared/music-figures/cases.json`` (kept beside
the checkout) with the figures an independent implementation computes; a copy lives in
``tests/data/music_figures_cases.json`` so that this test needs nothing outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model import figures as F

CASES_FILE = Path(__file__).parents[1] / "data" / "music_figures_cases.json"
CASES = json.loads(CASES_FILE.read_text())["cases"]
C_MAJOR = (0, "major")


def case_voices(case: dict) -> dict[str, list[tuple[int, int, int]]]:
    return {name: [tuple(note) for note in case["voices"][name]] for name in F.VOICE_NAMES}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_reference_case_is_reproduced_to_a_hundredth(case):
    got = F.piece_figures(case_voices(case), (case["key"]["tonic_pc"], case["key"]["mode"]))
    for name, expected in case["figures"].items():
        if expected is None:
            assert got[name] is None, name
        else:
            assert got[name] == pytest.approx(expected, abs=0.01), name


def test_the_copy_of_the_cases_matches_the_shared_file_when_it_is_there():
    shared = Path(__file__).parents[3] / "shared" / "music-figures" / "cases.json"
    if not shared.exists():
        pytest.skip("the shared folder beside the checkout is not here")
    assert json.loads(shared.read_text()) == json.loads(CASES_FILE.read_text())


def chorale_like() -> dict[str, list[tuple[int, int, int]]]:
    """I IV V I in C, quarter notes, then the same again: no parallels, all triads."""
    first = CASES[0]
    voices = case_voices(first)
    return {name: notes + [(s + 16, e + 16, p) for s, e, p in notes] for name, notes in voices.items()}


def test_roll_converter_takes_runs_as_notes_and_the_highest_pitch_of_a_voice():
    roll = np.zeros((8, 128, 4), dtype=bool)
    roll[0:4, 72, 0] = True
    roll[4:8, 74, 0] = True
    roll[0:8, 60, 1] = True
    roll[2:4, 64, 1] = True  # a second pitch in the alto: the higher one wins for those steps
    roll[1:3, 48, 3] = True
    voices = F.voices_from_roll(roll)
    assert voices["S"] == [(0, 4, 72), (4, 8, 74)]
    assert voices["A"] == [(0, 2, 60), (2, 4, 64), (4, 8, 60)]
    assert voices["T"] == []
    assert voices["B"] == [(1, 3, 48)]


def test_roll_round_trip_keeps_every_note_that_is_not_a_repetition():
    voices = chorale_like()
    back = F.voices_from_roll(F.voices_to_roll(voices))
    assert back["S"] == voices["S"]
    # the alto sings G4 on beats 3, 4 and 5: a binary roll merges repeated notes into one
    assert back["A"][2] == (8, 20, 67)
    assert F.piece_figures(back, C_MAJOR)["chord_beats_pct"] == 100.0


def test_repeated_notes_are_not_moves_and_rests_break_a_pair_sonority():
    # S and B an octave apart, both repeat, then rest, then both up a step: no transition at all
    voices = {
        "S": [(0, 4, 72), (4, 8, 72), (12, 16, 74)],
        "A": [],
        "T": [],
        "B": [(0, 4, 60), (4, 8, 60), (12, 16, 62)],
    }
    figures = F.piece_figures(voices, C_MAJOR)
    assert figures["par8_note_per100"] is None
    voices["S"][2], voices["B"][2] = (8, 12, 74), (8, 12, 62)
    assert F.piece_figures(voices, C_MAJOR)["par8_note_per100"] == 100.0


def test_contrary_octaves_and_fifth_to_octave_are_not_parallels():
    voices = {"S": [(0, 4, 67), (4, 8, 72)], "A": [], "T": [], "B": [(0, 4, 55), (4, 8, 48)]}  # contrary
    assert F.piece_figures(voices)["par58_note_per100"] == 0.0
    voices = {"S": [(0, 4, 67), (4, 8, 74)], "A": [], "T": [], "B": [(0, 4, 60), (4, 8, 62)]}  # 5th -> 8ve, same way
    assert F.piece_figures(voices)["par58_note_per100"] == 0.0


def test_dominant_seventh_without_fifth_is_a_chord_and_a_cluster_is_not():
    seventh = {"S": [(0, 4, 77)], "A": [(0, 4, 71)], "T": [(0, 4, 67)], "B": [(0, 4, 55)]}  # G B F, G doubled
    assert F.piece_figures(seventh)["chord_beats_pct"] == 100.0
    assert F.piece_figures(seventh)["triad_beats_pct"] == 0.0
    cluster = {"S": [(0, 4, 74)], "A": [(0, 4, 72)], "T": [(0, 4, 64)], "B": [(0, 4, 50)]}  # D C E D
    assert F.piece_figures(cluster)["chord_beats_pct"] == 0.0
    assert F.piece_figures(cluster)["dissonant_beats_pct"] == 100.0


def test_pooling_adds_counts_rather_than_averaging_ratios():
    long_piece = F.piece_counts(chorale_like(), C_MAJOR)  # 8 beats, all chords
    short = F.piece_counts(case_voices(CASES[3]), C_MAJOR)  # 4 beats, none a chord
    summary = F.summarise([long_piece, short])
    assert summary["figures"]["chord_beats_pct"] == pytest.approx(100 * 8 / 12)
    assert summary["pieces"] == 2
    assert summary["ranges"]["B"] == [48, 55]
    json.dumps(summary)  # a reference can be stored in model.json as it is


def test_bootstrap_error_is_zero_for_identical_pieces_and_grows_with_spread():
    same = [F.piece_counts(chorale_like(), C_MAJOR)] * 10
    assert F.summarise(same, bootstrap=100)["standard_errors"]["chord_beats_pct"] == 0.0
    mixed = same[:5] + [F.piece_counts(case_voices(CASES[3]), C_MAJOR)] * 5
    error = F.summarise(mixed, bootstrap=400, seed=1)["standard_errors"]["chord_beats_pct"]
    # pooled share 8*5/(12*5) = 66.7 %; the error of a 10-piece mean of that spread is ~ 10-16 points
    assert 8.0 < error < 20.0
    assert (
        F.summarise(mixed, bootstrap=400, seed=1)["standard_errors"]
        == F.summarise(mixed, bootstrap=400, seed=1)["standard_errors"]
    )
    assert F.summarise(same[:1], bootstrap=50)["standard_errors"]["chord_beats_pct"] is None


def test_js_distance_is_zero_for_the_same_shape_and_one_for_disjoint_histograms():
    assert F.js_distance([1, 2, 3], [2, 4, 6]) == pytest.approx(0.0)
    assert F.js_distance([1, 0], [0, 5]) == pytest.approx(1.0)
    assert 0.0 < F.js_distance([3, 1], [1, 3]) < 1.0
    assert F.js_distance([0, 0], [1, 1]) is None


def test_histograms_count_accompaniment_notes_relative_to_the_tonic():
    histograms = F.piece_counts(case_voices(CASES[0]), (7, "major"))["histograms"]
    # ATB notes: A G A G G, T C C B E, B C F G C -> 12 notes, 4 of them G = the tonic of G major
    assert sum(histograms["pitch_class"]) == 12
    assert histograms["pitch_class"][0] == 4
    assert histograms["duration"][3] == 12  # all quarters (4 steps)
    assert histograms["interval"][F.INTERVAL_SPAN] == 2  # two repeated notes (A G-G, T C-C)


def random_voices(seed: int) -> dict[str, list[tuple[int, int, int]]]:
    rng = np.random.default_rng(seed)
    voices = {}
    for name, (low, high) in F.VOICE_RANGES.items():
        notes, t = [], 0
        while t < 32:
            length = int(rng.choice([1, 1, 2, 3]))
            notes.append((t, min(t + length, 32), int(rng.integers(low, high + 1))))
            t += length
        voices[name] = notes
    return voices


def test_similarity_index_is_one_for_the_reference_and_clearly_lower_for_random_music():
    real = F.summarise([F.piece_counts(chorale_like(), C_MAJOR), F.piece_counts(case_voices(CASES[0]), C_MAJOR)])
    assert F.similarity_index(real, real) == pytest.approx(1.0)
    noise = F.summarise([F.piece_counts(random_voices(seed), C_MAJOR) for seed in range(4)])
    assert F.similarity_index(noise, real) < 0.4
    nearly = F.summarise([F.piece_counts(chorale_like(), C_MAJOR), F.piece_counts(case_voices(CASES[1]), C_MAJOR)])
    assert F.similarity_index(noise, real) < F.similarity_index(nearly, real) < 1.0


def test_a_real_chorale_read_by_part_name_looks_like_bach():
    from music21 import corpus

    voices, key = F.voices_from_score(corpus.parse("bach/bwv66.6"))
    assert key == (6, "minor")  # F-sharp minor
    means = [np.mean([p for *_, p in voices[name]]) for name in F.VOICE_NAMES]
    assert means == sorted(means, reverse=True)
    figures = F.piece_figures(voices, key)
    assert figures["chord_beats_pct"] > 65
    assert figures["par58_note_per100"] < 0.5
    assert figures["step_share_B_pct"] > 40


def test_beat_table_names_the_notes_at_each_beat():
    voices = case_voices(CASES[5])  # stepwise_bass_8ths: C5 G4 E4 over C3 B2 A2 G2 A2 B2 C3 D3
    table = F.beat_table({"real": voices}, first_beat=0, beats=4).splitlines()
    assert table[0].split() == ["real", "S", "C5", "-", "-", "-"]
    assert table[3].split() == ["real", "B", "C3", "A2", "A2", "C3"]
