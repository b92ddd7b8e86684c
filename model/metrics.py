"""Musical quality metrics and the similarity index: the one definition used by training, eval and
inference.

Every metric is computed per track on a *binarised* roll of shape ``(steps, 128, tracks)`` (track 0
is the melody), with bars of ``BAR_STEPS`` = 16 steps (a 4/4 bar at 4 steps per beat). A *note* of a
binary roll is a run of consecutive sounding steps on one pitch, which is exactly what the decoder
turns into MIDI, so the metrics judge what the listener hears.

- ``emptyBars``: fraction of bars in which the track plays nothing (lower = busier).
- ``pitchClasses``: mean, over the bars that have notes, of the number of distinct pitch classes.
- ``polyphony``: fraction of sounding steps on which the track sounds two or more pitches.
- ``inKey``: share of notes whose pitch class belongs to the key estimated from the melody.
  Keys are estimated with the Krumhansl-Kessler profiles on the melody's duration-weighted
  pitch-class histogram; a major key's scale is its 7 degrees, a minor key's is the natural minor
  plus the raised leading tone (harmonic minor's), 8 pitch classes.
- ``qualifiedNotes``: share of notes lasting at least ``QUALIFIED_STEPS`` = 3 steps.
- ``tonalDistance``: for each accompaniment track, the mean over bars where both it and the melody
  sound of the Euclidean distance between their 6-D tonal centroids (Harte, Sandler & Gasser 2006,
  radii 1, 1, 0.5) of the bar's duration-weighted, L1-normalised chroma.

A metric with nothing to measure (no notes, no non-empty bar) is NaN and aggregates skip it.

The **similarity index** (``similarity``) says how close a set of generated rolls is to real music
in [0, 1]: for each metric ``m`` and accompaniment track ``t`` whose real value is defined,
``d = |model - real| / scale`` with ``scale = 1`` for the rates (emptyBars, polyphony, inKey,
qualifiedNotes, all in [0, 1]) and ``scale = real`` for the unbounded ones (pitchClasses,
tonalDistance); an undefined model value counts as ``d = 1``. The index is ``1 - mean(min(d, 1))``:
1 means indistinguishable on every metric, 0 means off by the whole scale on every one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

BAR_STEPS = 16
QUALIFIED_STEPS = 3
METRICS = ("emptyBars", "pitchClasses", "polyphony", "inKey", "qualifiedNotes", "tonalDistance")
RATE_METRICS = frozenset({"emptyBars", "polyphony", "inKey", "qualifiedNotes"})

# Krumhansl-Kessler key profiles, index 0 = tonic.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10, 11)
PITCH_CLASS_NAMES = ("c", "c#", "d", "eb", "e", "f", "f#", "g", "ab", "a", "bb", "b")

_TONAL_ANGLES = np.arange(12)
_TONAL_MATRIX = np.stack(
    [
        np.sin(_TONAL_ANGLES * 7 * np.pi / 6),
        np.cos(_TONAL_ANGLES * 7 * np.pi / 6),
        np.sin(_TONAL_ANGLES * 3 * np.pi / 2),
        np.cos(_TONAL_ANGLES * 3 * np.pi / 2),
        0.5 * np.sin(_TONAL_ANGLES * 2 * np.pi / 3),
        0.5 * np.cos(_TONAL_ANGLES * 2 * np.pi / 3),
    ]
)  # (6, 12)


_PROFILES = np.stack([np.roll(profile, tonic) for profile in (_MAJOR_PROFILE, _MINOR_PROFILE) for tonic in range(12)])
_PROFILES_CENTRED = _PROFILES - _PROFILES.mean(axis=1, keepdims=True)
_PROFILES_CENTRED /= np.linalg.norm(_PROFILES_CENTRED, axis=1, keepdims=True)
_KEYS = [(tonic, mode) for mode in ("major", "minor") for tonic in range(12)]
_FOLD = (np.arange(128)[:, None] % 12 == np.arange(12)[None, :]).astype(np.float64)  # pitch -> pitch class


def chroma_per_step(track_roll: np.ndarray) -> np.ndarray:
    """(steps, 12): how many pitches of each class sound on each step."""
    roll = np.asarray(track_roll, dtype=bool)
    return roll.astype(np.float64) @ _FOLD[: roll.shape[1]]


def pitch_class_histogram(track_roll: np.ndarray) -> np.ndarray:
    """Sounding steps per pitch class of a ``(steps, 128)`` roll (duration-weighted)."""
    return np.asarray(track_roll, dtype=bool).sum(axis=0) @ _FOLD[: np.asarray(track_roll).shape[1]]


def estimate_key(histogram: np.ndarray) -> tuple[int, str] | None:
    """(tonic pitch class, "major" | "minor") best correlated with the histogram, None if silent.
    Ties go to the first of C..B major, then C..B minor."""
    histogram = np.asarray(histogram, dtype=float)
    if histogram.sum() <= 0 or np.ptp(histogram) == 0:
        return None
    centred = histogram - histogram.mean()
    scores = _PROFILES_CENTRED @ (centred / np.linalg.norm(centred))  # Pearson correlation with each key
    return _KEYS[int(np.argmax(scores))]


def key_name(key: tuple[int, str]) -> str:
    return f"{PITCH_CLASS_NAMES[key[0]]}-{key[1]}"


def scale_pitch_classes(key: tuple[int, str]) -> frozenset[int]:
    tonic, mode = key
    return frozenset((tonic + d) % 12 for d in (MAJOR_SCALE if mode == "major" else MINOR_SCALE))


def note_runs(track_roll: np.ndarray) -> list[tuple[int, int, int]]:
    """The notes of a binary ``(steps, pitches)`` roll as (start, pitch, length) runs."""
    sounding = np.asarray(track_roll, dtype=bool)
    padded = np.vstack([np.zeros((1, sounding.shape[1]), bool), sounding, np.zeros((1, sounding.shape[1]), bool)])
    change = np.diff(padded.astype(np.int8), axis=0)
    starts = np.argwhere(change == 1)
    ends = np.argwhere(change == -1)
    # argwhere orders by (step, pitch); sort both by (pitch, step) so starts and ends pair up.
    starts = starts[np.lexsort((starts[:, 0], starts[:, 1]))]
    ends = ends[np.lexsort((ends[:, 0], ends[:, 1]))]
    return [(int(s[0]), int(s[1]), int(e[0] - s[0])) for s, e in zip(starts, ends, strict=False)]


def _bar_chroma(track_roll: np.ndarray) -> np.ndarray:
    """(bars, 12) duration-weighted chroma of each bar; the last bar may be partial."""
    chroma = chroma_per_step(track_roll)
    bars = -(-chroma.shape[0] // BAR_STEPS)
    padded = np.zeros((bars * BAR_STEPS, 12))
    padded[: chroma.shape[0]] = chroma
    return padded.reshape(bars, BAR_STEPS, 12).sum(axis=1)


def empty_bar_rate(track_roll: np.ndarray) -> float:
    bars = _bar_chroma(track_roll)
    if not len(bars):
        return math.nan
    return float((bars.sum(axis=1) == 0).mean())


def pitch_classes_per_bar(track_roll: np.ndarray) -> float:
    bars = _bar_chroma(track_roll)
    counts = (bars > 0).sum(axis=1)
    counts = counts[counts > 0]
    return float(counts.mean()) if len(counts) else math.nan


def polyphony_rate(track_roll: np.ndarray) -> float:
    per_step = np.asarray(track_roll, dtype=bool).sum(axis=1)
    sounding = int((per_step >= 1).sum())
    return float((per_step >= 2).sum() / sounding) if sounding else math.nan


def _in_key(runs: list[tuple[int, int, int]], key: tuple[int, str] | None) -> float:
    if not runs or key is None:
        return math.nan
    scale = scale_pitch_classes(key)
    return sum(pitch % 12 in scale for _, pitch, _ in runs) / len(runs)


def _qualified(runs: list[tuple[int, int, int]]) -> float:
    if not runs:
        return math.nan
    return sum(length >= QUALIFIED_STEPS for _, _, length in runs) / len(runs)


def in_key_ratio(track_roll: np.ndarray, key: tuple[int, str] | None) -> float:
    return _in_key(note_runs(track_roll), key)


def qualified_note_rate(track_roll: np.ndarray) -> float:
    return _qualified(note_runs(track_roll))


def _centroids(bar_chroma: np.ndarray) -> np.ndarray:
    """(bars, 6) tonal centroids; NaN rows for silent bars."""
    totals = bar_chroma.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (bar_chroma / np.where(totals > 0, totals, np.nan)) @ _TONAL_MATRIX.T


def tonal_centroid(track_roll: np.ndarray) -> np.ndarray | None:
    chroma = pitch_class_histogram(track_roll)
    total = chroma.sum()
    if total <= 0:
        return None
    return _TONAL_MATRIX @ (chroma / total)


def _tonal_distance(melody_chroma: np.ndarray, track_chroma: np.ndarray) -> float:
    distances = np.linalg.norm(_centroids(melody_chroma) - _centroids(track_chroma), axis=1)
    distances = distances[~np.isnan(distances)]
    return float(distances.mean()) if len(distances) else math.nan


def tonal_distance(melody_roll: np.ndarray, track_roll: np.ndarray) -> float:
    return _tonal_distance(_bar_chroma(melody_roll), _bar_chroma(track_roll))


def track_metrics(roll: np.ndarray, key: tuple[int, str] | None = None) -> dict[str, list[float]]:
    """Every metric for every track of one ``(steps, 128, tracks)`` binary roll.

    ``key`` defaults to the key estimated from the melody (track 0). ``tonalDistance`` of the
    melody itself is NaN (it is measured against the melody).
    """
    roll = np.asarray(roll, dtype=bool)
    if key is None:
        key = estimate_key(pitch_class_histogram(roll[:, :, 0]))
    tracks = range(roll.shape[-1])
    bars = [_bar_chroma(roll[:, :, t]) for t in tracks]
    runs = [note_runs(roll[:, :, t]) for t in tracks]
    counts = [(b > 0).sum(axis=1) for b in bars]
    return {
        "emptyBars": [float((c == 0).mean()) if len(c) else math.nan for c in counts],
        "pitchClasses": [float(c[c > 0].mean()) if (c > 0).any() else math.nan for c in counts],
        "polyphony": [polyphony_rate(roll[:, :, t]) for t in tracks],
        "inKey": [_in_key(r, key) for r in runs],
        "qualifiedNotes": [_qualified(r) for r in runs],
        "tonalDistance": [math.nan] + [_tonal_distance(bars[0], bars[t]) for t in tracks if t > 0],
    }


def aggregate(per_roll: Iterable[dict[str, list[float]]]) -> dict[str, list[float]]:
    """Mean of each metric and track over many rolls, skipping undefined (NaN) values."""
    rows = list(per_roll)
    if not rows:
        return {}
    result = {}
    for name in METRICS:
        values = np.array([row[name] for row in rows], dtype=float)  # (rolls, tracks)
        with np.errstate(all="ignore"):
            counts = (~np.isnan(values)).sum(axis=0)
            sums = np.nansum(values, axis=0)
        result[name] = [float(s / c) if c else math.nan for s, c in zip(sums, counts, strict=False)]
    return result


def set_metrics(rolls: Iterable[np.ndarray]) -> dict[str, list[float]]:
    return aggregate(track_metrics(r) for r in rolls)


def similarity(model: dict[str, list[float]], real: dict[str, list[float]], tracks: Iterable[int] = (1, 2, 3)) -> float:
    """The similarity index (see the module docstring) of aggregated per-track metrics."""
    distances = []
    for name in METRICS:
        for t in tracks:
            r = real[name][t]
            if math.isnan(r):
                continue
            m = model[name][t]
            if math.isnan(m):
                distances.append(1.0)
                continue
            scale = 1.0 if name in RATE_METRICS else max(abs(r), 1e-9)
            distances.append(min(1.0, abs(m - r) / scale))
    return 1.0 - float(np.mean(distances)) if distances else math.nan


def summary(per_track: dict[str, list[float]], tracks: Iterable[int] = (1, 2, 3)) -> dict[str, float]:
    """One number per metric: the mean over the accompaniment tracks (NaN-skipping)."""
    tracks = list(tracks)
    out = {}
    for name in METRICS:
        values = [per_track[name][t] for t in tracks if not math.isnan(per_track[name][t])]
        out[name] = float(np.mean(values)) if values else math.nan
    return out


def finite(values: dict[str, float]) -> dict[str, float]:
    """Drop undefined metrics, for JSON and DynamoDB (which reject NaN)."""
    return {k: round(float(v), 4) for k, v in values.items() if v is not None and not math.isnan(v)}


def reference_to_json(reference: dict[str, list[float]]) -> dict[str, list[float | None]]:
    """Aggregated per-track metrics for ``model.json`` (NaN as null)."""
    return {k: [None if math.isnan(v) else round(v, 5) for v in vs] for k, vs in reference.items()}


def reference_from_json(data: dict) -> dict[str, list[float]]:
    """The inverse of ``reference_to_json``."""
    return {k: [math.nan if v is None else float(v) for v in vs] for k, vs in data.items()}
