"""The music figures (``model/figures.py``) applied to what the models make: whole-piece rolls in,
pooled figures, the similarity index against a model's own reference, and the few figures a
composition record and a training epoch show.

A model's *reference* is the summary of the held-out real pieces of its own training corpus,
recorded in its ``model.json`` with the paths it came from; every similarity index of that model
(per epoch, per composition, in ``make eval``) compares with it.

Example::

    reference = real_reference(held_out_rolls, held_out_paths)
    composition_metrics(roll, reference)["similarity"]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from model import figures as F
from model.keys import estimate_key, pitch_class_histogram
from shared.music.pianoroll import STEPS_PER_BEAT

BAR_STEPS = 4 * STEPS_PER_BEAT
SEGMENT_BARS = 8
# what a composition and a training epoch show: the figures the bar is set on
SHOWN = {
    "chordBeats": "chord_beats_pct",
    "parallels": "par58_note_per100",
    "hollowBeats": "hollow_beats_pct",
    "unpreparedDissonance": "unprepared_diss_beats_pct",
    "sixteenths": "sixteenth_share_ATB_pct",
    "offEighthOnsets": "onsets_ATB_off_8th_grid_pct",
    "bassSteps": "step_share_B_pct",
}


def roll_counts(roll: np.ndarray) -> dict[str, Any]:
    """The figures' count pairs of one ``(steps, 128, 4)`` roll (S, A, T, B), in the melody's key."""
    return F.piece_counts(F.voices_from_roll(roll), estimate_key(pitch_class_histogram(roll[:, :, 0])))


def summarise(rolls: Sequence[np.ndarray], bootstrap: int = 0, seed: int = 0) -> dict[str, Any]:
    return F.summarise([roll_counts(r) for r in rolls], bootstrap=bootstrap, seed=seed)


def segments(rolls: Sequence[np.ndarray], bars: int = SEGMENT_BARS) -> tuple[list[np.ndarray], list[int]]:
    """Consecutive whole segments of ``bars`` bars (in which the melody sounds) and the index of
    the piece each came from."""
    steps = bars * BAR_STEPS
    out, owners = [], []
    for i, roll in enumerate(rolls):
        for start in range(0, roll.shape[0] - steps + 1, steps):
            segment = roll[start : start + steps]
            if segment[:, :, 0].any():
                out.append(segment)
                owners.append(i)
    return out, owners


def real_reference(rolls: Sequence[np.ndarray], paths: Sequence[str]) -> dict[str, Any]:
    """A model's similarity reference: the pooled figures of real held-out 8-bar segments."""
    pieces, _ = segments(rolls)
    summary = summarise(pieces or list(rolls))
    return {
        "figures": summary["figures"],
        "histograms": summary["histograms"],
        "segments": summary["pieces"],
        "heldOut": sorted(paths),
    }


def similarity(summary: Mapping[str, Any], reference: Mapping[str, Any]) -> float | None:
    """The similarity index (``model/figures.py``) of a summary against a model's reference."""
    if not reference.get("figures"):
        return None
    return F.similarity_index(summary, reference)


def shown(summary: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, float]:
    """The figures a composition or an epoch shows, plus the similarity index; undefined ones left out."""
    values = {name: summary["figures"].get(figure) for name, figure in SHOWN.items()}
    values["similarity"] = similarity(summary, reference)
    return {k: round(float(v), 4) for k, v in values.items() if v is not None and np.isfinite(v)}


def composition_metrics(roll: np.ndarray, reference: Mapping[str, Any]) -> dict[str, float]:
    return shown(F.summarise([roll_counts(roll)]), reference)


def merge_counts(pieces: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several ``piece_counts`` of one piece (its segments, its seeds) as one: counts and
    histograms added, ranges widened. The piece bootstrap resamples these."""
    counts = {name: np.sum([p["counts"][name] for p in pieces], axis=0).tolist() for name in F.COUNTED}
    histograms = {name: np.sum([p["histograms"][name] for p in pieces], axis=0) for name in F.HISTOGRAMS}
    ranges = {}
    for name in F.VOICE_NAMES:
        spans = [p["ranges"][name] for p in pieces if p["ranges"][name] is not None]
        ranges[name] = [min(s[0] for s in spans), max(s[1] for s in spans)] if spans else None
    return {"counts": counts, "histograms": histograms, "ranges": ranges}


def by_piece(rolls: Sequence[np.ndarray], owners: Sequence[int]) -> list[dict[str, Any]]:
    """The count pairs of many segment rolls, merged per owning piece."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for roll, owner in zip(rolls, owners, strict=True):
        grouped.setdefault(owner, []).append(roll_counts(roll))
    return [merge_counts(parts) for _, parts in sorted(grouped.items())]
