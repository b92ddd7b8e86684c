"""The synthesizer (shared/music/audio.py), judged by listening measurements: the WAV decodes, lasts as
long as the music plus the release tail, sounds in every bar that has notes and is silent where
none do, is louder where the accompaniment joins, honours each track's GM program and the tempo map,
and the MP3 is a sound stream of the same length."""

from __future__ import annotations

import io

import mido
import pytest

from shared.errors import InvalidInput, InvalidMidi
from shared.music import audio
from shared.music.audio import RELEASE_TAIL_SECONDS, AudioFormat, render, render_pcm
from shared.music.midi_codec import write_midi
from shared.music.score import Note, Score, Track, tempo_us_from_bpm
from tests.support.audio import bar_rms, decode_wav, mp3_frames

BEAT = 480
BAR = 4 * BEAT
TEMPO = 120
SECONDS_PER_BAR = 4 * 60 / TEMPO
# A quiet room, not silence: far below a single mezzo-forte piano note (~0.05 RMS), far above dither.
SOUND_FLOOR = 0.01


def scale_melody(bars: int) -> list[Note]:
    pitches = [60, 62, 64, 65, 67, 69, 71, 72]
    return [Note(i * BEAT, pitches[i % 8], BEAT, 96) for i in range(bars * 4)]


def with_late_accompaniment(bars: int = 6, accompaniment_from: int = 3) -> bytes:
    """Melody in every bar; three accompaniment tracks (strings, bassoon, bass) from bar ``accompaniment_from``."""
    melody = Track(notes=scale_melody(bars), name="Melody", program=0)
    parts = [melody]
    for shift, program in ((-5, 48), (-12, 70), (-24, 32)):
        notes = [Note(b * BAR, 60 + shift, BAR, 96) for b in range(accompaniment_from, bars)]
        parts.append(Track(notes=notes, name=f"P{program}", program=program))
    return write_midi(Score(tracks=parts, tempo_us=tempo_us_from_bpm(TEMPO)))


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render(with_late_accompaniment(), AudioFormat.WAV)


def test_wav_is_44k1_stereo_16_bit_and_lasts_the_music_plus_the_release_tail(rendered: bytes) -> None:
    decoded = decode_wav(rendered)
    assert (decoded.sample_rate, decoded.channels) == (44_100, 2)
    music = 6 * SECONDS_PER_BAR
    assert abs(decoded.seconds - (music + RELEASE_TAIL_SECONDS)) < 0.05


def test_every_bar_sounds_and_the_accompaniment_bars_are_louder(rendered: bytes) -> None:
    levels = bar_rms(decode_wav(rendered), SECONDS_PER_BAR, 6)
    assert all(level > SOUND_FLOOR for level in levels), levels
    melody_only, accompanied = levels[:3], levels[3:]
    assert min(accompanied) > 1.5 * max(melody_only), levels


def test_a_rest_is_silent_and_the_tail_rings_out() -> None:
    piano = Track(notes=[Note(0, 60, BAR, 96)], program=0)  # bars 2 and 3 rest
    strings = Track(notes=[Note(3 * BAR, 67, BAR, 96)], program=48)  # a slow release
    decoded = decode_wav(render(write_midi(Score(tracks=[piano, strings])), AudioFormat.WAV))
    first, _, third, fourth = bar_rms(decoded, SECONDS_PER_BAR, 4)
    assert first > SOUND_FLOOR and fourth > SOUND_FLOOR
    assert third < SOUND_FLOOR / 10, "silence where no note sounds (the first note's release is over by then)"
    end = 4 * SECONDS_PER_BAR
    assert decoded.rms(end, end + 0.2) > SOUND_FLOOR, "the last note's release is not cut off"


def test_each_track_plays_its_own_program() -> None:
    def one_note(program: int) -> bytes:
        return render(write_midi(Score(tracks=[Track(notes=[Note(0, 60, BAR, 96)], program=program)])), AudioFormat.WAV)

    piano, flute, piano_again = one_note(0), one_note(73), one_note(0)
    assert piano == piano_again, "rendering is deterministic"
    assert piano != flute

    # The piano decays, the flute holds its tone: compare the end of the bar with its start.
    def sustain(data: bytes) -> float:
        d = decode_wav(data)
        return d.rms(1.5, 1.9) / d.rms(0.05, 0.45)

    assert sustain(flute) > 1.5 * sustain(piano)


def test_two_tracks_on_one_midi_channel_keep_their_programs() -> None:
    """A file from another tool may put several tracks on channel 1, each with its own program change."""
    midi = mido.MidiFile(type=1, ticks_per_beat=BEAT)
    for program, pitch in ((0, 72), (73, 48)):
        track = mido.MidiTrack()
        track.append(mido.Message("program_change", channel=0, program=program, time=0))
        track.append(mido.Message("note_on", channel=0, note=pitch, velocity=96, time=0))
        track.append(mido.Message("note_off", channel=0, note=pitch, velocity=0, time=BAR))
        midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    shared_channel = render_pcm(buffer.getvalue())
    separate = render_pcm(
        write_midi(
            Score(
                tracks=[Track(notes=[Note(0, 72, BAR, 96)], program=0), Track(notes=[Note(0, 48, BAR, 96)], program=73)]
            )
        )
    )
    assert shared_channel.data == separate.data


def test_the_tempo_map_sets_the_length() -> None:
    """Two bars at 120 bpm then two at 60: 4 + 8 seconds of music."""
    midi = mido.MidiFile(type=1, ticks_per_beat=BEAT)
    conductor = mido.MidiTrack(
        [
            mido.MetaMessage("set_tempo", tempo=500_000, time=0),
            mido.MetaMessage("set_tempo", tempo=1_000_000, time=2 * BAR),
        ]
    )
    notes = mido.MidiTrack()
    for i in range(16):
        notes.append(mido.Message("note_on", note=60 + i % 5, velocity=90, time=0))
        notes.append(mido.Message("note_off", note=60 + i % 5, velocity=0, time=BEAT))
    midi.tracks += [conductor, notes]
    buffer = io.BytesIO()
    midi.save(file=buffer)
    assert abs(render_pcm(buffer.getvalue()).seconds - (12.0 + RELEASE_TAIL_SECONDS)) < 0.01


def test_a_drum_track_plays_the_kit() -> None:
    midi = mido.MidiFile(type=1, ticks_per_beat=BEAT)
    drums = mido.MidiTrack()
    for _ in range(4):
        drums.append(mido.Message("note_on", channel=9, note=38, velocity=110, time=0))  # snare
        drums.append(mido.Message("note_off", channel=9, note=38, velocity=0, time=BEAT))
    midi.tracks.append(drums)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    decoded = decode_wav(render(buffer.getvalue(), AudioFormat.WAV))
    assert decoded.rms(0, 2) > SOUND_FLOOR


def test_mp3_is_a_stream_of_valid_frames_as_long_as_the_wav() -> None:
    midi = with_late_accompaniment()
    mp3 = render(midi, AudioFormat.MP3)
    frames, seconds = mp3_frames(mp3)
    wav_seconds = decode_wav(render(midi, AudioFormat.WAV)).seconds
    assert frames > 100 and abs(seconds - wav_seconds) < 0.1
    assert len(mp3) < len(render(midi, AudioFormat.WAV)) / 5, "128 kbps against 1411 kbps"


def test_music_longer_than_the_limit_is_refused_before_any_synthesis() -> None:
    long_note = write_midi(Score(tracks=[Track(notes=[Note(0, 60, BEAT * 2 * (audio.MAX_SECONDS + 1), 90)])]))
    with pytest.raises(InvalidInput, match="up to 600 s"):
        render(long_note, AudioFormat.WAV)


def test_bytes_that_are_not_midi_are_refused_as_input() -> None:
    with pytest.raises(InvalidMidi):
        render(b"RIFF....WAVE", AudioFormat.WAV)


def test_the_soundfont_is_the_general_midi_one_from_pretty_midi() -> None:
    path = audio.soundfont_path()
    assert path.name == "TimGM6mb.sf2" and path.parent.name == "pretty_midi"
    assert path.read_bytes()[8:12] == b"sfbk"
