"""MIDI -> Score -> MIDI keeps every note exactly, for our files and for files other tools write."""

from __future__ import annotations

import io

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.music.midi_codec import read_midi, write_midi
from shared.music.score import Note, Score, Track


def _notes_strategy(ticks_per_beat: int):
    """Random melodies: any pitch/velocity, arbitrary tick positions, no same-pitch overlap."""
    note = st.tuples(
        st.integers(0, 127),  # pitch
        st.integers(0, 16 * ticks_per_beat),  # start
        st.integers(1, 4 * ticks_per_beat),  # duration
        st.integers(1, 127),  # velocity
    )

    def no_same_pitch_overlap(raw):
        kept, busy = [], {}
        for pitch, start, duration, velocity in sorted(raw, key=lambda n: n[1]):
            if start >= busy.get(pitch, -1):
                kept.append(Note(start, pitch, duration, velocity))
                busy[pitch] = start + duration
        return sorted(kept)

    return st.lists(note, min_size=1, max_size=60).map(no_same_pitch_overlap)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    ticks_per_beat=st.sampled_from([96, 120, 220, 384, 480, 960]),
    tempo_us=st.integers(250_000, 1_500_000),
    meter=st.sampled_from([(4, 4), (3, 4), (6, 8), (2, 2), (5, 4)]),
)
def test_round_trip_keeps_every_note_to_the_tick(data, ticks_per_beat, tempo_us, meter):
    notes = data.draw(_notes_strategy(ticks_per_beat))
    score = Score([Track(notes=notes, name="Melody", program=0)], ticks_per_beat, tempo_us, meter)
    parsed = read_midi(write_midi(score)).score
    assert parsed.ticks_per_beat == ticks_per_beat
    assert parsed.tempo_us == tempo_us
    assert parsed.time_signature == meter
    assert len(parsed.tracks) == 1
    assert parsed.tracks[0].notes == notes


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(21, 108), st.integers(0, 3000), st.integers(1, 500)), min_size=1, max_size=20))
def test_multi_track_round_trip_keeps_track_order_and_programs(raw):
    tracks = [
        Track(
            notes=sorted({Note(s + i, p, d, 64 + i) for p, s, d in raw[: i + 1]}, key=lambda n: (n.start, n.pitch)),
            name=f"T{i}",
            program=prog,
        )
        for i, prog in enumerate([0, 48, 32, 73])
    ]
    # same-pitch overlaps inside one track are ambiguous in MIDI; keep the first of each
    for t in tracks:
        kept, busy = [], {}
        for n in t.notes:
            if n.start >= busy.get(n.pitch, -1):
                kept.append(n)
                busy[n.pitch] = n.end
        t.notes = kept
    parsed = read_midi(write_midi(Score(tracks))).score
    assert [t.name for t in parsed.tracks] == ["T0", "T1", "T2", "T3"]
    assert [t.program for t in parsed.tracks] == [0, 48, 32, 73]
    assert [t.notes for t in parsed.tracks] == [t.notes for t in tracks]


def _type0_file() -> bytes:
    midi = mido.MidiFile(type=0, ticks_per_beat=240)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=600_000, time=0))
    track.append(mido.MetaMessage("time_signature", numerator=3, denominator=4, time=0))
    for pitch in (60, 62, 64):
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        # a note_on with velocity 0 is a note-off, as many keyboards send it
        track.append(mido.Message("note_on", note=pitch, velocity=0, time=240))
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def test_reads_type0_with_running_note_on_zero_as_note_off():
    score = read_midi(_type0_file()).score
    assert score.ticks_per_beat == 240
    assert score.tempo_bpm == pytest.approx(100.0)
    assert score.time_signature == (3, 4)
    assert score.tracks[0].notes == [Note(0, 60, 240, 80), Note(240, 62, 240, 80), Note(480, 64, 240, 80)]


def test_reads_files_written_by_music21():
    from music21 import meter, note, stream, tempo

    part = stream.Part()
    part.append(tempo.MetronomeMark(number=90))
    part.append(meter.TimeSignature("4/4"))
    for name, ql in [("C4", 1.0), ("E4", 0.5), ("G4", 0.5), ("C5", 2.0)]:
        n = note.Note(name, quarterLength=ql)
        n.volume.velocity = 90
        part.append(n)
    path = part.write("midi")
    with open(path, "rb") as f:
        score = read_midi(f.read()).score
    notes = [t for t in score.tracks if t.notes][0].notes
    tpb = score.ticks_per_beat
    assert [(n.pitch, n.start, n.duration) for n in notes] == [
        (60, 0, tpb),
        (64, tpb, tpb // 2),
        (67, tpb * 3 // 2, tpb // 2),
        (72, 2 * tpb, 2 * tpb),
    ]
    assert round(score.tempo_bpm) == 90


def test_reads_files_written_by_pretty_midi():
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0, resolution=220)
    piano = pretty_midi.Instrument(program=0, name="Lead")
    for i, pitch in enumerate([57, 60, 64, 69]):
        piano.notes.append(pretty_midi.Note(velocity=70 + i, pitch=pitch, start=i * 0.5, end=i * 0.5 + 0.25))
    pm.instruments.append(piano)
    buffer = io.BytesIO()
    pm.write(buffer)
    score = read_midi(buffer.getvalue()).score
    notes = [t for t in score.tracks if t.notes][0].notes
    assert score.ticks_per_beat == 220
    assert [(n.pitch, n.start, n.duration, n.velocity) for n in notes] == [
        (57, 0, 110, 70),
        (60, 220, 110, 71),
        (64, 440, 110, 72),
        (69, 660, 110, 73),
    ]
    # and what we write, pretty_midi reads back with the same notes
    again = pretty_midi.PrettyMIDI(io.BytesIO(write_midi(score)))
    assert [(n.pitch, round(n.start, 3), round(n.end, 3)) for n in again.instruments[0].notes] == [
        (57, 0.0, 0.25),
        (60, 0.5, 0.75),
        (64, 1.0, 1.25),
        (69, 1.5, 1.75),
    ]


def test_an_impossible_key_signature_is_a_readable_invalid_midi_error():
    """mido raises its own KeySignatureError (not a KeyError) for a key of 84 sharps; the fuzz test found it."""
    from shared.errors import InvalidMidi

    midi = mido.MidiFile()
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("key_signature", key="C"))
    track.append(mido.Message("note_on", note=60, velocity=64, time=0))
    track.append(mido.Message("note_off", note=60, time=480))
    out = io.BytesIO()
    midi.save(file=out)
    data = bytearray(out.getvalue())
    at = data.index(bytes([0xFF, 0x59, 0x02]))
    data[at + 3], data[at + 4] = 84, 119
    with pytest.raises(InvalidMidi, match="corrupt"):
        read_midi(bytes(data))
