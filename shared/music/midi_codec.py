"""MIDI bytes <-> Score, with mido (pure Python, small enough for a Lambda).

Reading accepts type-0 and type-1 files from any tool; it records every tempo and meter event so
the melody rules can reject changes, instead of silently keeping one. Writing produces type-1 files
(a conductor track, then one track per score track) that read back to the same notes, to the tick.
"""

from __future__ import annotations

import io
from collections import defaultdict, deque
from dataclasses import dataclass, field

import mido
from mido.midifiles.meta import KeySignatureError

from shared.errors import InvalidMidi
from shared.music.score import DEFAULT_TEMPO_US, Note, Score, Track


@dataclass(slots=True)
class ParsedMidi:
    """A score plus what the file said that a Score cannot hold, for the melody rules to judge."""

    score: Score
    tempos: list[tuple[int, int]] = field(default_factory=list)  # (tick, microseconds per beat)
    time_signatures: list[tuple[int, tuple[int, int]]] = field(default_factory=list)


def read_midi(data: bytes) -> ParsedMidi:
    """Parse a Standard MIDI File. Raises ``InvalidMidi`` with a readable reason when it is not one."""
    if not data:
        raise InvalidMidi("The file is empty: send a Standard MIDI File (.mid).")
    if data[:4] != b"MThd":
        raise InvalidMidi("This is not a MIDI file: a Standard MIDI File starts with 'MThd'.")
    try:
        midi = mido.MidiFile(file=io.BytesIO(data), clip=True)
    except EOFError as exc:
        raise InvalidMidi("The MIDI file is truncated: it ends in the middle of a track.") from exc
    except (OSError, ValueError, KeyError, IndexError, TypeError, KeySignatureError) as exc:
        # KeySignatureError: a key-signature meta event with impossible values (mido raises its own class)
        raise InvalidMidi(f"The MIDI file is corrupt: {exc}.") from exc
    if midi.type == 2:
        raise InvalidMidi("MIDI type 2 (independent sequences) is not supported: save as type 0 or 1.")
    if midi.ticks_per_beat <= 0:
        raise InvalidMidi("The MIDI file uses SMPTE timing; save it with ticks per beat.")

    tempos: list[tuple[int, int]] = []
    meters: list[tuple[int, tuple[int, int]]] = []
    # Notes are grouped by (track, channel): a type-0 file keeps its parts apart by channel.
    groups: dict[tuple[int, int], list[Note]] = defaultdict(list)
    names: dict[int, str] = {}
    programs: dict[tuple[int, int], int] = {}
    for index, track in enumerate(midi.tracks):
        tick = 0
        open_notes: dict[tuple[int, int], deque[tuple[int, int]]] = defaultdict(deque)
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, msg.tempo))
            elif msg.type == "time_signature":
                meters.append((tick, (msg.numerator, msg.denominator)))
            elif msg.type == "track_name":
                names[index] = msg.name
            elif msg.type == "program_change":
                programs.setdefault((index, msg.channel), msg.program)
            elif msg.type == "note_on" and msg.velocity > 0:
                open_notes[(msg.channel, msg.note)].append((tick, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                pending = open_notes.get((msg.channel, msg.note))
                if pending:
                    start, velocity = pending.popleft()
                    if tick > start:
                        groups[(index, msg.channel)].append(Note(start, msg.note, tick - start, velocity))
        for (channel, pitch), pending in open_notes.items():
            for start, velocity in pending:  # never released: the note lasts to the end of its track
                if tick > start:
                    groups[(index, channel)].append(Note(start, pitch, tick - start, velocity))

    tracks = [
        Track(notes=sorted(notes), name=names.get(key[0], ""), program=programs.get(key, 0), channel=key[1])
        for key, notes in sorted(groups.items())
    ]
    first_tempo = min(tempos)[1] if tempos else DEFAULT_TEMPO_US
    first_meter = min(meters)[1] if meters else (4, 4)
    score = Score(
        tracks=tracks,
        ticks_per_beat=midi.ticks_per_beat,
        tempo_us=first_tempo,
        time_signature=first_meter,
    )
    return ParsedMidi(score=score, tempos=sorted(tempos), time_signatures=sorted(meters))


def _check_notes(track: Track) -> None:
    """What mido would check message by message, once per track: the note messages are then
    built without mido's per-message checks (half of the writing time)."""
    for note in track.notes:
        if not (0 <= note.pitch <= 127 and 0 <= note.velocity <= 127 and note.start >= 0 and note.duration >= 0):
            raise ValueError(f"a note cannot be written as MIDI (pitch and velocity 0-127, times >= 0): {note}")


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
        _check_notes(track)
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
            out.append(
                mido.Message(kind, skip_checks=True, channel=channel, note=pitch, velocity=velocity, time=tick - last)
            )
            last = tick
        out.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(out)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()
