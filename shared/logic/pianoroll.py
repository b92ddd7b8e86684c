"""A piano-roll picture of a composition: time across, pitch up, one colour per track, drawn from the
notes themselves so repeated notes stay apart.

Drawn as a raster with pypng (pure Python, ~60 KB) rather than matplotlib: matplotlib and numpy made
the api function's asset 137 MB; this keeps it near 2 MB (`make bench`: apiAssetBytes). The picture
carries the musical grid instead of text: a dark line at each bar, a light one at each beat, and a
faint line at every C so octaves can be counted. Colours, in track order: melody black, then the
Okabe-Ito palette (readable with colour blindness): orange, sky blue, green, ...
"""

from __future__ import annotations

import io

import png

from shared.music.midi_codec import read_midi
from shared.music.score import Score

TRACK_COLOURS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")
BACKGROUND = (255, 255, 255)
BAR_LINE = (120, 120, 120)
BEAT_LINE = (225, 225, 225)
C_LINE = (240, 240, 240)
PIXELS_PER_BEAT = 24  # 6 pixels per sixteenth note, the model's time step
PIXELS_PER_PITCH = 5
MARGIN_PITCHES = 2


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def track_colour(index: int) -> tuple[int, int, int]:
    return rgb(TRACK_COLOURS[index % len(TRACK_COLOURS)])


def layout(score: Score) -> tuple[int, int, int, int]:
    """(width, height, lowest pitch drawn, highest pitch drawn) of the picture of ``score``."""
    pitches = [n.pitch for t in score.tracks for n in t.notes] or [60, 72]
    low, high = max(min(pitches) - MARGIN_PITCHES, 0), min(max(pitches) + MARGIN_PITCHES, 127)
    beats = max(score.ticks_to_beats(score.end_tick), 1.0)
    bars_beats = score.ticks_per_bar / score.ticks_per_beat
    beats = -(-beats // bars_beats) * bars_beats  # whole bars
    return int(beats * PIXELS_PER_BEAT) + 1, (high - low + 1) * PIXELS_PER_PITCH, low, high


def x_of(score: Score, tick: int) -> int:
    return round(tick * PIXELS_PER_BEAT / score.ticks_per_beat)


def y_of(pitch: int, high: int) -> int:
    """Top pixel row of ``pitch``: higher pitches are drawn higher up."""
    return (high - pitch) * PIXELS_PER_PITCH


def render_png(midi: bytes) -> bytes:
    """The PNG of a multi-track MIDI file; later tracks are drawn over earlier ones, the melody last."""
    score = read_midi(midi).score
    width, height, low, high = layout(score)
    rows = [bytearray(bytes(BACKGROUND) * width) for _ in range(height)]

    for pitch in range(low, high + 1):
        if pitch % 12 == 0:
            row = rows[y_of(pitch, high) + PIXELS_PER_PITCH - 1]
            row[:] = bytes(C_LINE) * width
    beat_px, bar_px = PIXELS_PER_BEAT, score.ticks_per_bar * PIXELS_PER_BEAT // score.ticks_per_beat
    for x in range(0, width, beat_px):
        colour = bytes(BAR_LINE if x % bar_px == 0 else BEAT_LINE)
        for row in rows:
            row[3 * x : 3 * x + 3] = colour

    order = list(range(1, len(score.tracks))) + [0]
    for index in order:
        fill = bytes(track_colour(index))
        for note in score.tracks[index].notes:
            if not low <= note.pitch <= high:
                continue
            x0 = x_of(score, note.start)
            x1 = max(x0 + 1, x_of(score, note.end) - 1)  # a one-pixel gap keeps repeated notes apart
            top = y_of(note.pitch, high)
            for y in range(top + 1, top + PIXELS_PER_PITCH - 1):
                rows[y][3 * x0 : 3 * x1] = fill * (x1 - x0)

    buffer = io.BytesIO()
    png.Writer(width, height, greyscale=False, compression=9).write(buffer, rows)
    return buffer.getvalue()
