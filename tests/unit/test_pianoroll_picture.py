"""The piano-roll picture puts each note where its pitch and time say, in its track's colour."""

from __future__ import annotations

import png

from shared.logic.pianoroll import (
    BACKGROUND,
    PIXELS_PER_BEAT,
    PIXELS_PER_PITCH,
    layout,
    render_png,
    track_colour,
    x_of,
    y_of,
)
from shared.music.midi_codec import write_midi
from shared.music.score import Note, Score, Track

TPB = 480


def _pixels(data: bytes) -> tuple[int, int, list[bytearray]]:
    width, height, rows, _ = png.Reader(bytes=data).asRGB8()
    return width, height, [bytearray(r) for r in rows]


def _at(rows: list[bytearray], x: int, y: int) -> tuple[int, int, int]:
    return tuple(rows[y][3 * x : 3 * x + 3])


def _score() -> Score:
    melody = Track([Note(0, 72, TPB, 90), Note(TPB, 74, TPB, 90), Note(2 * TPB, 72, 2 * TPB, 90)], name="Melody")
    bass = Track([Note(0, 48, 4 * TPB, 80), Note(4 * TPB, 50, 4 * TPB, 80)], name="Bass", program=32)
    alto = Track([Note(0, 72, 4 * TPB, 80)], name="Alto", program=41)  # under the melody's first C5
    return Score([melody, alto, bass], ticks_per_beat=TPB)


def test_picture_size_covers_whole_bars_and_the_pitch_span():
    score = _score()
    width, height, low, high = layout(score)
    assert (low, high) == (46, 76)
    assert height == (76 - 46 + 1) * PIXELS_PER_PITCH
    assert width == 8 * PIXELS_PER_BEAT + 1  # two bars of 4/4
    assert _pixels(render_png(write_midi(score)))[:2] == (width, height)


def test_each_note_is_drawn_in_its_tracks_colour_at_its_pitch_and_time():
    score = _score()
    _, _, _, high = layout(score)
    _, _, rows = _pixels(render_png(write_midi(score)))
    middle = PIXELS_PER_PITCH // 2

    def centre(note: Note) -> tuple[int, int]:
        return (x_of(score, note.start) + x_of(score, note.end)) // 2, y_of(note.pitch, high) + middle

    assert _at(rows, *centre(score.tracks[0].notes[1])) == track_colour(0)  # D5 of the melody, black
    assert _at(rows, *centre(score.tracks[2].notes[1])) == track_colour(2)  # the bass's second note
    # the melody is drawn over the alto where both play C5
    assert _at(rows, *centre(score.tracks[0].notes[0])) == track_colour(0)
    # a pitch nobody plays stays background in the middle of a beat
    assert _at(rows, PIXELS_PER_BEAT // 2, y_of(60, high) + middle) == BACKGROUND


def test_repeated_notes_stay_apart():
    score = Score([Track([Note(0, 60, TPB, 90), Note(TPB, 60, TPB, 90)])], ticks_per_beat=TPB)
    _, _, _, high = layout(score)
    _, _, rows = _pixels(render_png(write_midi(score)))
    y = y_of(60, high) + PIXELS_PER_PITCH // 2
    boundary = x_of(score, TPB)
    assert _at(rows, boundary - 1, y) != track_colour(0)  # the gap before the second strike
    assert _at(rows, boundary + 1, y) == track_colour(0)
