"""Melody in, the melody extended out: the inference entry of the Transformer.

``load(model_dir, config)`` gives an ``Extender`` whose ``compose(melody, seed, parameters)`` returns
``{"midi", "bars", "seed", "tracks", "metrics"}``: one track, the input's notes exactly, then the
continuation up to the first bar line at least ``extensionSeconds`` after the input's end, in the
input's tempo and meter. The model is conditioned on the last ``inputSeconds`` of the input.

``continue_melody`` is the one continuing path on 16th-step notes: the evaluation, the per-epoch
figures and the benchmark all call it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, cast

import torch

from model.transformer import figures as FG
from model.transformer import vocab as V
from model.transformer.network import MelodyTransformer, load_network
from model.transformer.sampling import CachedDecoder, Continuation, Decoder, Sampling, continue_tokens
from shared.errors import InvalidInput
from shared.model_types.transformer import SPEC, Parameters
from shared.music.midi_codec import write_midi
from shared.music.score import Note, Score, Track

TRACK_NAME = "Melody (extended)"


@dataclass
class Extension:
    notes: list[tuple[int, int, int]]  # the continuation, in 16th steps
    continuation: Continuation


def continue_melody(
    decoder: Decoder,
    notes: Sequence[Sequence[int]],
    meter: str,
    until_step: int,
    sampling: Sampling,
    seed: int,
    from_step: int | None = None,
    condition_from: int = 0,
) -> Extension:
    """Continue monophonic 16th-step ``notes`` (bar 0 at step 0) from ``from_step`` (default: where
    the last note ends) up to the bar line ``until_step``, conditioned on the notes that start at or
    after ``condition_from``."""
    steps = V.bar_steps(meter)
    last_end = max((s + d for s, _, d in notes), default=0)
    end = from_step if from_step is not None else last_end
    kept = [n for n in notes if n[0] >= condition_from]
    first_bar = (kept[0][0] if kept else end) // steps
    # The prompt says where its last note stops: with a rest when silence follows it, and otherwise
    # by the continuation's first event starting exactly there (see ``Grammar.exact``).
    silent_tail = bool(kept) and last_end < end
    prompt = V.encode(kept, meter, first_bar=first_bar, end=silent_tail)
    grammar = V.Grammar(steps, earliest=end)
    for token in prompt:
        grammar.feed(token)
    if kept and not silent_tail:
        grammar.exact = end
    result = continue_tokens(decoder, prompt, grammar, until_step, sampling, seed)
    decoded = V.decode(prompt + result.tokens, meter, first_bar=first_bar, end=until_step)
    return Extension([n for n in decoded if n[0] >= end], result)


def _fit_octaves(pitches: Sequence[int]) -> int:
    """Whole octaves that bring a melody into the vocabulary's range (0 if it fits)."""
    if not pitches:
        return 0
    low, high = min(pitches), max(pitches)
    if low >= V.LOW_PITCH and high <= V.HIGH_PITCH:
        return 0
    centre = (low + high) / 2
    return 12 * round(((V.LOW_PITCH + V.HIGH_PITCH) / 2 - centre) / 12)


class Extender:
    """A loaded network and its ``model.json``; ``compose`` is the inference API."""

    def __init__(self, network: MelodyTransformer, config: dict[str, Any]) -> None:
        self.network = network.eval()
        self.config = config

    def decoder(self) -> CachedDecoder:
        return CachedDecoder(self.network)

    def compose(self, melody: Score, seed: int, parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The melody extended; ``parameters`` are the type's knobs (camelCase), defaults filled and
        checked here too (``InvalidParameters`` names a bad one)."""
        knobs = cast(Parameters, SPEC.resolve_parameters(parameters or {}))
        sampling = Sampling(knobs.sampling_technique, knobs.threshold or 1, knobs.temperature)
        source = melody.tracks[0]
        numerator, denominator = melody.time_signature
        meter = f"{numerator}/{denominator}"
        try:
            steps = V.bar_steps(meter)
        except V.VocabularyError as exc:
            raise InvalidInput(str(exc), code="UNSUPPORTED_METER") from exc
        tick = melody.ticks_per_beat / V.STEPS_PER_QUARTER  # ticks per 16th (beat = quarter in MIDI)
        ticks_per_second = melody.ticks_per_beat * 1_000_000 / melody.tempo_us
        end_tick = max((n.end for n in source.notes), default=0)
        end_step = math.ceil(end_tick / tick - 1e-9)
        extension_steps = knobs.extension_seconds * ticks_per_second / tick
        until_step = math.ceil((end_step + extension_steps) / steps - 1e-9) * steps
        condition_from = 0 if knobs.input_seconds is None else end_tick - knobs.input_seconds * ticks_per_second
        grid = _monophonic_steps(source.notes, tick)
        shift = _fit_octaves([p for _, p, _ in grid])
        shifted = [(s, p + shift, d) for s, p, d in grid]
        condition_step = max(0, math.ceil(condition_from / tick - 1e-9))
        started = time.perf_counter()
        extension = continue_melody(
            self.decoder(),
            shifted,
            meter,
            until_step,
            sampling,
            seed,
            from_step=end_step,
            condition_from=condition_step,
        )
        elapsed = time.perf_counter() - started
        velocity = round(sum(n.velocity for n in source.notes) / len(source.notes)) if source.notes else 90
        added = [
            Note(start=round(s * tick), pitch=p - shift, duration=round(d * tick), velocity=velocity)
            for s, p, d in extension.notes
            if 0 <= p - shift <= 127
        ]
        track = Track(
            notes=sorted([*source.notes, *added]),
            name=source.name or TRACK_NAME,
            program=source.program,
            channel=source.channel,
        )
        score = Score(
            tracks=[track],
            ticks_per_beat=melody.ticks_per_beat,
            tempo_us=melody.tempo_us,
            time_signature=melody.time_signature,
        )
        key = FG.key_of(shifted)
        metrics = {
            "inputNotes": len(source.notes),
            "conditionedNotes": sum(1 for n in grid if n[0] >= condition_step),
            "addedNotes": len(added),
            "addedBars": (until_step - (end_step // steps) * steps) // steps,
            "inKey": round(FG.in_key_share(extension.notes, key), 4) if extension.notes else None,
            "entropy": round(extension.continuation.entropy, 4),
            "modelMs": round(1000 * extension.continuation.model_seconds, 1),
            "modelCpuMs": round(1000 * extension.continuation.model_cpu_seconds, 1),
            "decodeMs": round(1000 * elapsed, 1),
        }
        return {
            "midi": write_midi(score),
            "bars": score.bars,
            "seed": seed,
            "tracks": [{"index": 0, "name": track.name, "program": track.program, "noteCount": len(track.notes)}],
            "metrics": {k: v for k, v in metrics.items() if v is not None},
        }


def _monophonic_steps(notes: Sequence[Note], tick: float) -> list[tuple[int, int, int]]:
    """The input on the 16th grid, one note per onset (the highest), each cut at the next onset."""
    onsets: dict[int, tuple[int, int]] = {}
    for note in notes:
        start = round(note.start / tick)
        length = max(1, round(note.end / tick) - start)
        if start not in onsets or note.pitch > onsets[start][0]:
            onsets[start] = (note.pitch, length)
    grid = [[s, p, d] for s, (p, d) in sorted(onsets.items())]
    for a, b in pairwise(grid):
        a[2] = min(a[2], b[0] - a[0])
    return [(s, p, d) for s, p, d in grid]


def load(model_dir: str | Path, config: Any = None) -> Extender:
    """The inference entry: the model in ``model_dir`` (``config`` is its parsed ``model.json``)."""
    network, model_json = load_network(model_dir, torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    return Extender(network, model_json)
