"""One test per melody rule, on real broken files; each is a typed 4xx error that says what to change."""

from __future__ import annotations

import io

import mido
import pytest

from shared.errors import InvalidMidi, MelodyRuleViolation, PayloadTooLarge
from shared.music.melody_rules import KEYBOARD_RANGE, MAX_BARS, melody_from_midi, melody_from_notes
from shared.music.midi_codec import write_midi
from shared.music.samples import SAMPLES, sample_index
from shared.music.score import Note, Score, Track


def _file(tracks: list[list[mido.Message | mido.MetaMessage]], midi_type: int = 1, tpb: int = 480) -> bytes:
    midi = mido.MidiFile(type=midi_type, ticks_per_beat=tpb)
    for messages in tracks:
        midi.tracks.append(mido.MidiTrack(messages))
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def _notes(pitches, length=480, channel=0):
    out = []
    for p in pitches:
        out += [
            mido.Message("note_on", note=p, velocity=90, channel=channel, time=0),
            mido.Message("note_off", note=p, velocity=0, channel=channel, time=length),
        ]
    return out


GOOD = _file([[mido.MetaMessage("set_tempo", tempo=500_000)], _notes([60, 62, 64, 65])])


def test_good_file_reads_as_one_track_melody():
    score = melody_from_midi(GOOD)
    assert len(score.tracks) == 1
    assert [n.pitch for n in score.tracks[0].notes] == [60, 62, 64, 65]
    assert score.bars == 1


def test_truncated_file():
    with pytest.raises(InvalidMidi, match="truncated"):
        melody_from_midi(GOOD[: len(GOOD) - 7])


def test_wrong_header():
    with pytest.raises(InvalidMidi, match="not a MIDI file"):
        melody_from_midi(b"RIFF" + GOOD[4:])


def test_empty_file():
    with pytest.raises(InvalidMidi, match="empty"):
        melody_from_midi(b"")


def test_zero_notes():
    data = _file([[mido.MetaMessage("set_tempo", tempo=500_000)], [mido.Message("program_change", program=1)]])
    with pytest.raises(MelodyRuleViolation, match="no notes") as info:
        melody_from_midi(data)
    assert info.value.code == "NO_NOTES" and info.value.status == 422


def test_two_tracks_with_notes():
    data = _file([[], _notes([60, 62]), _notes([48, 50], channel=1)])
    with pytest.raises(MelodyRuleViolation, match="2 tracks") as info:
        melody_from_midi(data)
    assert info.value.code == "TOO_MANY_TRACKS"


def test_type0_with_two_channels_counts_as_two_tracks():
    merged = sorted(_notes([60, 62]) + _notes([48], channel=1), key=lambda m: 0)
    with pytest.raises(MelodyRuleViolation) as info:
        melody_from_midi(_file([merged], midi_type=0))
    assert info.value.code == "TOO_MANY_TRACKS"


def test_tempo_change():
    data = _file(
        [
            [mido.MetaMessage("set_tempo", tempo=500_000), mido.MetaMessage("set_tempo", tempo=400_000, time=960)],
            _notes([60, 62, 64]),
        ]
    )
    with pytest.raises(MelodyRuleViolation, match="changes tempo") as info:
        melody_from_midi(data)
    assert info.value.code == "TEMPO_CHANGE"


def test_repeated_identical_tempo_is_not_a_change():
    data = _file(
        [
            [mido.MetaMessage("set_tempo", tempo=500_000), mido.MetaMessage("set_tempo", tempo=500_000, time=960)],
            _notes([60, 62, 64]),
        ]
    )
    assert melody_from_midi(data).tempo_bpm == pytest.approx(120)


def test_time_signature_change():
    data = _file(
        [
            [
                mido.MetaMessage("time_signature", numerator=4, denominator=4),
                mido.MetaMessage("time_signature", numerator=3, denominator=4, time=1920),
            ],
            _notes([60] * 8),
        ]
    )
    with pytest.raises(MelodyRuleViolation) as info:
        melody_from_midi(data)
    assert info.value.code == "TIME_SIGNATURE_CHANGE"


def test_nine_bars():
    data = _file([[], _notes([60] * (4 * (MAX_BARS + 1)))])  # 36 quarter notes in 4/4 = 9 bars
    with pytest.raises(MelodyRuleViolation, match="9 bars") as info:
        melody_from_midi(data)
    assert info.value.code == "TOO_MANY_BARS"


def test_eight_bars_of_three_four_is_allowed_but_nine_is_not():
    meter = [mido.MetaMessage("time_signature", numerator=3, denominator=4)]
    assert melody_from_midi(_file([meter, _notes([60] * 24)])).bars == 8
    with pytest.raises(MelodyRuleViolation):
        melody_from_midi(_file([meter, _notes([60] * 25)]))


def test_tempo_out_of_range():
    data = _file([[mido.MetaMessage("set_tempo", tempo=2_000_000)], _notes([60])])  # 30 bpm
    with pytest.raises(MelodyRuleViolation, match="30 bpm") as info:
        melody_from_midi(data)
    assert info.value.code == "TEMPO_RANGE"


def test_velocity_out_of_range_via_notes():
    with pytest.raises(MelodyRuleViolation) as info:
        melody_from_notes([{"pitch": 60, "start": 0, "duration": 1, "velocity": 0}])
    assert info.value.code == "VELOCITY_RANGE"


def test_pitch_out_of_range_via_notes():
    with pytest.raises(MelodyRuleViolation, match="Pitch 130") as info:
        melody_from_notes([{"pitch": 130, "start": 0, "duration": 1}])
    assert info.value.code == "PITCH_RANGE"


def test_oversize_file():
    with pytest.raises(PayloadTooLarge) as info:
        melody_from_midi(GOOD + b"\0" * 70_000)
    assert info.value.status == 413


def test_notes_json_builds_the_same_melody_as_the_midi():
    score = melody_from_notes(
        [{"pitch": 60 + i, "start": i, "duration": 1, "velocity": 90} for i in range(4)], tempo_bpm=120
    )
    from_midi = melody_from_midi(write_midi(score))
    assert from_midi.tracks[0].notes == score.tracks[0].notes


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
def test_samples_are_valid_keyboard_melodies(sample):
    score = sample.score()
    notes = score.tracks[0].notes
    assert len(notes) >= 10
    assert all(KEYBOARD_RANGE[0] <= n.pitch <= KEYBOARD_RANGE[1] for n in notes)
    assert 1 <= score.bars <= MAX_BARS
    # and each passes the same rules an upload does
    assert melody_from_midi(write_midi(score)).tracks[0].notes == notes


def test_sample_index_has_unique_ids():
    assert len(sample_index()) == len(SAMPLES) == 5


def test_score_bars_follow_the_time_signature():
    six_eight = Score([Track([Note(0, 60, 480 * 6, 90)])], time_signature=(6, 8))
    assert six_eight.ticks_per_bar == 480 * 3 and six_eight.bars == 2
