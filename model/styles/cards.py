"""Write each shipped style model's ``MODEL_CARD.md`` from what was measured: its ``model.json``
(data, recipe, timings), its ``evaluation.json`` (``python -m model.evaluate`` on its own corpus's
held-out pieces) and ``model/styles/evaluation.json`` (the style classifier). ``make eval-styles``
writes those files and then runs this, so no figure in a card is typed by hand.

    python -m model.styles.cards
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from model.data.styles import STYLES, Style, held_out_file
from model.evaluate import BAR, SHOWN
from model.figures import DISTANCES
from model.styles.evaluate import PRETRAINED, RESULT_FILE

LABELS = {
    "chord_beats_pct": "beats that are a triad or 7th chord, %",
    "par58_note_per100": "parallel 5ths/8ves per 100 transitions",
    "hollow_beats_pct": "hollow beats (no 3rd or 6th), %",
    "unprepared_diss_beats_pct": "unprepared dissonance, % of beats",
    "sixteenth_share_ATB_pct": "accompaniment notes that are 16ths, %",
    "onsets_ATB_off_8th_grid_pct": "onsets off the 8th grid, %",
    "step_share_B_pct": "bass moves that are steps, %",
    "triad_beats_pct": "beats that are a triad, %",
    "crossing_pct": "voice crossing, % of adjacent pairs",
    "spacing_viol_pct": "upper voices > an octave apart, %",
    "out_of_range_pct": "notes outside the SATB ranges, %",
}
COLUMNS = ("real", "model", "ruleBaseline", "untrained")


def _cell(row: dict[str, Any], name: str) -> str:
    value, error = row["figures"].get(name), row["standardErrors"].get(name)
    if value is None:
        return "-"
    return f"{value:.1f} ± {error:.1f}" if error is not None else f"{value:.1f}"


def quality_table(result: dict[str, Any]) -> str:
    lines = [
        "| figure | Bach's bar (issue 13) | real held-out pieces | **this model** | rule baseline "
        "| untrained network |",
        "|---|---|---|---|---|---|",
    ]
    for name in SHOWN:
        bar = " ".join(map(str, BAR[name])) if name in BAR else ""
        cells = [_cell(result[c], name) for c in COLUMNS]
        cells[1] = f"**{cells[1]}**"
        lines.append(f"| {LABELS.get(name, name)} | {bar} | " + " | ".join(cells) + " |")
    js = [
        " / ".join(
            "-" if result[c]["distances"].get(d) is None else f"{result[c]['distances'][d]:.2f}" for d in DISTANCES
        )
        for c in COLUMNS
    ]
    lines.append("| JS distance: durations / pitch classes / intervals | | " + " | ".join(js) + " |")
    if "twoSample" in result["model"]:
        cells = [f"{result[c]['twoSample']['accuracy']:.2f}" for c in COLUMNS]
        lines.append(f"| classifier two-sample accuracy (real column: null test) | <= 0.85 | {' | '.join(cells)} |")
    sims = ["-" if result[c]["similarity"] is None else f"{result[c]['similarity']:.3f}" for c in COLUMNS]
    lines.append("| similarity index (1 = the held-out pieces' values) | | " + " | ".join(sims) + " |")
    return "\n".join(lines)


def classifier_section(style: Style, styles: dict[str, Any]) -> str:
    held = styles["heldOut"]
    row = styles["models"].get(style.id)
    names = held["styles"]
    own = names.index(style.id)
    lines = [
        f"The style classifier (`model/styles/classifier.py`: figures of the three accompaniment tracks only, "
        f"never the melody; softmax regression) trained on the training pieces of all {len(names)} styles "
        f"recognises {held['confusion'][own][own]} of the {sum(held['confusion'][own])} held-out {style.name} pieces "
        f"(all styles: {held['pieceAccuracy']:.0%} of {held['pieces']} held-out pieces, "
        f"{held['windowAccuracy']:.0%} of 4-bar windows; chance {held['chance']:.0%}).",
    ]
    if row is not None:
        counts = ", ".join(f"{s} {n}" for s, n in row["classifiedAs"].items() if n)
        lines.append("")
        lines.append(
            f"**This model's accompaniments of the {row['melodies']} common held-out melodies (8 bars each, drawn "
            f"from all {len(names)} styles' corpora) are classified as {style.name}: {row['ownStyleShare']:.0%}** "
            f"(goal >= 70 %; classified as: {counts}). The real accompaniments of the same melodies are "
            f"classified as their own style {styles['realSegmentsOwnStyle']:.0%} of the time."
        )
    return "\n".join(lines)


def card(style: Style, config: dict[str, Any], result: dict[str, Any] | None, styles: dict[str, Any] | None) -> str:
    data = config["dataset"]
    hp = config["hyperparameters"]
    seconds = config["trainingSeconds"]
    tracks = ", ".join(
        f"{t['name']} ({'silent' if t.get('silent') else 'GM ' + str(t['program'])})" for t in config["tracks"]
    )
    held = [line for line in held_out_file(style.id).read_text().splitlines() if line]
    parts = [
        f"# Model card: `{style.id}`",
        "",
        f"{style.description} A shipped accompaniment model (type `gan`, genre `{style.id}`): give it a melody "
        "and it keeps it exactly as track 0 and writes three accompaniment tracks under it, learnt from real "
        f"{style.name} in music21's corpus.",
        "",
        "## What it does",
        "",
        "- **Tracks** (the General MIDI programs the composition's MIDI sets, so the audio renderer plays "
        f"them): {tracks}.",
        "- **How**: the same network and decoding as `bach-chorales` (see its model card): a conditional U-Net "
        "generator on an eighth-note grid, 4-bar windows every 2 bars, one Viterbi path for the voices that "
        "penalises new notes, leaps, parallels and crossing. A silent track is not decoded.",
        "- **Why a GAN and not the AR-CNN `harmonize`**: the GAN trains to this in minutes of one CPU "
        "thread (15 at most) and composes 8 bars in a fraction of a second; the shipped AR-CNN needed 56 minutes "
        "of training on the 352 Bach training chorales and 2 s per harmonisation (100 Gibbs passes), and these "
        "corpora have 40-160 pieces. Both write one note per voice and step, so neither writes the independent "
        "rhythms of polyphony better; the GAN's cost per style is the smaller.",
        "",
        "## Data",
        "",
        f"- Filter `{', '.join(data['tags'])}`: {data['pieces']} pieces ({style.name}). Voices: {style.voices}",
        f"- Held out: {len(held)} pieces (`model/data/held_out/{style.id}.txt`), whole groups by tune (settings "
        "whose top voices match) and by work (a quartet's movements stay together), about a fifth of the pieces.",
        f"- Training windows: 4-bar windows every bar in 12 transpositions that keep all voices in the 48-pitch "
        f"band; {data['trainingWindows']:,} of them sampled (fixed by the seed) for every epoch.",
        "",
        "## Training",
        "",
        f"- Recipe (`model/styles/ship.py`): `{json.dumps(hp, sort_keys=True)}`; reconstruction weight "
        f"{config['reconstructionWeight']}.",
        *(
            [
                f"- Starts from the shipped `{hp['startFrom']}` weights and trains on this style's training "
                "pieces only (`start_from` in `model/styles/ship.py`'s recipe): the corpus is small, and the "
                "chorale network already writes four-voice texture. The style classifier below checks that "
                "the result is this style, not Bach."
            ]
            if hp.get("startFrom", "scratch") != "scratch"
            else []
        ),
        f"- Time: **{seconds:,.0f} s of training ({seconds / 60:.1f} min) for {config['epochsDone']} epochs**, "
        f"{config['torchThreads']} torch thread, niced, on the 2-core VM while other jobs shared it "
        "(epochs took "
        + ", ".join(f"{h['seconds']:.0f}" for h in config["history"])
        + " s)"
        + (
            "; over the 15-minute budget because three trainings and other jobs shared the 2 cores."
            if seconds > 900
            else "."
        ),
        "- Reproduce: `COMPOSER_TORCH_THREADS=1 nice -n 5 .venv/bin/python -m model.styles.ship " + style.id + "`.",
        f"- Decoding: `changeCost={config.get('changeCost')}`, `hold={config.get('hold')}` (eighths per decoded "
        "sonority). "
        + (
            f"Note: {config['decodingChoice']}."
            if "decodingChoice" in config
            else "Both chosen by the similarity index on 48 training segments (`model/styles/ship.py`)."
        ),
        "- The decoder's sonority terms that `bach-chorales` uses are off: "
        f"`harmonyWeight={config.get('harmonyWeight')}`, `dissonanceCost={config.get('dissonanceCost')}`, "
        f"`bassLeapCost={config.get('bassLeapCost')}` "
        "(`STYLE_DECODER` in `model/styles/ship.py`, whose docstring has what they did on each style's held-out "
        "segments). This network's harmony channel is unsure, so the harmony term, the log-likelihood of a "
        "sonority's pitch classes, favoured fewer classes and made the voices double each other.",
        "",
        "## Evaluation (`make eval-styles`)",
        "",
    ]
    if result is not None:
        parts += [
            f"The whole 8-bar segments of the held-out pieces ({result['segments']} segments of "
            f"{result['pieces']} pieces; 4/4 pieces only where the style has them), each segment's real top "
            "voice as the melody, seeds 0, 1, 2; figures pooled over segments (definitions in `model/FIGURES.md`) "
            "± piece-bootstrap standard errors. The reference is this style's own held-out music, not Bach: the "
            "bar column is the Bach model's bar, shown for orientation only (a Renaissance mass or a Trecento "
            "ballata has other norms).",
            "",
            quality_table(result),
            "",
            *(
                []
                if "twoSample" in result["model"]
                else [
                    f"The classifier two-sample test cannot run here: {result['twoSampleSkipped']}.",
                    "",
                ]
                if "twoSampleSkipped" in result
                else [
                    "The classifier two-sample test was left out of this run (`make eval-styles "
                    "EVAL_ARGS=--no-two-sample`) for time on the shared machine; `make eval-styles` runs it.",
                    "",
                ]
            ),
            "Note names per beat, the first segment (real | model):",
            "",
            "```",
            result["examples"][0],
            "```",
            "",
        ]
    if styles is not None:
        parts += ["### Is it the style?", "", classifier_section(style, styles), ""]
    parts += [
        "## Limits",
        "",
        "- Eighth notes only, and the voices sound where the melody sounds: the independent rhythms of "
        "polyphony (a Palestrina alto entering on its own, a quartet's running second violin) are not written.",
        f"- Trained for {seconds / 60:.0f} minutes of one CPU thread; the figures above say how far that gets.",
    ]
    return "\n".join(parts) + "\n"


def main() -> int:
    styles = json.loads(RESULT_FILE.read_text()) if RESULT_FILE.exists() else None
    for style in STYLES.values():
        model_dir: Path = PRETRAINED / style.id
        if style.id == "bach-chorales" or not (model_dir / "model.json").exists():
            continue
        evaluation = model_dir / "evaluation.json"
        result = json.loads(evaluation.read_text()) if evaluation.exists() else None
        config = json.loads((model_dir / "model.json").read_text())
        (model_dir / "MODEL_CARD.md").write_text(card(style, config, result, styles))
        print(f"wrote {model_dir / 'MODEL_CARD.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
