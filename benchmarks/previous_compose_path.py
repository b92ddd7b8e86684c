"""The compose path's figures and MIDI writing as they were at commit cf9c60f, before they were
made fast: the yardstick of ``benchmarks/bench_compose_path.py`` (old and new alternated in one run)
and of the property test that the fast versions give the same results
(``tests/unit/test_figures_unchanged.py``). Nothing in the product imports this module.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from itertools import combinations
from types import ModuleType, SimpleNamespace
from typing import Any

import mido
import numpy as np

from model import figures as F
from model import output
from model import quality as Q
from model.figures import (
    ACCOMPANIMENT,
    DISSONANT_ABOVE_BASS,
    DURATION_BINS,
    HISTOGRAMS,
    INTERVAL_SPAN,
    SEVENTHS,
    STEPS_PER_BEAT,
    TRIADS,
    VOICE_NAMES,
    Key,
    Note,
    Voices,
)
from model.keys import estimate_key, pitch_class_histogram
from shared.music.pianoroll import DEFAULT_VELOCITY, HOLD, ONSET, step_to_ticks
from shared.music.score import Note as ScoreNote
from shared.music.score import Score


def voices_from_roll(roll: np.ndarray) -> dict[str, list[Note]]:
    """Voices from a binary roll ``(steps, 128, 4)`` (tracks S, A, T, B).

    A note is a run of steps on one pitch; where a track sounds several pitches at a step, its
    highest is taken (a voice sings one note). A binary roll cannot tell a repeated note from a
    held one, so repeated notes come back as one long note.
    """
    active = np.asarray(roll) > 0
    voices: dict[str, list[Note]] = {}
    for v, name in enumerate(VOICE_NAMES):
        track = active[:, :, v]
        sounding = track.any(axis=1)
        top = np.where(sounding, track.shape[1] - 1 - np.argmax(track[:, ::-1], axis=1), -1)
        notes: list[Note] = []
        start = 0
        for t in range(1, len(top) + 1):
            if t == len(top) or top[t] != top[start]:
                if top[start] >= 0:
                    notes.append((start, t, int(top[start])))
                start = t
        voices[name] = notes
    return voices


def _parallels(pitch: np.ndarray) -> dict[str, tuple[int, int]]:
    """Parallel 5ths and octaves over all six voice pairs, per pair transition where one moves.

    A pair's sonority changes whenever either voice changes pitch; a rest in either voice ends
    the run, so nothing is compared across a rest.
    """
    fifths = octaves = transitions = 0
    for i, j in combinations(range(pitch.shape[0]), 2):
        previous: tuple[int, int] | None = None
        for a, b in zip(pitch[i].tolist(), pitch[j].tolist(), strict=False):
            if a < 0 or b < 0:
                previous = None
                continue
            if previous is not None and (a, b) != previous:
                transitions += 1
                pa, pb = previous
                same_way = (a - pa) * (b - pb) > 0
                before, after = abs(pa - pb) % 12, abs(a - b) % 12
                if same_way and before == after == 7:
                    fifths += 1
                elif same_way and before == after == 0:
                    octaves += 1
            previous = (a, b)
    return {
        "par58_note_per100": (fifths + octaves, transitions),
        "par5_note_per100": (fifths, transitions),
        "par8_note_per100": (octaves, transitions),
    }


def _is_one_of(pitch_classes: set[int], shapes: Sequence[frozenset[int]]) -> bool:
    return any(frozenset((pc - root) % 12 for pc in pitch_classes) in shapes for root in pitch_classes)


def _prepared(pitch: np.ndarray, voice: int, t: int) -> bool:
    """Held or repeated from the previous 16th, or approached by step from it."""
    if t == 0 or pitch[voice, t - 1] < 0:
        return False
    return abs(int(pitch[voice, t]) - int(pitch[voice, t - 1])) <= 2


def _beats(pitch: np.ndarray) -> dict[str, tuple[int, int]]:
    """Figures read at every beat onset: the sonority, dissonance against the lowest note,
    crossing of adjacent voices and spacing of the upper voices."""
    counts = dict.fromkeys(
        ("chord", "triad", "hollow", "dissonant", "unprepared", "beats", "crossed", "pairs", "wide", "upper"), 0
    )
    for t in range(0, pitch.shape[1], STEPS_PER_BEAT):
        column = pitch[:, t]
        sounding = [v for v in range(len(column)) if column[v] >= 0]
        if not sounding:
            continue
        counts["beats"] += 1
        classes = {int(column[v]) % 12 for v in sounding}
        counts["triad"] += _is_one_of(classes, TRIADS)
        counts["chord"] += _is_one_of(classes, TRIADS + SEVENTHS)
        has_third = any((a - b) % 12 in (3, 4, 8, 9) for a, b in combinations(classes, 2))
        counts["hollow"] += len(sounding) >= 3 and not has_third
        low = max(sounding, key=lambda v: (-column[v], v))  # the lowest note; the lower voice on a tie
        clashes = [v for v in sounding if (column[v] - column[low]) % 12 in DISSONANT_ABOVE_BASS]
        counts["dissonant"] += bool(clashes)
        counts["unprepared"] += any(not _prepared(pitch, v, t) and not _prepared(pitch, low, t) for v in clashes)
        for upper, lower in zip(range(len(column) - 1), range(1, len(column)), strict=False):
            if column[upper] >= 0 and column[lower] >= 0:
                counts["pairs"] += 1
                counts["crossed"] += column[upper] < column[lower]
                if lower <= 2:  # S-A and A-T within an octave; the bass may lie further off
                    counts["upper"] += 1
                    counts["wide"] += column[upper] - column[lower] > 12
    beats = counts["beats"]
    return {
        "chord_beats_pct": (counts["chord"], beats),
        "triad_beats_pct": (counts["triad"], beats),
        "hollow_beats_pct": (counts["hollow"], beats),
        "dissonant_beats_pct": (counts["dissonant"], beats),
        "unprepared_diss_beats_pct": (counts["unprepared"], beats),
        "crossing_pct": (counts["crossed"], counts["pairs"]),
        "spacing_viol_pct": (counts["wide"], counts["upper"]),
    }


def _histograms(voices: Voices, key: Key | None) -> dict[str, np.ndarray]:
    """Duration, pitch-class (relative to the tonic) and melodic-interval counts of the
    accompaniment's notes (the melody is given, so only the accompaniment tells models apart)."""
    duration = np.zeros(HISTOGRAMS["duration"])
    pitch_class = np.zeros(HISTOGRAMS["pitch_class"])
    interval = np.zeros(HISTOGRAMS["interval"])
    for name in ACCOMPANIMENT:
        notes = list(voices.get(name, ()))
        for start, stop, p in notes:
            duration[min(stop - start, DURATION_BINS) - 1] += 1
            if key is not None:
                pitch_class[(p - key[0]) % 12] += 1
        for (_, _, a), (_, _, b) in zip(notes, notes[1:], strict=False):
            interval[int(np.clip(b - a, -INTERVAL_SPAN, INTERVAL_SPAN)) + INTERVAL_SPAN] += 1
    return {"duration": duration, "pitch_class": pitch_class, "interval": interval}


def piece_counts(voices: Voices, key: Key | None = None) -> dict[str, Any]:
    """``model.figures.piece_counts`` (unchanged) over the previous parts above."""
    with patched(F, _parallels=_parallels, _beats=_beats, _histograms=_histograms):
        return F.piece_counts(voices, key)


def roll_to_notes(roll: np.ndarray, ticks_per_beat: int, velocity: int = DEFAULT_VELOCITY) -> list[ScoreNote]:
    """Decode one track's ``(steps, pitches)`` roll. Works for coded rolls (onsets split repeated
    notes) and for binary rolls (each run of sounding steps is one note)."""
    coded = np.asarray(roll)
    if coded.dtype == bool:  # a binary roll carries no onsets: every cell is just "sounding"
        coded = coded.astype(np.uint8) * HOLD
    sounding = coded > 0
    previous = np.vstack([np.zeros((1, coded.shape[1]), dtype=bool), sounding[:-1]])
    starts = sounding & (~previous | (coded == ONSET))
    # a note ends at the first later step that is silent or starts a new note of its pitch
    stops = np.vstack([~sounding[1:] | starts[1:], np.ones((1, coded.shape[1]), dtype=bool)])
    notes = []
    for pitch in np.nonzero(starts.any(axis=0))[0]:
        stop_steps = np.nonzero(stops[:, pitch])[0]
        for step in np.nonzero(starts[:, pitch])[0]:
            end = int(stop_steps[np.searchsorted(stop_steps, step)]) + 1
            start = step_to_ticks(int(step), ticks_per_beat)
            notes.append(ScoreNote(start, int(pitch), step_to_ticks(end, ticks_per_beat) - start, velocity))
    return sorted(notes)


def write_midi(score: Score) -> bytes:
    """Serialise a score as a type-1 Standard MIDI File, one channel per track.

    Channel 9 is General MIDI percussion, so tracks skip it: track 9 plays on channel 10.
    """
    midi = mido.MidiFile(type=1, ticks_per_beat=score.ticks_per_beat)
    conductor = mido.MidiTrack()
    numerator, denominator = score.time_signature
    conductor.append(mido.MetaMessage("set_tempo", tempo=score.tempo_us, time=0))
    conductor.append(mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator, time=0))
    conductor.append(mido.MetaMessage("end_of_track", time=0))
    midi.tracks.append(conductor)
    for index, track in enumerate(score.tracks):
        channel = index if index < 9 else index + 1
        # note-offs (0) sort before note-ons (1) at the same tick so a repeated pitch re-strikes cleanly
        events = sorted(
            [(note.start, 1, note.pitch, note.velocity) for note in track.notes]
            + [(note.end, 0, note.pitch, 0) for note in track.notes],
            key=lambda e: (e[0], e[1]),
        )
        out = mido.MidiTrack()
        if track.name:
            out.append(mido.MetaMessage("track_name", name=track.name, time=0))
        out.append(mido.Message("program_change", channel=channel, program=track.program, time=0))
        last = 0
        for tick, on, pitch, velocity in events:
            kind = "note_on" if on else "note_off"
            out.append(mido.Message(kind, channel=channel, note=pitch, velocity=velocity, time=tick - last))
            last = tick
        out.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(out)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def roll_counts(roll: np.ndarray) -> dict[str, Any]:
    """``model.quality.roll_counts`` with the previous figures."""
    return piece_counts(voices_from_roll(roll), estimate_key(pitch_class_histogram(roll[:, :, 0])))


def composition_metrics(roll: np.ndarray, reference: Mapping[str, Any]) -> dict[str, float]:
    """``model.quality.composition_metrics`` with the previous figures."""
    return Q.shown(F.summarise([roll_counts(roll)]), reference)


def composition_result(melody: Score, score: Score, seed: int, metrics: dict[str, float]) -> dict[str, Any]:
    """``model.output.composition_result`` with the previous MIDI writer."""
    with patched(output, write_midi=write_midi):
        return output.composition_result(melody, score, seed, metrics)


@contextmanager
def patched(module: ModuleType, **names: Any) -> Iterator[None]:
    """The module's globals replaced for the duration (the benchmark's old/new switch)."""
    saved = {name: getattr(module, name) for name in names}
    for name, value in names.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def previous_compose() -> AbstractContextManager[None]:
    """``Composer.compose`` with the previous figures, roll decoding and MIDI writing; the
    generator and the decoder are the current ones."""
    from model.gan import compose

    return patched(
        compose,
        Q=SimpleNamespace(composition_metrics=composition_metrics),
        roll_to_notes=roll_to_notes,
        composition_result=composition_result,
    )
