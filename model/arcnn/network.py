"""The AR-CNN's network: a non-causal dilated convolution stack over time with the pitches (and,
for the voice view, the voices and their masks) as channels.

Coconet convolves over (time x pitch) with 64 layers of 128 channels; on a 2-core CPU that costs
~100x more per step than a 1-D stack of the same depth, and the whole pitch axis is in view of
every layer here (a chord spans more pitches than a 3x3 kernel sees). Transposition augmentation
stands in for the pitch-translation invariance a 2-D kernel would give. Fully convolutional, so
it runs on any length (training windows of 32 steps, whole chorales at inference).

Example::

    net = InfillNet(channels=256, dilations=(1, 2, 4, 8, 16, 1))
    logits = net(net.inputs(classes, mask))  # (batch, 4, classes, steps)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from model.arcnn.encoding import CLASSES, VOICES
from model.data import PITCH_COUNT


class _Block(nn.Module):
    """Pre-norm residual block: LayerNorm over channels (per step, so statistics do not depend on
    the sequence length), ReLU, dilated 3-tap conv, ReLU, 1x1 conv."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(x.transpose(1, 2)).transpose(1, 2)
        out: torch.Tensor = x + self.mix(F.relu(self.conv(F.relu(h))))
        return out


class ConvStack(nn.Module):
    """``(batch, inputs, steps)`` -> ``(batch, outputs, steps)``."""

    def __init__(self, inputs: int, outputs: int, channels: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        self.channels, self.dilations = channels, tuple(dilations)
        self.inp = nn.Conv1d(inputs, channels, 3, padding=1)
        self.blocks = nn.Sequential(*(_Block(channels, d) for d in dilations))
        self.norm = nn.LayerNorm(channels)
        self.out = nn.Conv1d(channels, outputs, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.inp(x))
        out: torch.Tensor = self.out(F.relu(self.norm(h.transpose(1, 2)).transpose(1, 2)))
        return out


class InfillNet(ConvStack):
    """The voice view: given some voice-steps (the rest masked), a distribution over the band's
    pitches and rest for every voice-step. Input channels: one-hot classes of the known cells
    (zeros where masked) and the mask itself, per voice."""

    def __init__(self, channels: int, dilations: tuple[int, ...]) -> None:
        super().__init__(VOICES * (CLASSES + 1), VOICES * CLASSES, channels, dilations)

    @staticmethod
    def inputs(classes: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``classes`` (batch, steps, 4) long, ``mask`` (batch, steps, 4) bool (True = to predict)."""
        known = F.one_hot(classes, CLASSES).float() * (~mask).unsqueeze(-1).float()  # (B, T, V, C)
        stacked = torch.cat([known, mask.unsqueeze(-1).float()], dim=-1)  # (B, T, V, C + 1)
        return stacked.flatten(2).transpose(1, 2)  # (B, V * (C + 1), T)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = super().forward(x)
        return out.view(out.shape[0], VOICES, CLASSES, out.shape[-1])


class EnhanceNet(ConvStack):
    """The track view: a possibly damaged one-track roll in, each cell's logit of belonging to the
    music out (``(batch, pitches, steps)`` both ways)."""

    def __init__(self, channels: int, dilations: tuple[int, ...]) -> None:
        super().__init__(PITCH_COUNT, PITCH_COUNT, channels, dilations)


def infill_loss(net: InfillNet, classes: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Cross-entropy on the masked voice-steps, averaged per example over its masked cells."""
    logits = net(net.inputs(classes, mask))  # (B, V, C, T)
    nll = F.cross_entropy(
        logits.permute(0, 3, 1, 2).reshape(-1, logits.shape[2]), classes.reshape(-1), reduction="none"
    )
    nll = nll.view(mask.shape) * mask
    return (nll.sum(dim=(1, 2)) / mask.sum(dim=(1, 2)).clamp(min=1)).mean()


def enhance_loss(net: EnhanceNet, damaged: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    logits = net(damaged.transpose(1, 2).float())
    return F.binary_cross_entropy_with_logits(logits, clean.transpose(1, 2).float())


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
