"""The style classifier: which style's accompaniment is this? It sees only the three accompaniment
tracks of a roll, never the melody, so a model cannot pass by the tune it was given.

A piece is cut into 4-bar windows (``WINDOW_STEPS`` 16ths) in which the accompaniment sounds; each
window becomes a vector of figures a musician would name (``features``): the vertical intervals
between the accompaniment voices and how often they form a triad or a bare fifth, the melodic
intervals of each voice, note lengths and onsets (how often a voice moves, off the beat, together
with the others), and register and spacing. A multinomial logistic regression on standardised
figures (numpy, L2, class-balanced) is trained on the windows of the styles' training pieces; a
piece's style is the one with the highest mean log-probability over its windows.

Example::

    clf = StyleClassifier.fit(windows, labels, STYLE_IDS)
    clf.classify_piece(roll)             # 'madrigal'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WINDOW_STEPS = 64  # 4 bars of 4/4 in 16ths
ACCOMPANIMENT = (1, 2, 3)
DURATION_BINS = (1, 2, 3, 4, 6, 8, 12, 16)  # note lengths in 16ths: the upper edge of each bin, then longer
INTERVAL_BINS = 13  # melodic leaps 1..12 semitones, then wider
L2 = 1e-2
STEPS = 800
RATE = 0.5


def windows(roll: np.ndarray, steps: int = WINDOW_STEPS) -> list[np.ndarray]:
    """Consecutive whole windows of a ``(steps, 128, 4)`` roll in which an accompaniment track sounds."""
    out = []
    for start in range(0, roll.shape[0] - steps + 1, steps):
        window = roll[start : start + steps]
        if window[:, :, list(ACCOMPANIMENT)].any():
            out.append(window)
    return out


def _voice_line(track: np.ndarray) -> np.ndarray:
    """The highest sounding pitch per step of one track, -1 where it rests."""
    sounding = track.any(axis=1)
    top = track.shape[1] - 1 - np.argmax(track[:, ::-1], axis=1)
    return np.where(sounding, top, -1)


def _notes(line: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, length, pitch) runs of one voice line (a held pitch is one note)."""
    notes: list[tuple[int, int, int]] = []
    start = 0
    for t in range(1, len(line) + 1):
        if t == len(line) or line[t] != line[start]:
            if line[start] >= 0:
                notes.append((start, t - start, int(line[start])))
            start = t
    return notes


def _share(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else counts.astype(np.float64)


def features(window: np.ndarray) -> np.ndarray:
    """The figures of one window's accompaniment (tracks 1-3; the melody track is never read)."""
    lines = np.stack([_voice_line(window[:, :, v]) for v in ACCOMPANIMENT])  # (3, steps)
    steps = lines.shape[1]
    vertical = np.zeros(7)
    triads = fifths = full = 0
    for t in range(steps):
        pitches = sorted(int(p) for p in lines[:, t] if p >= 0)
        for i in range(len(pitches)):
            for j in range(i + 1, len(pitches)):
                ic = (pitches[j] - pitches[i]) % 12
                vertical[min(ic, 12 - ic)] += 1
        if len(pitches) == 3:
            full += 1
            classes = {p % 12 for p in pitches}
            intervals = {(b - a) % 12 for a in classes for b in classes if a != b}
            triads += bool(intervals & {3, 4, 8, 9}) and len(classes) == 3
            fifths += not (intervals & {3, 4, 8, 9})
    melodic = np.zeros(INTERVAL_BINS + 1)
    durations = np.zeros(len(DURATION_BINS) + 1)
    onsets = np.zeros(steps)
    off_beat = notes_total = repeats = 0
    register, sounding_share = [], []
    for line in lines:
        notes = _notes(line)
        sounding_share.append(float((line >= 0).mean()))
        register.append(float(line[line >= 0].mean()) / 127 if (line >= 0).any() else 0.0)
        for k, (start, length, pitch) in enumerate(notes):
            durations[int(np.searchsorted(DURATION_BINS, length))] += 1
            onsets[start] += 1
            off_beat += start % 4 != 0
            notes_total += 1
            if k and notes[k - 1][0] + notes[k - 1][1] == start:
                leap = abs(pitch - notes[k - 1][2])
                melodic[min(leap, INTERVAL_BINS)] += 1
                repeats += leap == 0
    together = float((onsets >= 2).sum() / max((onsets >= 1).sum(), 1))
    spacing = [
        float(np.mean(np.abs(a[(a >= 0) & (b >= 0)] - b[(a >= 0) & (b >= 0)]))) / 24
        if ((a >= 0) & (b >= 0)).any()
        else 0.0
        for a, b in ((lines[0], lines[1]), (lines[1], lines[2]), (lines[0], lines[2]))
    ]
    return np.concatenate(
        [
            _share(vertical),
            [triads / max(full, 1), fifths / max(full, 1), full / steps],
            _share(melodic),
            _share(durations),
            [notes_total / steps, off_beat / max(notes_total, 1), together, repeats / max(notes_total, 1)],
            register,
            spacing,
            sounding_share,
        ]
    )


@dataclass
class StyleClassifier:
    """Softmax regression over standardised window figures."""

    styles: list[str]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # (features + 1, styles)

    @classmethod
    def fit(cls, x: np.ndarray, labels: Sequence[str], styles: Sequence[str]) -> StyleClassifier:
        """Full-batch gradient descent on the class-balanced cross-entropy plus ``L2``."""
        styles = list(styles)
        y = np.array([styles.index(label) for label in labels])
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
        z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
        counts = np.bincount(y, minlength=len(styles)).astype(np.float64)
        sample_weight = (len(y) / (len(styles) * np.maximum(counts, 1)))[y]
        onehot = np.eye(len(styles))[y]
        w = np.zeros((z.shape[1], len(styles)))
        for _ in range(STEPS):
            p = _softmax(z @ w)
            gradient = z.T @ ((p - onehot) * sample_weight[:, None]) / len(y) + L2 * w
            w -= RATE * gradient
        return cls(styles, mean, scale, w)

    def log_probabilities(self, x: np.ndarray) -> np.ndarray:
        z = np.hstack([(x - self.mean) / self.scale, np.ones((len(x), 1))])
        return np.log(_softmax(z @ self.weights) + 1e-12)

    def predict(self, x: np.ndarray) -> list[str]:
        return [self.styles[i] for i in self.log_probabilities(x).argmax(axis=1)]

    def classify_piece(self, roll: np.ndarray) -> str | None:
        """The style of a whole roll: the highest mean log-probability over its windows."""
        cut = windows(roll)
        if not cut:
            return None
        scores = self.log_probabilities(np.stack([features(w) for w in cut])).mean(axis=0)
        return self.styles[int(scores.argmax())]

    def save(self, file: Path) -> None:
        file.write_text(
            json.dumps(
                {
                    "styles": self.styles,
                    "mean": self.mean.tolist(),
                    "scale": self.scale.tolist(),
                    "weights": self.weights.tolist(),
                }
            )
        )

    @classmethod
    def load(cls, file: Path) -> StyleClassifier:
        data = json.loads(file.read_text())
        return cls(data["styles"], np.array(data["mean"]), np.array(data["scale"]), np.array(data["weights"]))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    out: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return out


def confusion(truth: Sequence[str], predicted: Sequence[str | None], styles: Sequence[str]) -> list[list[int]]:
    """Rows: the true style; columns: the predicted one (in ``styles`` order)."""
    matrix = [[0] * len(styles) for _ in styles]
    for t, p in zip(truth, predicted, strict=True):
        if p is not None:
            matrix[list(styles).index(t)][list(styles).index(p)] += 1
    return matrix
