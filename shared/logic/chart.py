"""The training chart: a training job's per-epoch losses and music figures, one small panel per
series, stacked on one shared epoch axis, drawn from the stored history (so it works while the job
trains: the x axis spans every planned epoch and the lines grow to the right).

The similarity index (1 = the figures of the real held-out music) comes first, in a taller,
tinted, framed panel; then the model type's losses (``losses``: generator/critic for a GAN,
infill/enhance/heldOut for the AR-CNN, train/heldOut for the Transformer); then the other music
figures. A figure with a ``real...`` twin (the Transformer's ``inKey`` beside ``realInKey``) gets it
as a dashed grey reference line in its own panel. A job without epochs yet is a picture that says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import ImageDraw

from shared.logic.drawing import RGB, TEXT, canvas, font, palette_colour, png_bytes
from shared.schemas import EpochMetrics

SIMILARITY = "similarity"
WIDTH = 720
PANEL = 84
SIMILARITY_PANEL = 120
GAP = 10
LEFT = 64  # y tick labels
RIGHT = 16
TITLE = 30
SECTION = 22
AXIS = 34  # epoch tick labels and the axis title under the last panel
HIGHLIGHT: RGB = (213, 94, 0)  # vermilion
HIGHLIGHT_TINT: RGB = (255, 244, 214)
FRAME: RGB = (170, 170, 170)
GRID: RGB = (232, 232, 232)
REFERENCE: RGB = (150, 150, 150)
SERIES_COLOURS = (1, 2, 3, 4, 5)  # palette indices: black is for text, vermilion for the similarity, yellow too faint


@dataclass(frozen=True)
class Panel:
    """One series: its name, section, line colour, and the box it is drawn in."""

    name: str
    section: str
    colour: RGB
    box: tuple[int, int, int, int]
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    png: bytes
    size: tuple[int, int]
    panels: list[Panel]
    epochs: int


def words(name: str) -> str:
    """``chordBeats`` -> ``chord beats``; ``heldOut`` -> ``held out``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()


def series(history: Sequence[EpochMetrics]) -> list[tuple[str, str, list[float | None], list[float | None] | None]]:
    """(name, section, value per epoch, reference per epoch or None) in the order they are drawn."""
    loss_names = list(dict.fromkeys(k for h in history for k in h.losses))
    metric_names = list(dict.fromkeys(k for h in history for k in h.metrics))
    twins = {m for m in metric_names if _twin(m) in metric_names}
    out: list[tuple[str, str, list[float | None], list[float | None] | None]] = []
    if SIMILARITY in metric_names:
        out.append((SIMILARITY, "music", [h.metrics.get(SIMILARITY) for h in history], None))
    for name in loss_names:
        out.append((name, "losses", [h.losses.get(name) for h in history], None))
    for name in metric_names:
        if name == SIMILARITY or name in {_twin(t) for t in twins}:
            continue
        reference = [h.metrics.get(_twin(name)) for h in history] if name in twins else None
        out.append((name, "music", [h.metrics.get(name) for h in history], reference))
    return out


def _twin(name: str) -> str:
    return f"real{name[:1].upper()}{name[1:]}"


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _ticks(low: float, high: float) -> list[float]:
    """Two to four round values inside [low, high]."""
    rough = (high - low) / 3
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) + 0.0 for i in range(5) if first + i * step <= high]


def _label(value: float) -> str:
    if value != 0 and (abs(value) >= 10_000 or abs(value) < 0.01):
        return f"{value:.1e}"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def _epoch_ticks(epochs: int) -> list[int]:
    step = max(1, math.ceil(epochs / 10))
    return [1, *range(step, epochs + 1, step)] if step > 1 else list(range(1, epochs + 1))


def draw(history: Sequence[EpochMetrics], epochs: int, title: str, status: str = "", scale: int = 1) -> Chart:
    """The chart of ``history`` on an axis of ``epochs`` planned epochs (at least the last one recorded)."""
    s, size = scale, 11 * scale
    history = sorted(history, key=lambda h: h.epoch)
    width = WIDTH * s
    if not history:
        image, pen = canvas(width, 160 * s)
        pen.text((16 * s, 14 * s), title, fill=TEXT, font=font(13 * s))
        message = "No epochs yet" + (f" (status {status})" if status else "")
        pen.text((width // 2, 80 * s), message, fill=TEXT, font=font(18 * s), anchor="mm")
        pen.text(
            (width // 2, 110 * s), "the chart fills in after each epoch", fill=REFERENCE, font=font(size), anchor="mm"
        )
        return Chart(png_bytes(image), image.size, [], max(epochs, 0))
    epochs = max(epochs, history[-1].epoch)
    drawn = series(history)
    sections = list(dict.fromkeys(section for _, section, _, _ in drawn))
    heights = [SIMILARITY_PANEL if name == SIMILARITY else PANEL for name, _, _, _ in drawn]
    height = TITLE + SECTION * (len(sections) + (drawn[0][0] == SIMILARITY)) + sum(heights) + GAP * len(drawn) + AXIS
    image, pen = canvas(width, height * s)
    pen.text(
        (16 * s, 8 * s),
        f"{title} - epoch {history[-1].epoch}/{epochs}" + (f" - {status}" if status else ""),
        fill=TEXT,
        font=font(13 * s),
    )
    x0, x1 = LEFT * s, width - RIGHT * s

    def x_of(epoch: float) -> int:
        return round(x0 + (epoch - 1) / max(epochs - 1, 1) * (x1 - x0)) if epochs > 1 else (x0 + x1) // 2

    panels: list[Panel] = []
    y = TITLE * s
    section = None
    colour_index = 0
    epochs_of = [h.epoch for h in history]
    for (name, part, values, reference), panel_height in zip(drawn, heights, strict=True):
        highlighted = name == SIMILARITY
        heading = "similarity index (1 = like the real music)" if highlighted else None
        if part != section or highlighted:
            label = heading or ("losses" if part == "losses" else "music figures")
            pen.text((16 * s, y + 4 * s), label, fill=HIGHLIGHT if highlighted else TEXT, font=font(12 * s))
            y += SECTION * s
            section = part if not highlighted else None
        if highlighted:
            colour = HIGHLIGHT
        else:
            colour = palette_colour(SERIES_COLOURS[colour_index % len(SERIES_COLOURS)])
            colour_index += 1
        box = (x0, y, x1, y + panel_height * s)
        _panel(pen, box, name, values, reference, epochs_of, x_of, colour, highlighted, s)
        panels.append(Panel(name, part, colour, box, tuple(values)))
        y = box[3] + GAP * s
    for epoch in _epoch_ticks(epochs):
        x = x_of(epoch)
        pen.line((x, y - GAP * s, x, y - GAP * s + 4 * s), fill=TEXT, width=s)
        pen.text((x, y - GAP * s + 6 * s), str(epoch), fill=TEXT, font=font(size), anchor="mt")
    pen.text(((x0 + x1) // 2, y + 12 * s), "epoch", fill=TEXT, font=font(size), anchor="mt")
    return Chart(png_bytes(image), image.size, panels, epochs)


def _panel(
    pen: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    name: str,
    values: Sequence[float | None],
    reference: Sequence[float | None] | None,
    epochs_of: Sequence[int],
    place: Callable[[float], int],
    colour: RGB,
    highlighted: bool,
    s: int,
) -> None:
    left, top, right, bottom = box
    if highlighted:
        pen.rectangle(box, fill=HIGHLIGHT_TINT, outline=HIGHLIGHT, width=2 * s)
    else:
        pen.rectangle(box, outline=FRAME, width=1)
    known = _finite(values) + _finite(reference or [])
    inner_top, inner_bottom = top + 18 * s, bottom - 6 * s
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad

    def y_of(value: float) -> int:
        return round(inner_bottom - (value - low) / (high - low) * (inner_bottom - inner_top))

    for tick in _ticks(low, high):
        y = y_of(tick)
        pen.line((left + 1, y, right - 1, y), fill=GRID, width=1)
        pen.text((left - 4 * s, y), _label(tick), fill=TEXT, font=font(10 * s), anchor="rm")
    if reference is not None:
        points = [
            (place(e), y_of(v)) for e, v in zip(epochs_of, reference, strict=True) if v is not None and math.isfinite(v)
        ]
        for a, b in zip(points, points[1:], strict=False):
            _dashed(pen, a, b, s)
    points = [(place(e), y_of(v)) for e, v in zip(epochs_of, values, strict=True) if v is not None and math.isfinite(v)]
    if len(points) > 1:
        pen.line(points, fill=colour, width=(3 if highlighted else 2) * s, joint="curve")
    radius = (3 if highlighted else 2) * s
    for x, y in points:
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    last = _finite(values)
    caption = words(name) + (f": {_label(last[-1])}" if last else "") + ("  (dashed: real music)" if reference else "")
    pen.rectangle((left + 6 * s, top + 4 * s, left + 14 * s, top + 12 * s), fill=colour)
    pen.text((left + 18 * s, top + 8 * s), caption, fill=TEXT, font=font(11 * s), anchor="lm")


def _dashed(pen: ImageDraw.ImageDraw, a: tuple[int, int], b: tuple[int, int], s: int) -> None:
    length = math.dist(a, b)
    dash = 5 * s
    for i in range(0, max(int(length // dash), 1), 2):
        t0, t1 = i * dash / max(length, 1), min((i + 1) * dash / max(length, 1), 1.0)
        pen.line(
            (
                a[0] + (b[0] - a[0]) * t0,
                a[1] + (b[1] - a[1]) * t0,
                a[0] + (b[0] - a[0]) * t1,
                a[1] + (b[1] - a[1]) * t1,
            ),
            fill=REFERENCE,
            width=s,
        )


def render_png(history: Sequence[EpochMetrics], epochs: int, title: str, status: str = "", scale: int = 1) -> bytes:
    return draw(history, epochs, title, status, scale).png
