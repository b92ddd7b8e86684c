"""Music figures: harmony, voice leading and rhythm of four-voice music, measured note by note.

Coarse piano-roll statistics (empty bars, pitch classes per bar, in-key share) cannot hear parallel
octaves, clusters, flickering 16ths or a bass that never walks, so these figures measure what a
musician listens for. Every definition is written out in ``model/FIGURES.md``; the unit tests hold
them to the independent reference cases in ``tests/data/music_figures_cases.json``.

Input is four voices S, A, T, B, each a list of notes ``(start_step, end_step, pitch)`` (end
exclusive) on a 16th grid (``STEPS_PER_BEAT`` = 4 steps per beat), plus the key ``(tonic_pc, mode)``
where a figure needs it (only the pitch-class histogram does). ``voices_from_roll`` turns the binary
roll form of the data layer into voices.

Each ratio figure is kept as a count pair (numerator, denominator) per piece, so that many pieces
are pooled by adding counts (a long piece weighs more than a short one, as a listener hears it), and
a piece bootstrap gives each pooled figure its standard error. A figure whose denominator is 0 is
``None``.

Similarity index (in [0, 1], 1 = the reference's values)::

    index = mean over the figures f in SCALES of max(0, 1 - |model_f - reference_f| / SCALES[f])

where the Jensen-Shannon distances enter with reference value 0 (the reference against itself).
Figures that are ``None`` on either side are left out of the mean. Each scale is about the distance
between real Bach and the first shipped ``bach-chorales`` model on 86 held-out segments (chord
beats 78 % vs 42 %, parallels 0.03 vs 1.05 per 100, hollow 5 % vs 17 %, unprepared dissonance
0.5 % vs 4.3 %, 16ths 4 % vs 30 %, off-8th onsets 2 % vs 34 %, bass steps 68 % vs 24 %): a model as
far from the reference as that one scores about 0 on the figure, one at the project's quality bar
(chord >= 70 %, parallels <= 0.3, hollow <= 8 %, unprepared <= 1.5 %, 16ths <= 10 %, off-8th <= 8 %,
bass steps >= 50 %) about 0.7-0.8. Crossing, spacing and the distances were not measured on that
model: their scales are about the gap between real chorales and random notes in SATB ranges
(crossing 0.6 % vs 19 %, spacing 1.1 % vs 23 %) and, for the distances, a little under the gap to
the rule baseline (duration 0.58, interval 0.47; two halves of the held-out chorales are 0.05-0.07
apart). Calibration (held-out chorales as the reference, see ``model/FIGURES.md``): a disjoint half
of them scores 0.95, one real 8-bar segment about 0.80 (a small sample's histograms are noisy),
the rule baseline 0.61, random accompaniment 0.23.

Example::

    from model import figures as F
    piece = F.piece_counts(voices, key=(7, "major"))
    summary = F.summarise([piece])
    summary["figures"]["chord_beats_pct"]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from music21 import stream


STEPS_PER_BEAT = 4
VOICE_NAMES = ("S", "A", "T", "B")
ACCOMPANIMENT = ("A", "T", "B")
Note = tuple[int, int, int]
Voices = Mapping[str, Sequence[Note]]
Key = tuple[int, str]

# The usual SATB ranges (MIDI pitches, inclusive): C4-G5, G3-D5, C3-G4, E2-C4.
VOICE_RANGES = {"S": (60, 79), "A": (55, 74), "T": (48, 67), "B": (40, 60)}
DISSONANT_ABOVE_BASS = frozenset({1, 2, 5, 6, 10, 11})  # 2nds, 4th, tritone, 7ths (mod 12)
TRIADS = (frozenset({0, 4, 7}), frozenset({0, 3, 7}), frozenset({0, 3, 6}))
SEVENTHS = (frozenset({0, 4, 7, 10}), frozenset({0, 4, 10}), frozenset({0, 3, 6, 9}))
DURATION_BINS = 16  # 1..16 steps; longer notes fall into the last bin
INTERVAL_SPAN = 12  # melodic intervals -12..+12; wider leaps fall into the end bins

COUNTED = (
    "par58_note_per100",
    "par5_note_per100",
    "par8_note_per100",
    "chord_beats_pct",
    "triad_beats_pct",
    "hollow_beats_pct",
    "unprepared_diss_beats_pct",
    "dissonant_beats_pct",
    "sixteenth_A_pct",
    "sixteenth_T_pct",
    "sixteenth_B_pct",
    "onsets_ATB_off_8th_grid_pct",
    "step_share_B_pct",
    "crossing_pct",
    "spacing_viol_pct",
    "out_of_range_pct",
)
# The 16th share of the accompaniment is the mean of the three voices' shares (each a share of that
# voice's notes), as the reference cases define it: one flickering voice is a third of the figure
# however many notes it has.
MEAN_OF = {"sixteenth_share_ATB_pct": ("sixteenth_A_pct", "sixteenth_T_pct", "sixteenth_B_pct")}
RATIOS = COUNTED + tuple(MEAN_OF)
HISTOGRAMS = {"duration": DURATION_BINS, "pitch_class": 12, "interval": 2 * INTERVAL_SPAN + 1}
DISTANCES = tuple(f"js_{name}" for name in HISTOGRAMS)
SCALES = {
    "chord_beats_pct": 40.0,
    "par58_note_per100": 1.0,
    "hollow_beats_pct": 15.0,
    "unprepared_diss_beats_pct": 5.0,
    "sixteenth_share_ATB_pct": 25.0,
    "onsets_ATB_off_8th_grid_pct": 30.0,
    "step_share_B_pct": 45.0,
    "crossing_pct": 10.0,
    "spacing_viol_pct": 20.0,
    "js_duration": 0.5,
    "js_pitch_class": 0.5,
    "js_interval": 0.5,
}


# --- converters ---------------------------------------------------------------------------------


def voices_from_roll(roll: np.ndarray) -> dict[str, list[Note]]:
    """Voices from a binary roll ``(steps, 128, 4)`` (tracks S, A, T, B).

    A note is a run of steps on one pitch; where a track sounds several pitches at a step, its
    highest is taken (a voice sings one note). A binary roll cannot tell a repeated note from a
    held one, so repeated notes come back as one long note.
    """
    active = np.asarray(roll) > 0
    steps = active.shape[0]
    # the highest sounding pitch per step and voice, -1 where the voice rests: (steps, voices);
    # argmax finds the first sounding pitch from the top, and whether that cell sounds tells a rest
    downwards = active[:, ::-1, :]
    first = downwards.argmax(axis=1)
    sounds = np.take_along_axis(downwards, first[:, None, :], axis=1)[:, 0, :]
    top = np.where(sounds, active.shape[1] - 1 - first, -1)
    voices: dict[str, list[Note]] = {}
    for v, name in enumerate(VOICE_NAMES):
        if steps == 0:
            voices[name] = []
            continue
        column = top[:, v]
        changes = np.flatnonzero(column[1:] != column[:-1]) + 1
        starts = np.concatenate(([0], changes))
        stops = np.concatenate((changes, [steps]))
        pitches = column[starts]
        kept = pitches >= 0
        voices[name] = list(zip(starts[kept].tolist(), stops[kept].tolist(), pitches[kept].tolist(), strict=True))
    return voices


def voices_to_roll(voices: Voices, steps: int | None = None) -> np.ndarray:
    """The binary roll ``(steps, 128, 4)`` of four voices (the data layer's roll form)."""
    end = max((n[1] for name in VOICE_NAMES for n in voices.get(name, ())), default=0)
    roll = np.zeros((steps if steps is not None else end, 128, len(VOICE_NAMES)), dtype=bool)
    for v, name in enumerate(VOICE_NAMES):
        for start, stop, pitch in voices.get(name, ()):
            roll[start:stop, pitch, v] = True
    return roll


def _grid(voices: Voices) -> tuple[np.ndarray, np.ndarray]:
    """Pitch per voice and step (-1 = rest) and where notes start, shape ``(4, steps)``."""
    steps = max((n[1] for name in VOICE_NAMES for n in voices.get(name, ())), default=0)
    pitch = np.full((len(VOICE_NAMES), steps), -1, dtype=np.int64)
    onset = np.zeros((len(VOICE_NAMES), steps), dtype=bool)
    for v, name in enumerate(VOICE_NAMES):
        for start, stop, p in voices.get(name, ()):
            pitch[v, start:stop] = p
            onset[v, start] = True
    return pitch, onset


# --- one piece ----------------------------------------------------------------------------------


@cache
def _pairs(voices: int) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower voice of every voice pair (numpy builds these slowly, so once)."""
    return np.triu_indices(voices, 1)


def _parallels(pitch: np.ndarray) -> dict[str, tuple[int, int]]:
    """Parallel 5ths and octaves over all six voice pairs, per pair transition where one moves.

    A pair's sonority changes whenever either voice changes pitch; a rest in either voice ends
    the run, so nothing is compared across a rest.
    """
    upper, lower = _pairs(pitch.shape[0])
    a, b = pitch[upper], pitch[lower]  # (pairs, steps)
    both = (a >= 0) & (b >= 0)
    da, db = np.diff(a, axis=1), np.diff(b, axis=1)
    moves = both[:, 1:] & both[:, :-1] & ((da != 0) | (db != 0))
    same_way = moves & (da * db > 0)
    before, after = np.abs(a[:, :-1] - b[:, :-1]) % 12, np.abs(a[:, 1:] - b[:, 1:]) % 12
    fifths = int(np.count_nonzero(same_way & (before == 7) & (after == 7)))
    octaves = int(np.count_nonzero(same_way & (before == 0) & (after == 0)))
    transitions = int(np.count_nonzero(moves))
    return {
        "par58_note_per100": (fifths + octaves, transitions),
        "par5_note_per100": (fifths, transitions),
        "par8_note_per100": (octaves, transitions),
    }


def _sonorities(shapes: Sequence[frozenset[int]]) -> np.ndarray:
    """A table over the 4,096 pitch-class sets (as 12-bit masks): whether the set is one of the
    shapes (pitch-class sets above a root 0) on some root, i.e. one of their transpositions."""
    table = np.zeros(1 << 12, dtype=bool)
    table[[sum(1 << ((pc + root) % 12) for pc in shape) for shape in shapes for root in range(12)]] = True
    return table


IS_TRIAD = _sonorities(TRIADS)
IS_CHORD = _sonorities(TRIADS + SEVENTHS)
IS_DISSONANT = np.isin(np.arange(12), sorted(DISSONANT_ABOVE_BASS))  # by interval above the bass, mod 12


def _rotated(mask: np.ndarray, semitones: int) -> np.ndarray:
    """Pitch-class masks moved up by ``semitones``."""
    return ((mask << semitones) | (mask >> (12 - semitones))) & 0xFFF


def _beats(pitch: np.ndarray) -> dict[str, tuple[int, int]]:
    """Figures read at every beat onset: the sonority, dissonance against the lowest note,
    crossing of adjacent voices and spacing of the upper voices.

    All beats at once, as arrays over the beat onsets: a sonority is its 12-bit pitch-class mask,
    and a note is prepared when it is held, repeated or approached by step from the previous 16th."""
    onsets = np.arange(0, pitch.shape[1], STEPS_PER_BEAT)
    columns = pitch[:, onsets]  # (voices, beat onsets)
    kept = (columns >= 0).any(axis=0)
    onsets, columns = onsets[kept], columns[:, kept]
    sounding = columns >= 0
    beats = columns.shape[1]
    mask = np.bitwise_or.reduce(np.where(sounding, 1 << (columns % 12), 0), axis=0)
    has_third = (mask & (_rotated(mask, 3) | _rotated(mask, 4))) != 0
    lowest = np.where(sounding, columns, np.iinfo(columns.dtype).max)
    bottom = lowest.min(axis=0, initial=np.iinfo(columns.dtype).max)
    # the lowest note's voice; the lower voice (the higher index) on a tie
    low = columns.shape[0] - 1 - np.argmax((lowest == bottom)[::-1], axis=0)
    clashes = sounding & IS_DISSONANT[(columns - bottom) % 12]
    previous = np.where(onsets > 0, pitch[:, np.maximum(onsets - 1, 0)], -1)
    prepared = (previous >= 0) & (np.abs(columns - previous) <= 2)
    low_prepared = prepared[low, np.arange(beats)]
    up, down = columns[:-1], columns[1:]
    pairs = sounding[:-1] & sounding[1:]  # adjacent voices, both sounding
    upper = pairs[:2]  # S-A and A-T within an octave; the bass may lie further off
    counts = {
        "chord": IS_CHORD[mask],
        "triad": IS_TRIAD[mask],
        "hollow": (sounding.sum(axis=0) >= 3) & ~has_third,
        "dissonant": clashes.any(axis=0),
        "unprepared": (clashes & ~prepared).any(axis=0) & ~low_prepared,
        "crossed": pairs & (up < down),
        "pairs": pairs,
        "wide": upper & (up[:2] - down[:2] > 12),
        "upper": upper,
    }
    total = {name: int(np.count_nonzero(value)) for name, value in counts.items()}
    return {
        "chord_beats_pct": (total["chord"], beats),
        "triad_beats_pct": (total["triad"], beats),
        "hollow_beats_pct": (total["hollow"], beats),
        "dissonant_beats_pct": (total["dissonant"], beats),
        "unprepared_diss_beats_pct": (total["unprepared"], beats),
        "crossing_pct": (total["crossed"], total["pairs"]),
        "spacing_viol_pct": (total["wide"], total["upper"]),
    }


def _notes_and_rhythm(voices: Voices) -> dict[str, tuple[int, int]]:
    accompaniment = [n for name in ACCOMPANIMENT for n in voices.get(name, ())]
    sixteenths = {
        f"sixteenth_{name}_pct": (
            sum(stop - start == 1 for start, stop, _ in voices.get(name, ())),
            len(voices.get(name, ())),
        )
        for name in ACCOMPANIMENT
    }
    off_grid = sum(start % 2 == 1 for start, _, _ in accompaniment)
    bass = [p for _, _, p in voices.get("B", ())]
    moves = [abs(b - a) for a, b in zip(bass, bass[1:], strict=False) if b != a]
    outside = sum(
        not VOICE_RANGES[name][0] <= p <= VOICE_RANGES[name][1]
        for name in VOICE_NAMES
        for _, _, p in voices.get(name, ())
    )
    return {
        **sixteenths,
        "onsets_ATB_off_8th_grid_pct": (off_grid, len(accompaniment)),
        "step_share_B_pct": (sum(m <= 2 for m in moves), len(moves)),
        "out_of_range_pct": (outside, sum(len(voices.get(name, ())) for name in VOICE_NAMES)),
    }


def _histograms(voices: Voices, key: Key | None) -> dict[str, np.ndarray]:
    """Duration, pitch-class (relative to the tonic) and melodic-interval counts of the
    accompaniment's notes (the melody is given, so only the accompaniment tells models apart)."""
    duration = np.zeros(HISTOGRAMS["duration"])
    pitch_class = np.zeros(HISTOGRAMS["pitch_class"])
    interval = np.zeros(HISTOGRAMS["interval"])
    for name in ACCOMPANIMENT:
        notes = np.array(voices.get(name, ()), dtype=np.int64).reshape(-1, 3)
        starts, stops, pitches = notes.T
        duration += np.bincount(np.minimum(stops - starts, DURATION_BINS) - 1, minlength=DURATION_BINS)
        if key is not None:
            pitch_class += np.bincount((pitches - key[0]) % 12, minlength=12)
        leaps = np.clip(np.diff(pitches), -INTERVAL_SPAN, INTERVAL_SPAN) + INTERVAL_SPAN
        interval += np.bincount(leaps, minlength=HISTOGRAMS["interval"])
    return {"duration": duration, "pitch_class": pitch_class, "interval": interval}


def piece_counts(voices: Voices, key: Key | None = None) -> dict[str, Any]:
    """The count pairs, histograms and ranges of one piece: what ``summarise`` pools.

    ``key`` is ``(tonic_pc, mode)``; without it the pitch-class histogram stays empty.
    """
    pitch, _ = _grid(voices)
    ratios = {**_parallels(pitch), **_beats(pitch), **_notes_and_rhythm(voices)}
    ranges = {
        name: [min(p for *_, p in voices[name]), max(p for *_, p in voices[name])] if voices.get(name) else None
        for name in VOICE_NAMES
    }
    return {
        "counts": {name: list(ratios[name]) for name in COUNTED},
        "histograms": _histograms(voices, key),
        "ranges": ranges,
    }


def _ratios(totals: np.ndarray) -> dict[str, np.ndarray]:
    """Each figure from count pairs ``(..., len(COUNTED), 2)``; NaN where there is no denominator."""
    numerator, denominator = totals[..., 0], totals[..., 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(denominator > 0, 100.0 * numerator / denominator, np.nan)
    figures = {name: values[..., i] for i, name in enumerate(COUNTED)}
    for name, parts in MEAN_OF.items():
        stacked = np.stack([figures[part] for part in parts])
        defined = ~np.isnan(stacked)
        figures[name] = np.where(
            defined.any(axis=0), np.nansum(stacked, axis=0) / np.maximum(defined.sum(axis=0), 1), np.nan
        )
    return figures


def _plain(value: np.ndarray) -> float | None:
    return None if np.isnan(value) else float(value)


def _totals(pieces: Sequence[dict[str, Any]]) -> np.ndarray:
    """``(pieces, len(COUNTED), 2)`` count pairs."""
    rows = [[piece["counts"][name] for name in COUNTED] for piece in pieces]
    return np.array(rows, dtype=float).reshape(len(pieces), len(COUNTED), 2)


def piece_figures(voices: Voices, key: Key | None = None) -> dict[str, float | None]:
    """Every ratio figure of one piece (percent or per 100 transitions; ``None`` = no denominator)."""
    figures = _ratios(_totals([piece_counts(voices, key)])[0])
    return {name: _plain(figures[name]) for name in RATIOS}


# --- many pieces --------------------------------------------------------------------------------


def summarise(pieces: Sequence[dict[str, Any]], bootstrap: int = 0, seed: int = 0) -> dict[str, Any]:
    """Pooled figures of many pieces (each from ``piece_counts``), JSON-ready.

    Counts are added over pieces before dividing. With ``bootstrap`` > 0 each figure also gets a
    standard error from that many piece-bootstrap resamples (``standard_errors``).
    """
    totals = _totals(pieces)
    pooled = totals.sum(axis=0)
    figures = _ratios(pooled)
    ranges = {}
    for name in VOICE_NAMES:
        spans = [piece["ranges"][name] for piece in pieces if piece["ranges"][name] is not None]
        ranges[name] = [min(s[0] for s in spans), max(s[1] for s in spans)] if spans else None
    summary = {
        "pieces": len(pieces),
        "figures": {name: _plain(figures[name]) for name in RATIOS},
        "counts": {name: pooled[i].tolist() for i, name in enumerate(COUNTED)},
        "histograms": {
            name: np.sum([piece["histograms"][name] for piece in pieces], axis=0).tolist() if pieces else [0.0] * size
            for name, size in HISTOGRAMS.items()
        },
        "ranges": ranges,
    }
    if bootstrap > 0:
        summary["standard_errors"] = standard_errors(totals, bootstrap, seed)
    return summary


def standard_errors(totals: np.ndarray, resamples: int = 200, seed: int = 0) -> dict[str, float | None]:
    """Piece-bootstrap standard error of each pooled figure: resample pieces with replacement,
    pool again, take the spread. ``totals`` is ``(pieces, len(COUNTED), 2)`` as ``summarise``
    builds it. ``None`` where fewer than two pieces or resamples give the figure."""
    if len(totals) < 2:
        return dict.fromkeys(RATIOS)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(totals), size=(resamples, len(totals)))
    figures = _ratios(totals[picks].sum(axis=1))  # each (resamples,)
    errors: dict[str, float | None] = {}
    for name in RATIOS:
        values = figures[name][~np.isnan(figures[name])]
        errors[name] = float(np.std(values, ddof=1)) if len(values) >= 2 else None
    return errors


def js_distance(p: Sequence[float], q: Sequence[float]) -> float | None:
    """Jensen-Shannon distance (square root of the divergence, base 2: 0 = same, 1 = disjoint) of
    two count histograms; ``None`` if either is empty."""
    a, b = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if a.sum() <= 0 or b.sum() <= 0:
        return None
    a, b = a / a.sum(), b / b.sum()
    m = (a + b) / 2

    def kl(x: np.ndarray) -> float:
        mask = x > 0
        return float(np.sum(x[mask] * np.log2(x[mask] / m[mask])))

    return float(np.sqrt(max(0.0, (kl(a) + kl(b)) / 2)))


def distances(summary: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, float | None]:
    """Jensen-Shannon distances of the pooled duration, pitch-class and interval histograms."""
    return {
        f"js_{name}": js_distance(summary["histograms"][name], reference["histograms"][name]) for name in HISTOGRAMS
    }


def similarity_index(summary: Mapping[str, Any], reference: Mapping[str, Any]) -> float | None:
    """How close a summary's figures are to a reference summary's, in [0, 1] (formula in the module
    docstring). The reference is the caller's: the held-out real pieces of the model's own corpus.
    ``None`` if no figure is defined on both sides."""
    values = {**summary["figures"], **distances(summary, reference)}
    targets = {**reference["figures"], **dict.fromkeys(DISTANCES, 0.0)}
    terms = [
        max(0.0, 1.0 - abs(values[name] - targets[name]) / scale)
        for name, scale in SCALES.items()
        if values.get(name) is not None and targets.get(name) is not None
    ]
    return float(np.mean(terms)) if terms else None


NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def note_name(pitch: int) -> str:
    """Scientific pitch name of a MIDI pitch (60 = C4)."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def beat_table(versions: Mapping[str, Voices], first_beat: int = 0, beats: int = 8) -> str:
    """Note names at each beat onset, one row per version and voice, to read the music itself next
    to the real parts (a held note shows as ``-``, a rest as ``.``)."""
    lines = []
    for label, voices in versions.items():
        pitch, onset = _grid(voices)
        for v, name in enumerate(VOICE_NAMES):
            cells = []
            for t in range(first_beat * STEPS_PER_BEAT, (first_beat + beats) * STEPS_PER_BEAT, STEPS_PER_BEAT):
                inside = t < pitch.shape[1]
                p = int(pitch[v, t]) if inside else -1
                cells.append("." if p < 0 else (note_name(p) if onset[v, t] else "-"))
            lines.append(f"{label:>10} {name}  " + " ".join(f"{c:>4}" for c in cells))
    return "\n".join(lines)


def voices_from_score(score: stream.Score) -> tuple[dict[str, list[Note]], Key]:
    """Voices S, A, T, B of a music21 score, taken by part name, and its key (music21's analysis).

    Parts named Soprano, Alto, Tenor and Bass are used (instrumental descants are not voices);
    a chord keeps its top note, ties are merged and a pickup bar is padded so that step 0 is a
    downbeat. Raises ``ValueError`` if a voice part is missing.
    """
    parts = {}
    for part in score.parts:
        label = str(part.partName or part.id or "").lower()
        for name, word in zip(VOICE_NAMES, ("soprano", "alto", "tenor", "bass"), strict=False):
            if word in label and name not in parts:
                parts[name] = part
    missing = [name for name in VOICE_NAMES if name not in parts]
    if missing:
        raise ValueError(f"no part named for voice(s) {missing}")
    first = parts["S"].getElementsByClass("Measure").first()
    padding = float(getattr(first, "paddingLeft", 0.0) or 0.0) if first is not None else 0.0
    voices: dict[str, list[Note]] = {}
    for name, part in parts.items():
        notes = []
        for element in part.stripTies().flatten().notes:
            start = round((float(element.offset) + padding) * STEPS_PER_BEAT)
            stop = round((float(element.offset) + padding + float(element.quarterLength)) * STEPS_PER_BEAT)
            if stop > start and element.pitches:
                notes.append((start, stop, max(p.midi for p in element.pitches)))
        voices[name] = sorted(notes)
    analysed = score.analyze("key")
    return voices, (analysed.tonic.pitchClass, analysed.mode)
