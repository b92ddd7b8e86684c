"""Evaluation of the melody Transformer beside real held-out music and two honest baselines.

- Held-out negative log-likelihood per token and per note, every token of every held-out tune
  scored once, for the network, a 4-gram Markov model and a unigram on the same vocabulary.
- Continuations of held-out tunes (seeds 0-2): the first half of each tune (at most 8 bars) is the
  prompt; each method continues it for as many bars as the real tune goes on (at most 8). Figures
  beside the real continuations: in-key share (key estimated from the prompt), Jensen-Shannon
  distances of the pitch (offset from the prompt's median: register and range) and duration
  histograms, beat-grid share, and the longest run of consecutive notes shared with any training tune.
- A few continuations printed as note names per bar next to the real ones.

Command line (the last line printed is one JSON object)::

    python -m model.transformer.evaluate [--model model/pretrained/transformer-folk] [--tunes 96]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.sagemaker import Log
from model.transformer import corpus as C
from model.transformer import dataset as DS
from model.transformer import figures as FG
from model.transformer import vocab as V
from model.transformer.baselines import NgramModel
from model.transformer.network import MelodyTransformer, load_network
from model.transformer.sampling import CachedDecoder, Decoder, Sampling

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "pretrained" / "transformer-folk"
PROMPT_BARS = 8
CONTINUATION_BARS = 8
SEEDS = (0, 1, 2)
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def continuation_cases(tunes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Prompt and real continuation of each held-out tune long enough to have both (4+ bars)."""
    cases = []
    for tune in tunes:
        try:
            steps = V.bar_steps(tune["meter"])
        except V.VocabularyError:
            continue
        notes = [tuple(n) for n in tune["notes"]]
        if any(not V.LOW_PITCH <= p <= V.HIGH_PITCH for _, p, _ in notes):
            continue
        bars = -(-max(s + d for s, _, d in notes) // steps)
        prompt_bars = min(PROMPT_BARS, bars // 2)
        continuation_bars = min(CONTINUATION_BARS, bars - prompt_bars)
        if prompt_bars < 2 or continuation_bars < 2:
            continue
        cut, stop = prompt_bars * steps, (prompt_bars + continuation_bars) * steps
        prompt = [(s, p, min(d, cut - s)) for s, p, d in notes if s < cut]
        real = [(s, p, min(d, stop - s)) for s, p, d in notes if cut <= s < stop]
        if len(prompt) >= 4 and real:
            cases.append(
                {"id": tune["id"], "meter": tune["meter"], "prompt": prompt, "real": real, "cut": cut, "stop": stop}
            )
    return cases


def continue_case(
    decoder: Decoder, case: dict[str, Any], seed: int, sampling: Sampling | None = None
) -> list[tuple[int, int, int]]:
    from model.transformer.compose import continue_melody

    extension = continue_melody(
        decoder, case["prompt"], case["meter"], case["stop"], sampling or Sampling(), seed, from_step=case["cut"]
    )
    return extension.notes


def figures_of(
    cases: Sequence[dict[str, Any]], continuations: Sequence[Sequence[Sequence[int]]], index: FG.RunIndex | None
) -> dict[str, Any]:
    """The figures of one method's continuations (one per case, or several per case in order)."""
    per = len(continuations) // max(len(cases), 1)
    in_key, beats, offsets, durations, notes_per_bar, runs = [], [], [], [], [], []
    for i, notes in enumerate(continuations):
        case = cases[i // per]
        key = FG.key_of(case["prompt"])
        if notes:
            in_key.append(FG.in_key_share(notes, key))
            beats.append(FG.beat_share(notes, FG.beat_steps_of(case["meter"])))
        offsets.append(FG.offset_histogram(notes, FG.median_pitch(case["prompt"])))
        durations.append(FG.duration_histogram(notes))
        notes_per_bar.append(len(notes) / ((case["stop"] - case["cut"]) / V.bar_steps(case["meter"])))
        if index is not None:
            runs.append(index.longest(notes))
    out = {
        "inKey": float(np.nanmean(in_key)) if in_key else float("nan"),
        "beatShare": float(np.nanmean(beats)) if beats else float("nan"),
        "notesPerBar": float(np.mean(notes_per_bar)),
        "_offsets": np.sum(offsets, axis=0),
        "_durations": np.sum(durations, axis=0),
    }
    if runs:
        out["longestSharedRun"] = int(max(runs))
        out["meanLongestSharedRun"] = float(np.mean(runs))
    return out


def compare(methods: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Add the JS distances to the real continuations and drop the histograms."""
    real = methods["real"]
    out = {}
    for name, values in methods.items():
        row = {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items() if not k.startswith("_")}
        if name != "real":
            row["pitchJs"] = round(FG.js_distance(values["_offsets"], real["_offsets"]), 4)
            row["durationJs"] = round(FG.js_distance(values["_durations"], real["_durations"]), 4)
        out[name] = row
    return out


def held_out_nll(network: MelodyTransformer, tunes: Sequence[DS.TokenTune]) -> dict[str, float]:
    """Held-out negative log-likelihood: nats per token and per note, every token scored once."""
    network.eval()
    device = network.embed.weight.device
    total, tokens = 0.0, 0
    for window, scored_from in DS.evaluation_windows(tunes, network.config.context):
        batch = torch.from_numpy(window[None]).to(device)
        logprobs = torch.log_softmax(network(batch[:, :-1]), dim=-1)[0]
        targets = batch[0, 1:]
        picked = logprobs.gather(1, targets[:, None])[:, 0][scored_from - 1 :]
        total -= float(picked.sum())
        tokens += len(picked)
    notes = sum(t.notes for t in tunes)
    return {"perToken": total / max(tokens, 1), "perNote": total / max(notes, 1), "tokens": tokens, "notes": notes}


def continuation_figures(
    network: MelodyTransformer, held_tunes: Sequence[dict[str, Any]], seeds: Sequence[int] = SEEDS
) -> dict[str, Any]:
    """The in-key and beat-grid shares of the network's continuations and of the real ones."""
    cases = continuation_cases(held_tunes)
    if not cases:
        return {}
    model = figures_of(cases, [continue_case(CachedDecoder(network), c, s) for c in cases for s in seeds], None)
    real = figures_of(cases, [c["real"] for c in cases], None)
    return {
        "inKey": round(model["inKey"], 4),
        "realInKey": round(real["inKey"], 4),
        "beatShare": round(model["beatShare"], 4),
        "realBeatShare": round(real["beatShare"], 4),
    }


def note_names(notes: Sequence[Sequence[int]], meter: str, first: int, last: int) -> list[str]:
    """Per bar: ``D5:4 E5:2 ...`` (pitch name and octave : length in 16ths), bars ``first..last-1``."""
    steps = V.bar_steps(meter)
    bars = []
    for bar in range(first, last):
        inside = [n for n in notes if bar * steps <= n[0] < (bar + 1) * steps]
        bars.append(" ".join(f"{NAMES[p % 12]}{p // 12 - 1}:{d}" for _, p, d in inside) or "-")
    return bars


def evaluate(model_dir: Path, tunes: int, log: Log = print) -> dict[str, Any]:
    torch.set_num_threads(1)
    started = time.perf_counter()
    network, config = load_network(model_dir)
    collections = config["dataset"]["collections"]
    train_tunes, held_tunes = C.split(C.load_tunes(collections))
    train, held = DS.tokenize(train_tunes), DS.tokenize(held_tunes)
    log(f"{len(train)} training tunes, {len(held)} held-out tunes ({', '.join(collections)})")
    four_gram, unigram = NgramModel(train, 4), NgramModel(train, 1)
    nll = {"transformer": held_out_nll(network, held)}
    for name, ngram in (("4-gram", four_gram), ("unigram", unigram)):
        total = sum(ngram.log_likelihood(t.tokens) for t in held)
        nll[name] = {"perToken": -total / nll["transformer"]["tokens"], "perNote": -total / nll["transformer"]["notes"]}
    for name, row in nll.items():
        log(f"held-out NLL {name:<12} {row['perToken']:.4f} nats/token  {row['perNote']:.4f} nats/note")

    cases = continuation_cases(held_tunes)
    step = max(1, len(cases) // tunes)
    cases = cases[::step][:tunes]
    index = FG.RunIndex(t["notes"] for t in train_tunes)
    outputs = {
        "transformer": [continue_case(CachedDecoder(network), c, s) for c in cases for s in SEEDS],
        "4-gram": [continue_case(four_gram, c, s) for c in cases for s in SEEDS],
        "unigram": [continue_case(unigram, c, s) for c in cases for s in SEEDS],
    }
    methods = {"real": figures_of(cases, [c["real"] for c in cases], index)}
    for name, continuations in outputs.items():
        methods[name] = figures_of(cases, continuations, index)
    table = compare(methods)
    log(f"\ncontinuations of {len(cases)} held-out tunes x seeds {list(SEEDS)}:")
    columns = ("inKey", "pitchJs", "durationJs", "beatShare", "notesPerBar", "longestSharedRun")
    log(f"{'':<12}" + "".join(f"{c:>17}" for c in columns))
    for name, row in table.items():
        log(f"{name:<12}" + "".join(f"{row.get(c, '-')!s:>17}" for c in columns))
    for case_index in range(min(3, len(cases))):
        case = cases[case_index]
        steps = V.bar_steps(case["meter"])
        first, last = case["cut"] // steps, case["stop"] // steps
        log(
            f"\n{case['id']} ({case['meter']}), bars {first + 1}-{last}; prompt's last bar: "
            f"{note_names(case['prompt'], case['meter'], first - 1, first)[0]}"
        )
        rows = {"real": case["real"], **{n: outputs[n][case_index * len(SEEDS)] for n in outputs}}
        for name, notes in rows.items():
            log(f"  {name:<12}| " + " | ".join(note_names(notes, case["meter"], first, last)))
    return {
        "model": str(model_dir),
        "heldOutTunes": len(held),
        "nll": {k: {m: round(v, 4) for m, v in row.items() if m in ("perToken", "perNote")} for k, row in nll.items()},
        "continuations": {"tunes": len(cases), "seeds": list(SEEDS), **table},
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.transformer.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--tunes", type=int, default=96, help="held-out tunes continued (evenly spaced)")
    args = parser.parse_args(argv)
    result = evaluate(args.model, args.tunes)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
