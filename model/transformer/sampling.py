"""Decoding: the next-token distribution from a model, filtered and sampled, kept to the grammar.

A ``Decoder`` turns a token history into next-token log-probabilities. ``CachedDecoder`` feeds the
network one token at a time through its key/value cache; ``UncachedDecoder`` runs the same network
over the whole history at every step (what the cache saves, measured in the benchmark); the n-gram
baselines in ``baselines.py`` are decoders too, so every continuation is sampled the same way.

Sampling techniques (DeepComposer's names): ``topK`` keeps the ``k = threshold`` likeliest tokens,
``nucleus`` the smallest set whose probability reaches ``p = threshold``, ``random`` samples from the
whole distribution; ``temperature`` divides the logits first (higher = riskier).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from model.transformer import vocab as V
from model.transformer.network import KVCache, MelodyTransformer

TECHNIQUES = ("topK", "nucleus", "random")


class Decoder(Protocol):
    def start(self, tokens: Sequence[int]) -> np.ndarray: ...

    def step(self, token: int) -> np.ndarray: ...


def _log_softmax(logits: torch.Tensor) -> np.ndarray:
    return torch.log_softmax(logits.float(), dim=-1).numpy().astype(np.float64)


class CachedDecoder:
    """The network decoded incrementally. When the history fills the context, the cache is rebuilt
    from the ``METER`` token and the last half context (cut at a bar line)."""

    def __init__(self, network: MelodyTransformer) -> None:
        self.network = network.eval()
        self.context = network.config.context
        self.history: list[int] = []
        self.cache: KVCache | None = None

    @torch.inference_mode()
    def _prime(self, tokens: Sequence[int]) -> np.ndarray:
        self.cache = self.network.new_cache()
        logits = self.network(torch.tensor([list(tokens)], dtype=torch.long), self.cache)
        return _log_softmax(logits[0, -1])

    def _window(self) -> list[int]:
        keep = self.context // 2
        tail = self.history[-keep:]
        bars = [i for i, t in enumerate(tail) if t == V.BAR]
        return [self.history[0], *(tail[bars[0] :] if bars else tail)]

    def start(self, tokens: Sequence[int]) -> np.ndarray:
        self.history = list(tokens)
        window = self.history if len(self.history) <= self.context else self._window()
        return self._prime(window)

    @torch.inference_mode()
    def step(self, token: int) -> np.ndarray:
        self.history.append(token)
        assert self.cache is not None, "start() primes the cache"
        if self.cache.length >= self.context:
            return self._prime(self._window())
        logits = self.network(torch.tensor([[token]], dtype=torch.long), self.cache)
        return _log_softmax(logits[0, -1])


class UncachedDecoder(CachedDecoder):
    """The same network over the same windows, re-run over the whole window for every new token."""

    @torch.inference_mode()
    def _score(self) -> np.ndarray:
        logits = self.network(torch.tensor([self.window], dtype=torch.long))
        return _log_softmax(logits[0, -1])

    def start(self, tokens: Sequence[int]) -> np.ndarray:
        self.history = list(tokens)
        self.window = self.history[:] if len(self.history) <= self.context else self._window()
        return self._score()

    def step(self, token: int) -> np.ndarray:
        self.history.append(token)
        self.window = self.window + [token] if len(self.window) < self.context else self._window()
        return self._score()


@dataclass(frozen=True)
class Sampling:
    technique: str = "topK"
    threshold: float = 20
    temperature: float = 1.0

    def __post_init__(self) -> None:
        if self.technique not in TECHNIQUES:
            raise ValueError(f"samplingTechnique must be one of {', '.join(TECHNIQUES)}, not {self.technique!r}")
        if self.temperature <= 0:
            raise ValueError("temperature must be positive")


def filtered(logprobs: np.ndarray, allowed: np.ndarray, sampling: Sampling) -> np.ndarray:
    """The sampling distribution: grammar mask, temperature, then the technique's cut."""
    scores = np.where(allowed, logprobs / sampling.temperature, -np.inf)
    scores -= scores.max()
    probs = np.exp(scores)
    probs /= probs.sum()
    if sampling.technique == "topK":
        k = max(1, int(sampling.threshold))
        if k < int(allowed.sum()):
            cut = np.partition(probs, -k)[-k]
            probs = np.where(probs >= cut, probs, 0.0)
    elif sampling.technique == "nucleus":
        order = np.argsort(-probs, kind="stable")
        cumulative = np.cumsum(probs[order])
        keep = order[: int(np.searchsorted(cumulative, sampling.threshold)) + 1]
        mask = np.zeros_like(probs, dtype=bool)
        mask[keep] = True
        probs = np.where(mask, probs, 0.0)
    result: np.ndarray = probs / probs.sum()
    return result


@dataclass
class Continuation:
    tokens: list[int]  # the generated tokens only
    entropy: float  # mean entropy (nats) of the distributions sampled from
    model_seconds: float  # wall time spent in the decoder (the network), not in the sampler
    model_cpu_seconds: float  # CPU time of the same (what a busy, shared machine does not inflate)


def continue_tokens(
    decoder: Decoder,
    prompt: Sequence[int],
    grammar: V.Grammar,
    until_step: int,
    sampling: Sampling,
    seed: int,
) -> Continuation:
    """Sample tokens after ``prompt`` until the grammar passes ``until_step`` (an onset or a bar
    line at or after it). ``grammar`` has seen the prompt."""
    rng = np.random.default_rng(seed)
    started, started_cpu = time.perf_counter(), time.process_time()
    logprobs = decoder.start(prompt)
    model_seconds, model_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    out: list[int] = []
    entropies = []
    limit = 8 * max(1, until_step - grammar.position()) + 64  # a bound: every step is a token
    while len(out) < limit:
        probs = filtered(logprobs, grammar.allowed(), sampling)
        nonzero = probs[probs > 0]
        entropies.append(float(-(nonzero * np.log(nonzero)).sum()))
        token = int(rng.choice(V.VOCAB_SIZE, p=probs))
        grammar.feed(token)
        if (token == V.BAR and grammar.position() >= until_step) or (
            V.TOKEN_KINDS[token] == V.KIND_POS and grammar.last_onset >= until_step
        ):
            break
        out.append(token)
        tick, tick_cpu = time.perf_counter(), time.process_time()
        logprobs = decoder.step(token)
        model_seconds += time.perf_counter() - tick
        model_cpu += time.process_time() - tick_cpu
    return Continuation(out, float(np.mean(entropies)) if entropies else math.nan, model_seconds, model_cpu)
