"""A piano-roll picture of a composition: time across, pitch up, one colour per track, drawn from the
notes themselves so repeated notes stay apart.

Around the notes: a keyboard strip on the left (black and white keys, every C named: C3, C4, ...;
the pitch range is whole octaves, C to B, so every octave has its labelled row), bar numbers along
the top, and a legend of the track names in their colours below. The grid: a dark line at each bar,
a light one at each beat, a faint one under every C. ``scale=2`` doubles every length, for
high-density screens. Track colours, in order: melody black, then the Okabe-Ito palette.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import ImageDraw

from shared.logic.drawing import PALETTE, RGB, TEXT, WHITE, canvas, font, palette_colour, png_bytes, text_size
from shared.music.midi_codec import read_midi
from shared.music.score import Score

TRACK_COLOURS = PALETTE
BACKGROUND: RGB = WHITE
BAR_LINE: RGB = (120, 120, 120)
BEAT_LINE: RGB = (225, 225, 225)
C_LINE: RGB = (235, 235, 235)
BLACK_KEY: RGB = (60, 60, 60)
KEY_EDGE: RGB = (190, 190, 190)
PIXELS_PER_BEAT = 24  # 6 pixels per sixteenth note, the model's time step
PIXELS_PER_PITCH = 5
LABEL_WIDTH = 28  # the note names left of the keys
KEY_WIDTH = 18
RULER_HEIGHT = 16  # bar numbers
LEGEND_ROW = 18
SWATCH = 10
MIN_WIDTH = 320
BLACK_KEYS = frozenset({1, 3, 6, 8, 10})


def track_colour(index: int) -> RGB:
    return palette_colour(index)


def pitch_name(pitch: int) -> str:
    """The C of an octave by scientific pitch notation: MIDI 60 is C4."""
    return f"C{pitch // 12 - 1}"


@dataclass(frozen=True)
class LegendEntry:
    name: str
    colour: RGB
    box: tuple[int, int, int, int]  # the swatch: left, top, right, bottom (inclusive)


@dataclass(frozen=True)
class Geometry:
    """Where everything goes: the roll's top-left corner, its pitch range and its scale."""

    score: Score
    scale: int
    low: int
    high: int
    left: int
    top: int
    roll_width: int

    @property
    def roll_height(self) -> int:
        return (self.high - self.low + 1) * PIXELS_PER_PITCH * self.scale

    def x_of(self, tick: int) -> int:
        return self.left + round(tick * PIXELS_PER_BEAT * self.scale / self.score.ticks_per_beat)

    def y_of(self, pitch: int) -> int:
        """Top pixel row of ``pitch``: higher pitches are drawn higher up."""
        return self.top + (self.high - pitch) * PIXELS_PER_PITCH * self.scale


@dataclass(frozen=True)
class PianoRoll:
    """The picture and where its labels are, so tests can look at the right pixels."""

    png: bytes
    size: tuple[int, int]
    geometry: Geometry
    octave_labels: dict[str, tuple[int, int]]  # "C4" -> centre of its label
    bar_labels: dict[int, tuple[int, int]]  # bar number (from 1) -> centre of its label
    legend: list[LegendEntry]


def geometry(score: Score, scale: int = 1) -> Geometry:
    pitches = [n.pitch for t in score.tracks for n in t.notes] or [60, 71]
    low, high = min(pitches) // 12 * 12, min(max(pitches) // 12 * 12 + 11, 127)
    beats = max(score.ticks_to_beats(score.end_tick), 1.0)
    bar_beats = score.ticks_per_bar / score.ticks_per_beat
    beats = -(-beats // bar_beats) * bar_beats  # whole bars
    left = (LABEL_WIDTH + KEY_WIDTH) * scale
    return Geometry(score, scale, low, high, left, RULER_HEIGHT * scale, int(beats * PIXELS_PER_BEAT * scale) + 1)


def _legend_layout(
    draw: ImageDraw.ImageDraw, names: list[str], width: int, top: int, scale: int
) -> list[tuple[str, int, int]]:
    """(name, x, y) of each legend entry's swatch, wrapped into rows that fit ``width``."""
    placed, x, y = [], 6 * scale, top
    for name in names:
        entry = SWATCH * scale + 4 * scale + text_size(draw, name, 11 * scale)[0] + 14 * scale
        if x + entry > width and x > 6 * scale:
            x, y = 6 * scale, y + LEGEND_ROW * scale
        placed.append((name, x, y))
        x += entry
    return placed


def draw(midi: bytes, scale: int = 1) -> PianoRoll:
    """The picture of a multi-track MIDI file; later tracks are drawn over earlier ones, the melody last."""
    score = read_midi(midi).score
    g = geometry(score, scale)
    names = [t.name or f"Track {i + 1}" for i, t in enumerate(score.tracks)]
    width = max(g.left + g.roll_width + 8 * scale, MIN_WIDTH * scale)
    _, probe = canvas(1, 1)
    legend_top = g.top + g.roll_height + 8 * scale
    placed = _legend_layout(probe, names, width, legend_top, scale)
    height = (placed[-1][2] if placed else legend_top) + LEGEND_ROW * scale
    image, pen = canvas(width, height)
    s, size = scale, 11 * scale
    right, bottom = g.left + g.roll_width - 1, g.top + g.roll_height - 1

    # keyboard strip and the C lines across the roll
    octave_labels: dict[str, tuple[int, int]] = {}
    key_left = LABEL_WIDTH * s
    for pitch in range(g.low, g.high + 1):
        top = g.y_of(pitch)
        row_bottom = top + PIXELS_PER_PITCH * s - 1
        black = pitch % 12 in BLACK_KEYS
        pen.rectangle((key_left, top, g.left - 1, row_bottom), fill=BACKGROUND, outline=None)
        if black:
            pen.rectangle((key_left, top, key_left + KEY_WIDTH * s * 3 // 5, row_bottom), fill=BLACK_KEY)
        if pitch % 12 in (0, 5):  # the edges between white keys where no black key sits (B|C, E|F)
            pen.line((key_left, row_bottom, g.left - 1, row_bottom), fill=KEY_EDGE, width=1)
        if pitch % 12 == 0:
            pen.line((g.left, row_bottom, right, row_bottom), fill=C_LINE, width=s)
            name = pitch_name(pitch)
            w, h = text_size(pen, name, size)
            centre = (key_left - 3 * s - w // 2, (top + row_bottom) // 2)
            pen.text(centre, name, fill=TEXT, font=font(size), anchor="mm")
            octave_labels[name] = centre
    pen.line((g.left - 1, g.top, g.left - 1, bottom), fill=BAR_LINE, width=1)

    # beat and bar lines, bar numbers above
    bar_labels: dict[int, tuple[int, int]] = {}
    beat_px = PIXELS_PER_BEAT * s
    bar_px = score.ticks_per_bar * PIXELS_PER_BEAT * s // score.ticks_per_beat
    for offset in range(0, g.roll_width, beat_px):
        x = g.left + offset
        if offset % bar_px == 0:
            pen.line((x, g.top, x, bottom), fill=BAR_LINE, width=s)
            if offset + beat_px < g.roll_width:  # the closing line gets no number
                number = offset // bar_px + 1
                centre = (x + 3 * s + text_size(pen, str(number), size)[0] // 2, g.top // 2)
                pen.text(centre, str(number), fill=TEXT, font=font(size), anchor="mm")
                bar_labels[number] = centre
        else:
            pen.line((x, g.top, x, bottom), fill=BEAT_LINE, width=s)

    # the notes, a one-pixel gap (per scale) before each so repeated notes stay apart
    for index in [*range(1, len(score.tracks)), 0]:
        fill = track_colour(index)
        for note in score.tracks[index].notes:
            if not g.low <= note.pitch <= g.high:
                continue
            x0 = g.x_of(note.start)
            x1 = max(x0 + s, g.x_of(note.end) - s)
            top = g.y_of(note.pitch)
            pen.rectangle((x0, top + s, x1 - 1, top + (PIXELS_PER_PITCH - 1) * s - 1), fill=fill)

    legend = []
    for index, (name, x, y) in enumerate(placed):
        box = (x, y + 2 * s, x + SWATCH * s - 1, y + 2 * s + SWATCH * s - 1)
        pen.rectangle(box, fill=track_colour(index))
        pen.text((box[2] + 4 * s, (box[1] + box[3]) // 2), name, fill=TEXT, font=font(size), anchor="lm")
        legend.append(LegendEntry(name, track_colour(index), box))
    return PianoRoll(png_bytes(image), image.size, g, octave_labels, bar_labels, legend)


def render_png(midi: bytes, scale: int = 1) -> bytes:
    """The PNG of a multi-track MIDI file (what ``GET /compositions/{id}/pianoroll.png`` answers)."""
    return draw(midi, scale).png
