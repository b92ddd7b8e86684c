"""A piano-roll picture of a composition: time across (beats), pitch up, one colour per track,
drawn from the notes themselves so repeated notes stay apart.

matplotlib is imported inside ``render_png`` so the API's cold start does not pay for it unless a
picture is asked for.
"""

from __future__ import annotations

import io

from shared.music.midi_codec import read_midi

# Melody first (black), then the accompaniment tracks (Okabe-Ito colours, readable when colour-blind).
TRACK_COLOURS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")


def render_png(midi: bytes, *, dpi: int = 100) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    score = read_midi(midi).score
    pitches = [n.pitch for t in score.tracks for n in t.notes] or [60, 72]
    figure = Figure(figsize=(10, 4), dpi=dpi)
    axes = figure.add_subplot()
    for index, track in enumerate(score.tracks):
        starts = [score.ticks_to_beats(n.start) for n in track.notes]
        # a hair shorter than written, so repeated notes stay visibly apart
        lengths = [score.ticks_to_beats(n.duration) * 0.94 for n in track.notes]
        bottoms = [n.pitch - 0.4 for n in track.notes]
        axes.bar(starts, 0.8, width=lengths, bottom=bottoms, align="edge",
                 color=TRACK_COLOURS[index % len(TRACK_COLOURS)], linewidth=0)
    axes.set_ylim(min(pitches) - 2, max(pitches) + 2)
    axes.set_xlim(0, max(score.ticks_to_beats(score.end_tick), 1))
    axes.set_xlabel("beats")
    axes.set_ylabel("MIDI pitch")
    axes.legend(handles=[Patch(color=TRACK_COLOURS[i % len(TRACK_COLOURS)], label=t.name or f"Track {i}")
                         for i, t in enumerate(score.tracks)], loc="upper right", fontsize="small")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
