"""The melody rules (DeepComposer's, and ours): one track, static tempo and meter, a bounded
length, and pitch/velocity/tempo in range. Each violation raises a ``MelodyRuleViolation`` whose
code names the rule and whose message says what to change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from shared.errors import MelodyRuleViolation, PayloadTooLarge
from shared.limits import MAX_BARS, MAX_BARS_FROM_COMPOSITION
from shared.music.midi_codec import ParsedMidi, read_midi
from shared.music.score import Note, Score, Track, tempo_us_from_bpm

MAX_MIDI_BYTES = 64 * 1024
MAX_NOTES = 1024
MIN_TEMPO_BPM = 40.0
MAX_TEMPO_BPM = 240.0
PITCH_RANGE = (0, 127)
VELOCITY_RANGE = (1, 127)
KEYBOARD_RANGE = (41, 72)  # the DeepComposer keyboard; the built-in samples stay inside it


@dataclass(frozen=True, slots=True)
class MelodyLimits:
    """The limits a deployment enforces; the defaults are DeepComposer's."""

    max_bars: int = MAX_BARS
    max_bytes: int = MAX_MIDI_BYTES
    max_notes: int = MAX_NOTES


DEFAULT_LIMITS = MelodyLimits()
FROM_COMPOSITION_LIMITS = MelodyLimits(max_bars=MAX_BARS_FROM_COMPOSITION)


def rewritten_limits(notes_added: int, limits: MelodyLimits = DEFAULT_LIMITS) -> MelodyLimits:
    """The limits a melody the model rewrote (AR-CNN enhance) is held to: the input may already be at
    the note cap, and the request lets the model add ``notes_added`` notes to it."""
    return replace(limits, max_notes=limits.max_notes + max(0, notes_added))


def melody_from_midi(data: bytes, limits: MelodyLimits = DEFAULT_LIMITS) -> Score:
    """Read MIDI bytes and return the one-track melody score, or raise the first rule it breaks."""
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(
            f"The MIDI file is {len(data)} bytes; the limit is {limits.max_bytes} bytes. Send a shorter melody."
        )
    parsed = read_midi(data)
    _check_static_tempo_and_meter(parsed)
    score = parsed.score
    tracks = [t for t in score.tracks if t.notes]
    if not tracks:
        raise MelodyRuleViolation("The MIDI file has no notes: record a melody first.", code="NO_NOTES")
    if len(tracks) > 1:
        raise MelodyRuleViolation(
            f"The MIDI file has {len(tracks)} tracks with notes; a melody is one track. "
            "Keep only the melody track (or channel) and upload again.",
            code="TOO_MANY_TRACKS",
        )
    score.tracks = tracks
    validate_melody(score, limits)
    return score


def melody_from_notes(
    notes: list[dict[str, Any]],
    tempo_bpm: float = 120.0,
    time_signature: tuple[int, int] = (4, 4),
    limits: MelodyLimits = DEFAULT_LIMITS,
    ticks_per_beat: int = 480,
) -> Score:
    """Build a melody from note data whose ``start`` and ``duration`` are in beats."""
    _check_tempo(tempo_bpm)
    if not notes:
        raise MelodyRuleViolation("The melody has no notes: send at least one note.", code="NO_NOTES")
    score = Score(
        tracks=[Track(name="Melody")],
        ticks_per_beat=ticks_per_beat,
        tempo_us=tempo_us_from_bpm(tempo_bpm),
        time_signature=time_signature,
    )
    built = []
    for i, n in enumerate(notes):
        start, duration = score.beats_to_ticks(n["start"]), score.beats_to_ticks(n["duration"])
        if n["start"] < 0:
            raise MelodyRuleViolation(
                f"Note {i} starts at {n['start']} beats; starts must be 0 or later.", code="NOTE_START"
            )
        if duration <= 0:
            raise MelodyRuleViolation(
                f"Note {i} lasts {n['duration']} beats; a note must last at least 1/{ticks_per_beat} beat.",
                code="NOTE_DURATION",
            )
        built.append(Note(start, int(n["pitch"]), duration, int(n.get("velocity", 100))))
    score.tracks[0].notes = sorted(built)
    validate_melody(score, limits)
    return score


def validate_melody(score: Score, limits: MelodyLimits = DEFAULT_LIMITS) -> None:
    """Check a one-track melody against every rule that does not depend on the file format."""
    _check_tempo(score.tempo_bpm)
    numerator, denominator = score.time_signature
    if numerator < 1 or denominator not in (1, 2, 4, 8, 16, 32):
        raise MelodyRuleViolation(
            f"Time signature {numerator}/{denominator} is not supported; use e.g. 4/4, 3/4 or 6/8.",
            code="TIME_SIGNATURE",
        )
    notes = score.tracks[0].notes
    if len(notes) > limits.max_notes:
        raise MelodyRuleViolation(
            f"The melody has {len(notes)} notes; the limit is {limits.max_notes}.", code="TOO_MANY_NOTES"
        )
    for n in notes:
        if not PITCH_RANGE[0] <= n.pitch <= PITCH_RANGE[1]:
            raise MelodyRuleViolation(
                f"Pitch {n.pitch} is out of range; MIDI pitches are {PITCH_RANGE[0]}-{PITCH_RANGE[1]} "
                f"(the keyboard plays {KEYBOARD_RANGE[0]}-{KEYBOARD_RANGE[1]}).",
                code="PITCH_RANGE",
            )
        if not VELOCITY_RANGE[0] <= n.velocity <= VELOCITY_RANGE[1]:
            raise MelodyRuleViolation(
                f"Velocity {n.velocity} is out of range; use {VELOCITY_RANGE[0]}-{VELOCITY_RANGE[1]}.",
                code="VELOCITY_RANGE",
            )
    if score.bars > limits.max_bars:
        raise MelodyRuleViolation(
            f"The melody is {score.bars} bars long; the limit is {limits.max_bars} bars. Trim it and upload again.",
            code="TOO_MANY_BARS",
        )


def _check_tempo(bpm: float) -> None:
    if not MIN_TEMPO_BPM <= bpm <= MAX_TEMPO_BPM:
        raise MelodyRuleViolation(
            f"Tempo {bpm:g} bpm is out of range; use {MIN_TEMPO_BPM:g}-{MAX_TEMPO_BPM:g} bpm.", code="TEMPO_RANGE"
        )


def _check_static_tempo_and_meter(parsed: ParsedMidi) -> None:
    if len({tempo for _, tempo in parsed.tempos}) > 1:
        raise MelodyRuleViolation(
            "The melody changes tempo; a melody has one static tempo. Remove the tempo changes.",
            code="TEMPO_CHANGE",
        )
    if len({meter for _, meter in parsed.time_signatures}) > 1:
        raise MelodyRuleViolation(
            "The melody changes time signature; keep one meter for the whole melody.",
            code="TIME_SIGNATURE_CHANGE",
        )
