"""The network: decoding through the key/value cache computes exactly what the full pass does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.transformer import vocab as V
from model.transformer.network import MelodyTransformer, NetworkConfig
from model.transformer.sampling import CachedDecoder, UncachedDecoder


@pytest.fixture(scope="module")
def network() -> MelodyTransformer:
    torch.manual_seed(0)
    return MelodyTransformer(NetworkConfig(V.VOCAB_SIZE, context=64, layers=2, width=32, heads=4)).eval()


def test_cached_steps_give_the_full_pass_logits(network) -> None:
    tokens = torch.randint(1, V.VOCAB_SIZE, (1, 40))
    with torch.no_grad():
        full = network(tokens)
        cache = network.new_cache()
        rows = [network(tokens[:, :10], cache)[:, -1]]
        rows += [network(tokens[:, i : i + 1], cache)[:, -1] for i in range(10, 40)]
    assert cache.length == 40
    torch.testing.assert_close(torch.stack(rows[1:], dim=1), full[:, 10:], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(rows[0], full[:, 9])


def test_the_decoders_agree_also_past_the_context(network) -> None:
    """Beyond the context both decoders re-read the same window, so they keep agreeing."""
    history = [V.meter_token("4/4")] + [V.BAR, V.pos_token(0), V.pitch_token(60), V.pos_token(8), V.pitch_token(62)] * 8
    cached, uncached = CachedDecoder(network), UncachedDecoder(network)
    np.testing.assert_allclose(cached.start(history), uncached.start(history), atol=1e-4)
    for token in [V.BAR, V.pos_token(0), V.pitch_token(64)] * 12:  # 36 more tokens: past 64
        np.testing.assert_allclose(cached.step(token), uncached.step(token), atol=1e-4)
    assert len(cached.history) > network.config.context


def test_more_tokens_than_the_context_are_refused(network) -> None:
    with pytest.raises(ValueError, match="context"):
        network(torch.zeros((1, 65), dtype=torch.long))


def test_the_output_layer_is_the_embedding(network) -> None:
    assert network.head.weight is network.embed.weight
