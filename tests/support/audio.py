"""Reading rendered audio back as a listener would measure it: decoded WAV frames, loudness (RMS)
per bar, and MP3 frame headers walked one by one (no decoder needed to check an MP3 is sound)."""

from __future__ import annotations

import io
import math
import wave
from array import array
from dataclasses import dataclass

# MPEG-1 Layer III bitrates (kbps) by header index, and sample rates by index.
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_SAMPLE_RATES = (44100, 48000, 32000)


@dataclass
class Decoded:
    sample_rate: int
    channels: int
    samples: array  # int16, interleaved

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.channels / self.sample_rate

    def rms(self, start_s: float, end_s: float) -> float:
        """Root mean square of the samples in [start_s, end_s), full scale = 1."""
        a = int(start_s * self.sample_rate) * self.channels
        b = int(end_s * self.sample_rate) * self.channels
        window = self.samples[a:b]
        if not window:
            return 0.0
        return math.sqrt(sum(x * x for x in window[:: self.channels]) / len(window[:: self.channels])) / 32768


def decode_wav(data: bytes) -> Decoded:
    with wave.open(io.BytesIO(data)) as w:
        assert w.getsampwidth() == 2, "16-bit PCM"
        samples = array("h", w.readframes(w.getnframes()))
        return Decoded(w.getframerate(), w.getnchannels(), samples)


def bar_rms(decoded: Decoded, seconds_per_bar: float, bars: int) -> list[float]:
    return [decoded.rms(i * seconds_per_bar, (i + 1) * seconds_per_bar) for i in range(bars)]


def mp3_frames(data: bytes) -> tuple[int, float]:
    """(frames, seconds) of an MPEG-1 Layer III stream, walking frame headers from the first sync
    (after an ID3v2 tag, if any); any byte that is not a frame header where one must be fails."""
    pos = 0
    if data[:3] == b"ID3":
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        pos = 10 + size
    frames, seconds = 0, 0.0
    while pos + 4 <= len(data):
        header = int.from_bytes(data[pos : pos + 4], "big")
        assert header >> 21 == 0x7FF, f"no frame sync at byte {pos}"
        assert (header >> 19) & 3 == 3 and (header >> 17) & 3 == 1, "MPEG-1 Layer III"
        bitrate = _BITRATES[(header >> 12) & 0xF] * 1000
        rate = _SAMPLE_RATES[(header >> 10) & 3]
        padding = (header >> 9) & 1
        assert bitrate, "free or bad bitrate"
        length = 144 * bitrate // rate + padding
        frames += 1
        seconds += 1152 / rate
        pos += length
    return frames, seconds
