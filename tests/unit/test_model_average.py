"""The GAN's composing generator is the moving average of the trained one's weights."""

from __future__ import annotations

import torch

from model.gan.network import Generator
from model.gan.training import EMA_DECAY, average_decay, averaged, update_average


def test_one_update_moves_the_average_a_step_towards_the_weights_and_copies_the_statistics():
    torch.manual_seed(0)
    generator = Generator(width=4)
    average = averaged(generator)
    before = {k: v.clone() for k, v in average.state_dict().items()}
    assert all(not p.requires_grad for p in average.parameters())
    with torch.no_grad():
        for p in generator.parameters():
            p.add_(1.0)
        for name, buffer in generator.named_buffers():
            if name.endswith("running_mean"):
                buffer.add_(3.0)
    update_average(average, generator)
    trained = dict(generator.named_parameters())
    for name, value in average.named_parameters():
        expected = EMA_DECAY * before[name] + (1 - EMA_DECAY) * trained[name]
        assert torch.allclose(value, expected), name
        assert not torch.allclose(value, trained[name]), name  # an average, not a copy
    for name, buffer in average.named_buffers():
        assert torch.equal(buffer, dict(generator.named_buffers())[name]), name


def test_the_average_stays_frozen_while_the_generator_trains():
    generator = Generator(width=4)
    average = averaged(generator)
    optimiser = torch.optim.SGD(generator.parameters(), lr=0.1)
    condition = torch.randn(2, 4, 32, 48)
    logits, _ = generator(condition, torch.randn(generator.noise_shape(condition)))
    logits.mean().backward()
    optimiser.step()
    assert all(p.grad is None for p in average.parameters())
    assert not average.training


def test_the_decay_warms_up_so_a_short_job_is_averaged_over_its_own_updates():
    assert average_decay(0) == 0.1  # the first update nearly replaces the starting weights
    assert 0.9 < average_decay(100) < 0.95  # a custom job of a few hundred updates
    assert average_decay(10_000) == EMA_DECAY
    decays = [average_decay(n) for n in range(3000)]
    assert decays == sorted(decays)
