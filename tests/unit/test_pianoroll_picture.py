"""The piano-roll picture puts each note where its pitch and time say, in its track's colour, and
labels what a reader needs: a named C per octave on the keyboard strip, bar numbers, a legend."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shared.logic.drawing import WHITE
from shared.logic.pianoroll import (
    BACKGROUND,
    PIXELS_PER_BEAT,
    PIXELS_PER_PITCH,
    draw,
    render_png,
    track_colour,
)
from shared.music.midi_codec import write_midi
from shared.music.score import Note, Score, Track

TPB = 480


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _score() -> Score:
    melody = Track([Note(0, 72, TPB, 90), Note(TPB, 74, TPB, 90), Note(2 * TPB, 72, 2 * TPB, 90)], name="Melody")
    bass = Track([Note(0, 48, 4 * TPB, 80), Note(4 * TPB, 50, 4 * TPB, 80)], name="Bass", program=32)
    alto = Track([Note(0, 72, 4 * TPB, 80)], name="Alto", program=41)  # under the melody's first C5
    return Score([melody, alto, bass], ticks_per_beat=TPB)


def _dark_pixels(image: Image.Image, centre: tuple[int, int], half: int) -> int:
    x, y = centre
    box = image.crop((x - half, y - half, x + half + 1, y + half + 1))
    return sum(1 for r, g, b in box.get_flattened_data() if r + g + b < 3 * 160)


@pytest.mark.parametrize("scale", [1, 2])
def test_picture_size_covers_whole_octaves_whole_bars_and_the_labels(scale: int) -> None:
    roll = draw(write_midi(_score()), scale)
    g = roll.geometry
    assert (g.low, g.high) == (48, 83)  # C3 to B5: whole octaves around 48..74
    assert g.roll_height == 36 * PIXELS_PER_PITCH * scale
    assert g.roll_width == 8 * PIXELS_PER_BEAT * scale + 1  # two bars of 4/4
    image = _image(roll.png)
    assert image.size == roll.size
    assert image.size[0] > g.left + g.roll_width and image.size[1] > g.top + g.roll_height  # strip, ruler, legend
    if scale == 2:
        assert image.size == tuple(2 * v for v in draw(write_midi(_score()), 1).size)


@pytest.mark.parametrize("scale", [1, 2])
def test_every_octave_has_a_labelled_row_on_the_keyboard(scale: int) -> None:
    roll = draw(write_midi(_score()), scale)
    g = roll.geometry
    assert list(roll.octave_labels) == ["C3", "C4", "C5"]
    image = _image(roll.png)
    for name, pitch in (("C3", 48), ("C4", 60), ("C5", 72)):
        x, y = roll.octave_labels[name]
        assert x < g.left  # on the strip, left of the notes
        assert g.y_of(pitch) <= y < g.y_of(pitch) + PIXELS_PER_PITCH * scale  # on its own row
        assert _dark_pixels(image, (x, y), 5 * scale) >= 4 * scale  # the text is really drawn there
    # between the labels the label column is blank
    x, _ = roll.octave_labels["C4"]
    assert _dark_pixels(image, (x, g.y_of(66)), 3 * scale) == 0


def test_bar_numbers_stand_over_the_bars() -> None:
    roll = draw(write_midi(_score()))
    g = roll.geometry
    assert list(roll.bar_labels) == [1, 2]
    image = _image(roll.png)
    for bar, (x, y) in roll.bar_labels.items():
        bar_x = g.x_of((bar - 1) * 4 * TPB)
        assert bar_x < x < bar_x + PIXELS_PER_BEAT and y < g.top
        assert _dark_pixels(image, (x, y), 4) >= 4


@pytest.mark.parametrize("scale", [1, 2])
def test_the_legend_shows_each_track_name_in_its_colour(scale: int) -> None:
    roll = draw(write_midi(_score()), scale)
    assert [e.name for e in roll.legend] == ["Melody", "Alto", "Bass"]
    image = _image(roll.png)
    colours = {c for _, c in image.getcolors(1 << 20)}
    for index, entry in enumerate(roll.legend):
        assert entry.colour == track_colour(index) and entry.colour in colours
        left, top, right, bottom = entry.box
        assert right - left + 1 == 10 * scale and top > roll.geometry.top + roll.geometry.roll_height
        assert image.getpixel(((left + right) // 2, (top + bottom) // 2)) == entry.colour


def test_each_note_is_drawn_in_its_tracks_colour_at_its_pitch_and_time() -> None:
    score = _score()
    roll = draw(write_midi(score))
    g = roll.geometry
    image = _image(roll.png)
    middle = PIXELS_PER_PITCH // 2

    def centre(note: Note) -> tuple[int, int]:
        return (g.x_of(note.start) + g.x_of(note.end)) // 2, g.y_of(note.pitch) + middle

    assert image.getpixel(centre(score.tracks[0].notes[1])) == track_colour(0)  # D5 of the melody, black
    assert image.getpixel(centre(score.tracks[2].notes[1])) == track_colour(2)  # the bass's second note
    # the melody is drawn over the alto where both play C5
    assert image.getpixel(centre(score.tracks[0].notes[0])) == track_colour(0)
    # a pitch nobody plays stays background in the middle of a beat
    assert image.getpixel((g.left + PIXELS_PER_BEAT // 2, g.y_of(62) + middle)) == BACKGROUND == WHITE


def test_repeated_notes_stay_apart() -> None:
    score = Score([Track([Note(0, 60, TPB, 90), Note(TPB, 60, TPB, 90)])], ticks_per_beat=TPB)
    roll = draw(write_midi(score))
    g = roll.geometry
    image = _image(roll.png)
    y = g.y_of(60) + PIXELS_PER_PITCH // 2
    boundary = g.x_of(TPB)
    assert image.getpixel((boundary - 1, y)) != track_colour(0)  # the gap before the second strike
    assert image.getpixel((boundary + 1, y)) == track_colour(0)


def test_a_track_without_a_name_is_still_in_the_legend() -> None:
    score = Score([Track([Note(0, 60, TPB, 90)]), Track([Note(0, 48, TPB, 90)])], ticks_per_beat=TPB)
    assert [e.name for e in draw(write_midi(score)).legend] == ["Track 1", "Track 2"]
    assert render_png(write_midi(score))[:8] == b"\x89PNG\r\n\x1a\n"
