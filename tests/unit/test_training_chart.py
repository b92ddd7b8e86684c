"""The training chart: every series in its own colour on one epoch axis, the similarity index
highlighted, readable at 1x and 2x, and a picture (not an error) before the first epoch."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from shared.logic.chart import HIGHLIGHT, HIGHLIGHT_TINT, SIMILARITY, WIDTH, draw, series
from shared.schemas import EpochMetrics

GAN = [
    EpochMetrics(
        epoch=e,
        losses={"generator": -1.0 - e, "critic": 0.5 / e},
        metrics={"similarity": 0.4 + 0.05 * e, "chordBeats": 40.0 + e, "parallels": 2.0 - 0.2 * e},
    )
    for e in range(1, 5)
]


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _colours_in(image: Image.Image, box: tuple[int, int, int, int]) -> set[tuple[int, int, int]]:
    return {c for _, c in image.crop(box).getcolors(1 << 20)}


@pytest.mark.parametrize("scale", [1, 2])
def test_each_series_is_a_panel_in_its_own_colour_with_the_similarity_first(scale: int) -> None:
    chart = draw(GAN, 10, "My chorales (gan)", "TRAINING", scale)
    image = _image(chart.png)
    assert image.size == chart.size and image.size[0] == WIDTH * scale
    assert [p.name for p in chart.panels] == ["similarity", "generator", "critic", "chordBeats", "parallels"]
    assert [p.section for p in chart.panels] == ["music", "losses", "losses", "music", "music"]
    assert len({p.colour for p in chart.panels}) == len(chart.panels)
    for panel in chart.panels:
        assert panel.colour in _colours_in(image, panel.box), panel.name  # the line is really drawn
        assert panel.values == tuple(h.losses.get(panel.name, h.metrics.get(panel.name)) for h in GAN)
    similarity = chart.panels[0]
    assert similarity.colour == HIGHLIGHT
    left, top, right, bottom = similarity.box
    assert image.getpixel((left + 30 * scale, bottom - 3 * scale)) == HIGHLIGHT_TINT  # the tinted panel
    assert similarity.box[3] - similarity.box[1] > chart.panels[1].box[3] - chart.panels[1].box[1]  # and taller
    assert HIGHLIGHT_TINT not in _colours_in(image, chart.panels[1].box)


def test_panels_share_one_epoch_axis_that_spans_the_planned_epochs() -> None:
    chart = draw(GAN, 10, "t")
    assert chart.epochs == 10
    lefts = {p.box[0] for p in chart.panels}
    rights = {p.box[2] for p in chart.panels}
    assert len(lefts) == len(rights) == 1
    image = _image(chart.png)
    panel = chart.panels[1]
    # four epochs of ten: the line stops about a third of the way across
    left, top, right, bottom = panel.box
    third = left + (right - left) * 4 // 9
    assert panel.colour in _colours_in(image, (left + 2, top + 16, third, bottom - 1))
    assert panel.colour not in _colours_in(image, (third + 12, top + 16, right - 2, bottom - 1))


def test_2x_doubles_the_picture() -> None:
    one, two = draw(GAN, 4, "t", scale=1), draw(GAN, 4, "t", scale=2)
    assert two.size == (2 * one.size[0], 2 * one.size[1])


def test_a_real_twin_becomes_a_reference_line_not_a_panel() -> None:
    history = [
        EpochMetrics(epoch=e, losses={"train": 2.0 / e, "heldOut": 2.1 / e}, metrics={"inKey": 0.8, "realInKey": 0.9})
        for e in (1, 2)
    ]
    names = [name for name, _, _, _ in series(history)]
    assert names == ["train", "heldOut", "inKey"]
    reference = series(history)[2][3]
    assert reference == [0.9, 0.9]


def test_old_gan_records_chart_their_two_losses() -> None:
    old = [EpochMetrics.model_validate({"epoch": 1, "generatorLoss": -2.0, "criticLoss": 0.3, "metrics": {}})]
    assert [p.name for p in draw(old, 2, "t").panels] == ["generator", "critic"]


@pytest.mark.parametrize("scale", [1, 2])
def test_no_epochs_yet_is_a_picture_that_says_so(scale: int) -> None:
    chart = draw([], 5, "My chorales (gan)", "STARTING", scale)
    image = _image(chart.png)
    assert chart.panels == [] and image.size == (WIDTH * scale, 160 * scale)
    dark = sum(1 for r, g, b in image.get_flattened_data() if r + g + b < 300)
    assert dark > 200 * scale * scale  # the message is written, not a blank image
    assert SIMILARITY not in [p.name for p in chart.panels]
