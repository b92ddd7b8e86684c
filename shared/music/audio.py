"""MIDI -> audio with a General MIDI synthesizer: what a composition sounds like, as WAV or MP3.

The synthesizer is TinySoundFont (``tinysoundfont``, MIT, a small C library in a manylinux wheel,
so it runs inside a Lambda asset built without Docker) playing the General MIDI SoundFont
``TimGM6mb.sf2`` (GPL-2.0, 6 MB), the one that ships inside the ``pretty_midi`` wheel. Each track
plays its own GM program (the program change the MIDI file carries), a percussion track (MIDI
channel 10) plays the drum kit, and the render lasts past the last note-off by ``RELEASE_TAIL_SECONDS``
so the final notes ring out. MP3 is encoded by LAME (``lameenc``). No AWS here: bytes in, bytes out.

    >>> wav = render(midi_bytes, AudioFormat.WAV)   # 16-bit PCM, 44.1 kHz, stereo
"""

from __future__ import annotations

import importlib.util
import io
import wave
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from shared.errors import InvalidInput
from shared.music.midi_codec import read_midi
from shared.music.score import DEFAULT_TEMPO_US

SAMPLE_RATE = 44_100
CHANNELS = 2
SAMPLE_BYTES = 2
# How long the render goes on after the last note-off: the release of the SoundFont's voices.
RELEASE_TAIL_SECONDS = 1.0
MP3_BITRATE_KBPS = 128
MP3_QUALITY = 5  # LAME's default trade-off; 2 took 1.6x as long (benchmarks/RESULTS.md)
SOUNDFONT_NAME = "TimGM6mb.sf2"
SOUNDFONT_LICENCE = "GPL-2.0"
# Where a Lambda asset carries the SoundFont (cdk/bundling.py copies it there); elsewhere it is read
# from the installed pretty_midi package, without importing it.
BUNDLED_SOUNDFONT = Path(__file__).resolve().parent / "soundfonts" / SOUNDFONT_NAME
# The loudest sample is kept at this fraction of full scale: a chord of four voices would clip.
PEAK = 0.89
# The longest music rendered (a 48-bar melody at 40 bpm in 6/4 is 7.2 minutes): what the function can
# render and encode well inside API Gateway's 29 s.
MAX_SECONDS = 600
PERCUSSION_CHANNEL = 9
DRUM_BANK = 128
_SYNTH_CHANNELS = 16
# Everything that shapes a render: part of each cached file's key, so a change here is never served
# the files made the old way.
RENDER_SETTINGS = (
    f"tinysoundfont/{SOUNDFONT_NAME}/{SAMPLE_RATE}Hz/{CHANNELS}ch/tail{RELEASE_TAIL_SECONDS}/peak{PEAK}"
    f"/mp3-{MP3_BITRATE_KBPS}k-q{MP3_QUALITY}"
)
_FLOAT_BYTES = 4


class AudioFormat(StrEnum):
    WAV = "wav"
    MP3 = "mp3"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {AudioFormat.WAV: "audio/wav", AudioFormat.MP3: "audio/mpeg"}


class SoundFontMissing(RuntimeError):
    """Neither the bundled SoundFont nor pretty_midi's copy is present: a broken installation."""


@dataclass(frozen=True, slots=True)
class Pcm:
    """Interleaved signed 16-bit little-endian samples."""

    data: bytes
    sample_rate: int = SAMPLE_RATE
    channels: int = CHANNELS

    @property
    def seconds(self) -> float:
        return len(self.data) / (SAMPLE_BYTES * self.channels * self.sample_rate)


def soundfont_path() -> Path:
    """The SoundFont file: the copy in a Lambda asset, else the one inside the installed pretty_midi."""
    if BUNDLED_SOUNDFONT.is_file():
        return BUNDLED_SOUNDFONT
    spec = importlib.util.find_spec("pretty_midi")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / SOUNDFONT_NAME
        if candidate.is_file():
            return candidate
    raise SoundFontMissing(
        f"{SOUNDFONT_NAME} is neither at {BUNDLED_SOUNDFONT} nor inside the pretty_midi package; "
        "install the pinned pretty-midi (requirements.lock) or rebuild the Lambda asset."
    )


@cache
def _soundfont_bytes() -> bytes:
    """Read once per process (6 MB): a warm Lambda renders without touching the disk again."""
    return soundfont_path().read_bytes()


def _seconds_of(tempos: list[tuple[int, int]], ticks_per_beat: int) -> list[tuple[int, float, int]]:
    """The tempo map as (tick, seconds at that tick, microseconds per beat from there)."""
    first = tempos[0][1] if tempos and tempos[0][0] == 0 else DEFAULT_TEMPO_US  # MIDI's 120 bpm when unset
    segments: list[tuple[int, float, int]] = [(0, 0.0, first)]
    for tick, tempo in tempos:
        start_tick, start_s, current = segments[-1]
        seconds = start_s + (tick - start_tick) * current / 1e6 / ticks_per_beat
        if tick == start_tick:
            segments[-1] = (tick, start_s, tempo)
        else:
            segments.append((tick, seconds, tempo))
    return segments


def _tick_to_seconds(segments: list[tuple[int, float, int]], ticks_per_beat: int, tick: int) -> float:
    for start_tick, start_s, tempo in reversed(segments):
        if tick >= start_tick:
            return start_s + (tick - start_tick) * tempo / 1e6 / ticks_per_beat
    return 0.0


def _synth_channel(index: int, file_channel: int) -> int:
    """One synth channel per track (two tracks on one MIDI channel may carry different programs);
    channel 10 stays the drum kit's."""
    if file_channel == PERCUSSION_CHANNEL:
        return PERCUSSION_CHANNEL
    channel = index if index < PERCUSSION_CHANNEL else index + 1
    if channel >= _SYNTH_CHANNELS:
        raise InvalidInput(f"The MIDI has {index + 1} tracks; audio is rendered for up to 15 pitched tracks.")
    return channel


def render_pcm(midi: bytes, sample_rate: int = SAMPLE_RATE) -> Pcm:
    """Synthesize ``midi``: every note at its time in the file's tempo map, then the release tail."""
    import tinysoundfont  # the C extension is loaded only by the function that renders

    parsed = read_midi(midi)
    score = parsed.score
    segments = _seconds_of(parsed.tempos, score.ticks_per_beat)

    synth = tinysoundfont.Synth(samplerate=sample_rate)
    sfid = synth.sfload(_soundfont_bytes())
    # (second, 0 = off before 1 = on at the same instant, channel, pitch, velocity)
    events: list[tuple[float, int, int, int, int]] = []
    for index, track in enumerate(score.tracks):
        channel = _synth_channel(index, track.channel)
        drums = channel == PERCUSSION_CHANNEL
        synth.program_select(channel, sfid, DRUM_BANK if drums else 0, 0 if drums else track.program, is_drums=drums)
        for note in track.notes:
            on = _tick_to_seconds(segments, score.ticks_per_beat, note.start)
            off = _tick_to_seconds(segments, score.ticks_per_beat, note.end)
            events.append((on, 1, channel, note.pitch, note.velocity))
            events.append((off, 0, channel, note.pitch, 0))
    events.sort()

    if events and events[-1][0] > MAX_SECONDS:
        raise InvalidInput(
            f"The music lasts {events[-1][0]:.0f} s; audio is rendered for up to {MAX_SECONDS} s.", code="TOO_LONG"
        )
    end = (events[-1][0] if events else 0.0) + RELEASE_TAIL_SECONDS
    total = round(end * sample_rate)
    floats = bytearray(total * CHANNELS * _FLOAT_BYTES)
    view = memoryview(floats)
    done = 0
    for second, is_on, channel, pitch, velocity in events:
        frame = min(round(second * sample_rate), total)
        if frame > done:
            synth.generate_simple(frame - done, view[done * CHANNELS * _FLOAT_BYTES : frame * CHANNELS * _FLOAT_BYTES])
            done = frame
        if is_on:
            synth.noteon(channel, pitch, velocity)
        else:
            synth.noteoff(channel, pitch)
    if total > done:
        synth.generate_simple(total - done, view[done * CHANNELS * _FLOAT_BYTES :])
    return Pcm(_to_int16(floats), sample_rate, CHANNELS)


def _to_int16(floats: bytearray) -> bytes:
    """float32 samples -> int16, scaled down as a whole when the loudest one would clip (one gain for
    the whole piece, so loud and soft passages keep their balance). numpy, because a Python loop
    over the 1.5 M samples of a 17 s stereo render took 2 s of the function's time."""
    import numpy as np

    samples = np.frombuffer(floats, dtype=np.float32)
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    scale = 32767.0 * (PEAK / peak if peak > PEAK else 1.0)
    return bytes(np.rint(samples * scale).astype("<i2").tobytes())


def wav_bytes(pcm: Pcm) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(pcm.channels)
        out.setsampwidth(SAMPLE_BYTES)
        out.setframerate(pcm.sample_rate)
        out.writeframes(pcm.data)
    return buffer.getvalue()


def mp3_bytes(pcm: Pcm, bitrate_kbps: int = MP3_BITRATE_KBPS) -> bytes:
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate_kbps)
    encoder.set_in_sample_rate(pcm.sample_rate)
    encoder.set_channels(pcm.channels)
    encoder.set_quality(MP3_QUALITY)
    return bytes(encoder.encode(pcm.data) + encoder.flush())


def render(midi: bytes, fmt: AudioFormat) -> bytes:
    """The audio file of a MIDI file in ``fmt``; raises ``InvalidMidi`` for bytes that are not MIDI."""
    pcm = render_pcm(midi)
    return wav_bytes(pcm) if fmt is AudioFormat.WAV else mp3_bytes(pcm)
