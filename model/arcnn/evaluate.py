"""Held-out figures of an AR-CNN: what training reports every epoch (``Probe``) and what the model
card reports (``python -m model.arcnn.evaluate``: harmonize's music figures beside real Bach and
the rule baseline, the classifier two-sample test, the frame-level NLL, enhance's F1 and keys).

- ``heldOutLoss``: the training loss (masked cross-entropy, nats per voice-step) on fixed
  held-out windows and masks;
- ``enhanceF1``/``corruptF1``: note-cell F1 against the real held-out track (4 voices merged) of
  the enhanced track and of its damaged input (30% of notes removed, 10% wrong notes added);
  enhancing must raise it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model import data as D
from model import figures as F
from model import keys as M
from model import rule_baseline as R
from model import two_sample as T
from model.arcnn.compose import MODEL_TYPE, ArcnnModel, load
from model.arcnn.encoding import VOICES, band, corrupt, fitting_shifts, merged_track, to_classes, voice_pitches
from model.arcnn.masks import training_masks
from model.arcnn.network import EnhanceNet, InfillNet, infill_loss
from model.arcnn.sampling import TrackNote, enhance
from model.arcnn.settings import resolve_parameters
from model.config import ModelConfig
from shared.music.pianoroll import note_runs

SHIPPED = Path(__file__).resolve().parent.parent / "pretrained" / "ar-cnn-bach"
TRAINING_PIECES = "training_pieces.txt"
PROBE_WINDOWS = 64
PROBE_TRACKS = 4
PROBE_SEGMENTS = 2  # held-out 8-bar segments harmonised every epoch
TRACK_STEPS = 128  # 8 bars of 4/4
REMOVED, ADDED = 0.3, 0.1


def cell_f1(output: np.ndarray, reference: np.ndarray) -> float:
    hits = float((output & reference).sum())
    if hits == 0:
        return 0.0
    precision, recall = hits / output.sum(), hits / reference.sum()
    return float(2 * precision * recall / (precision + recall))


def track_notes(track: np.ndarray) -> list[TrackNote]:
    """A band roll's runs as the input notes of ``sampling.enhance``."""
    return [TrackNote(s, p, n, i) for i, (s, p, n) in enumerate(note_runs(track))]


def notes_roll(notes: list[TrackNote], steps: int, pitches: int) -> np.ndarray:
    roll = np.zeros((steps, pitches), dtype=bool)
    for n in notes:
        roll[n.start : n.start + n.length, n.pitch] = True
    return roll


def held_out_tracks(rolls: list[np.ndarray], count: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(real, damaged) 8-bar merged band tracks from different held-out pieces."""
    rng = np.random.default_rng(seed)
    out = []
    for roll in rolls:
        track = merged_track(roll)
        heard = np.nonzero(track.any(axis=0))[0]
        if track.shape[0] < TRACK_STEPS or not len(heard) or not fitting_shifts(int(heard[0]), int(heard[-1]), (0,)):
            continue
        real = band(track[:TRACK_STEPS])
        out.append((real, corrupt(real, rng, REMOVED, ADDED)))
        if len(out) == count:
            break
    return out


def enhance_f1(
    net: EnhanceNet, pairs: list[tuple[np.ndarray, np.ndarray]], iterations: int = 100, seed: int = 0
) -> dict[str, float]:
    """Mean F1 of the damaged inputs and of their enhancement (DeepComposer's default knobs)."""
    before, after = [], []
    for k, (real, damaged) in enumerate(pairs):
        notes = track_notes(damaged)
        result = enhance(net, notes, real.shape[0], seed + k, iterations, 1.0, len(notes), 500)
        before.append(cell_f1(damaged, real))
        after.append(cell_f1(notes_roll(result.notes, *real.shape), real))
    return {"corruptF1": float(np.mean(before)), "enhanceF1": float(np.mean(after))}


@dataclass
class Probe:
    """Fixed held-out windows and masks, so every epoch's figures are comparable."""

    classes: torch.Tensor
    masks: torch.Tensor
    pairs: list[tuple[np.ndarray, np.ndarray]]
    segments: list[np.ndarray]

    @classmethod
    def from_rolls(cls, rolls: list[np.ndarray], seed: int = 0, windows: int = PROBE_WINDOWS) -> Probe:
        rng = np.random.default_rng(seed)
        chosen = []
        for roll in rolls:
            pitches = voice_pitches(roll)
            sounding = pitches[pitches >= 0]
            if (
                len(pitches) < 32
                or not len(sounding)
                or not fitting_shifts(int(sounding.min()), int(sounding.max()), (0,))
            ):
                continue
            for start in range(0, len(pitches) - 32 + 1, 32):
                chosen.append(to_classes(pitches[start : start + 32]))
        chosen = chosen[:: max(1, len(chosen) // windows)][:windows] or [np.zeros((32, VOICES), np.int64)]
        masks = training_masks(rng, len(chosen), 32)
        return cls(
            torch.from_numpy(np.stack(chosen)),
            torch.from_numpy(masks),
            held_out_tracks(rolls, PROBE_TRACKS, seed),
            segments(rolls)[:PROBE_SEGMENTS],
        )

    @torch.no_grad()
    def figures(self, infill: InfillNet, enhancer: EnhanceNet) -> dict[str, float | None]:
        figures: dict[str, float | None] = {"heldOutLoss": float(infill_loss(infill, self.classes, self.masks))}
        if self.pairs:
            figures.update(enhance_f1(enhancer, self.pairs, iterations=50))
        if self.segments:
            model = ArcnnModel(infill, enhancer, ModelConfig(type=MODEL_TYPE))
            knobs = resolve_parameters({"mode": "harmonize"})
            made, real = [], []
            for segment in self.segments:
                key = _key(segment)
                made.append(F.piece_counts(F.voices_from_roll(model.harmonize_roll(segment[:, :, 0], 0, knobs)), key))
                real.append(F.piece_counts(F.voices_from_roll(segment), key))
            summary = F.summarise(made)
            figures.update({PROBE_NAMES[name]: summary["figures"][name] for name in PROBE_NAMES})
            figures["similarity"] = F.similarity_index(summary, F.summarise(real))
        return figures


PROBE_NAMES = {
    "chord_beats_pct": "chordBeatsPct",
    "par58_note_per100": "parallelsPer100",
    "step_share_B_pct": "bassStepsPct",
}


# --- the model card's figures -----------------------------------------------------------------

SEGMENT_STEPS = 128  # 8 bars of 4/4 on the 16th grid


@torch.no_grad()
def frame_nll(net: InfillNet, rolls: list[np.ndarray], seed: int = 0, given_soprano: bool = False) -> dict[str, float]:
    """Negative log-likelihood (nats) of held-out music under the infiller, by the chain rule over
    one random ordering of the voice-steps of each non-overlapping 32-step window (Coconet's
    orderless estimate). Every prefix of the ordering is one row of a batch, so a window costs one
    batched pass. ``given_soprano``: the soprano is given and only alto, tenor and bass are scored.

    Returns nats per frame (one voice step, all scored voices) and per scored voice-step.
    """
    rng = np.random.default_rng(seed)
    total, frames, cells = 0.0, 0, 0
    for roll in rolls:
        pitches = voice_pitches(roll)
        for start in range(0, len(pitches) - 32 + 1, 32):
            window = pitches[start : start + 32]
            sounding = window[window >= 0]
            if not len(sounding) or not fitting_shifts(int(sounding.min()), int(sounding.max()), (0,)):
                continue
            classes = torch.from_numpy(to_classes(window))
            scored = np.argwhere(np.ones((32, VOICES), bool)[:, (1 if given_soprano else 0) :]) + [
                0,
                int(given_soprano),
            ]
            order = scored[rng.permutation(len(scored))]
            masks = np.zeros((len(order), 32, VOICES), dtype=bool)
            for k in range(len(order)):  # row k: cells k.. of the ordering still unknown
                masks[k, order[k:, 0], order[k:, 1]] = True
            batch = classes.expand(len(order), -1, -1)
            logits = net(net.inputs(batch, torch.from_numpy(masks)))
            log_p = torch.log_softmax(logits, dim=2)  # (n, V, C, T)
            rows = torch.arange(len(order))
            t, v = torch.from_numpy(order[:, 0]), torch.from_numpy(order[:, 1])
            total -= float(log_p[rows, v, classes[t, v], t].sum())
            frames += 32
            cells += len(order)
    return {"nllPerFrame": total / max(frames, 1), "nllPerVoiceStep": total / max(cells, 1), "frames": frames}


def segments(rolls: list[np.ndarray]) -> list[np.ndarray]:
    """Non-overlapping 8-bar segments whose four voices all sound at the first step."""
    out = []
    for roll in rolls:
        for start in range(0, roll.shape[0] - SEGMENT_STEPS + 1, SEGMENT_STEPS):
            segment = roll[start : start + SEGMENT_STEPS]
            if segment[:, :, 0].any():
                out.append(segment)
    return out


def _key(roll: np.ndarray) -> tuple[int, str]:
    histogram = np.zeros(12)
    for pitch, weight in enumerate(roll.sum(axis=(0, 2))):
        histogram[pitch % 12] += weight
    return M.estimate_key(histogram) or (0, "major")


def held_out_chorales(tags: list[str], trained_on: AbstractSet[str] = frozenset()) -> list[np.ndarray]:
    """The held-out split's 4/4 pieces, minus any the model was trained on (``trained_on``: the
    shipped model lists its training pieces, since it was trained before the split grouped tunes)."""
    dataset = D.build(tags)
    index = D.load_index()["pieces"]
    return [
        roll
        for path, roll, held in zip(dataset.paths, dataset.rolls, dataset.held_out, strict=True)
        if held and path not in trained_on and index.get(path, {}).get("meter") == "4/4"
    ]


def trained_pieces(model_dir: Path) -> set[str]:
    file = Path(model_dir) / TRAINING_PIECES
    return set(file.read_text().split()) if file.exists() else set()


def harmonize_report(
    model: ArcnnModel, rolls: list[np.ndarray], seeds: tuple[int, ...], show: int = 2
) -> dict[str, Any]:
    """Figures of real Bach, the rule baseline and the model (soprano given, each seed) on the
    8-bar segments, with piece-bootstrap standard errors; prints note names for a few segments."""
    knobs = resolve_parameters({"mode": "harmonize"})
    pieces: dict[str, list[dict[str, Any]]] = {"bach": [], "rules": [], "model": []}
    rolls_by: dict[str, list[np.ndarray]] = {"bach": [], "model": []}
    started = time.perf_counter()
    for k, segment in enumerate(segments(rolls)):
        key = _key(segment)
        rules = R.harmonise_roll(segment[:, :, 0], key)
        pieces["bach"].append(F.piece_counts(F.voices_from_roll(segment), key))
        pieces["rules"].append(F.piece_counts(F.voices_from_roll(rules), key))
        rolls_by["bach"].append(segment)
        for seed in seeds:
            made = model.harmonize_roll(segment[:, :, 0], seed, knobs)
            pieces["model"].append(F.piece_counts(F.voices_from_roll(made), key))
            rolls_by["model"].append(made)
            if k < show and seed == seeds[0]:
                versions = {"bach": F.voices_from_roll(segment), "rules": F.voices_from_roll(rules)}
                versions["ar-cnn"] = F.voices_from_roll(made)
                print(F.beat_table(versions, 0, 16), flush=True)
    seconds = time.perf_counter() - started
    summaries = {name: F.summarise(p, bootstrap=200) for name, p in pieces.items()}
    report: dict[str, Any] = {
        "segments": len(pieces["bach"]),
        "seeds": list(seeds),
        "harmonizeSeconds": round(seconds, 1),
    }
    for name, summary in summaries.items():
        report[name] = {
            f: {"value": summary["figures"].get(f), "se": summary["standard_errors"].get(f)} for f in REPORTED
        }
        report[name]["similarity"] = F.similarity_index(summary, summaries["bach"])
    real = rolls_by["bach"]
    groups = [k for k in range(len(real)) for _ in seeds]
    test = T.two_sample_accuracy(real, rolls_by["model"], list(range(len(real))), groups)
    null = T.null_accuracy(real)
    report["twoSample"] = {"accuracy": test.accuracy, "folds": test.fold_accuracies, "nullAccuracy": null.accuracy}
    return report


REPORTED = (
    "chord_beats_pct",
    "par58_note_per100",
    "hollow_beats_pct",
    "unprepared_diss_beats_pct",
    "sixteenth_share_ATB_pct",
    "onsets_ATB_off_8th_grid_pct",
    "step_share_B_pct",
    "crossing_pct",
    "spacing_viol_pct",
)


def key_report(model: ArcnnModel, seeds: tuple[int, ...]) -> dict[str, Any]:
    """Enhance at its defaults on the built-in samples and folk tunes: share of notes in the key
    of the input, before and after."""
    from shared.music.samples import sample_index

    rows = []
    for sample_id, sample in sorted(sample_index().items()):
        melody = sample.score()
        for seed in seeds:
            out = model.compose(melody, seed, {"mode": "enhance"})
            rows.append({"melody": sample_id, "seed": seed, **{k: out["metrics"][k] for k in KEY_FIGURES}})
    return {"rows": rows, **{k: float(np.mean([r[k] for r in rows])) for k in KEY_FIGURES}}


KEY_FIGURES = ("inKeyIn", "inKeyOut", "notesAdded", "notesRemoved")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.arcnn.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", default=str(SHIPPED))
    parser.add_argument("--tags", default="collection:bach-chorales")
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    model = load(args.model_dir)
    rolls = held_out_chorales(D.parse_tags(args.tags), trained_pieces(Path(args.model_dir)))
    result = {"modelDir": args.model_dir, "heldOutPieces": len(rolls)}
    result["nll"] = frame_nll(model.infill, rolls)
    result["nllSopranoGiven"] = frame_nll(model.infill, rolls, given_soprano=True)
    print(json.dumps({"nll": result["nll"], "nllSopranoGiven": result["nllSopranoGiven"]}), flush=True)
    pairs = held_out_tracks(rolls, len(rolls), seed=0)
    result["enhance"] = {"tracks": len(pairs), **enhance_f1(model.enhancer, pairs, iterations=100)}
    print(json.dumps(result["enhance"]), flush=True)
    result["keys"] = key_report(model, seeds)
    print(json.dumps({k: v for k, v in result["keys"].items() if k != "rows"}), flush=True)
    result["harmonize"] = harmonize_report(model, rolls, seeds)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
