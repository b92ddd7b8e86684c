"""A small decoder-only Transformer over note events, with a key/value cache for decoding.

Pre-norm blocks (causal self-attention, GELU feed-forward), learned positions, the output layer
tied to the token embedding. ``forward`` scores a whole sequence (training, and decoding without
the cache); ``prefill`` + ``step`` decode one token at a time, keeping every layer's keys and values
so that each new token costs one row of attention instead of the whole sequence again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from model.config import ModelConfig

WEIGHTS_FILE = "transformer.pt"


@dataclass(frozen=True)
class NetworkConfig:
    vocab_size: int
    context: int = 512
    layers: int = 4
    width: int = 192
    heads: int = 4
    dropout: float = 0.1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkConfig:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class KVCache:
    """Keys and values of every layer for ``batch`` sequences of up to ``context`` tokens."""

    def __init__(self, config: NetworkConfig, batch: int = 1, device: torch.device | None = None) -> None:
        shape = (config.layers, batch, config.heads, config.context, config.width // config.heads)
        self.keys = torch.zeros(shape, device=device)
        self.values = torch.zeros(shape, device=device)
        self.length = 0


class Attention(nn.Module):
    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.heads = config.heads
        self.qkv = nn.Linear(config.width, 3 * config.width)
        self.out = nn.Linear(config.width, config.width)
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0) -> torch.Tensor:
        batch, length, width = x.shape
        q, k, v = self.qkv(x).view(batch, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        causal = True
        if cache is not None:
            start = cache.length
            cache.keys[layer, :, :, start : start + length] = k
            cache.values[layer, :, :, start : start + length] = v
            k = cache.keys[layer, :, :, : start + length]
            v = cache.values[layer, :, :, : start + length]
            if start > 0:
                if length > 1:
                    raise ValueError("a cache that holds tokens takes one token at a time")
                causal = False  # one new token attends to everything before it
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal, dropout_p=self.dropout if self.training else 0.0)
        result: torch.Tensor = self.out(y.transpose(1, 2).reshape(batch, length, width))
        return result


class Block(nn.Module):
    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(config.width)
        self.attention = Attention(config)
        self.norm2 = nn.LayerNorm(config.width)
        self.feed_forward = nn.Sequential(
            nn.Linear(config.width, 4 * config.width),
            nn.GELU(),
            nn.Linear(4 * config.width, config.width),
            nn.Dropout(config.dropout),
        )
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, cache: KVCache | None, layer: int) -> torch.Tensor:
        x = x + self.dropout(self.attention(self.norm1(x), cache, layer))
        result: torch.Tensor = x + self.feed_forward(self.norm2(x))
        return result


class MelodyTransformer(nn.Module):
    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.width)
        self.position = nn.Embedding(config.context, config.width)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.norm = nn.LayerNorm(config.width)
        self.head = nn.Linear(config.width, config.vocab_size, bias=False)
        self.head.weight = self.embed.weight
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, tokens: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """Logits ``(batch, length, vocab)`` for ``tokens`` ``(batch, length)``; with a cache the
        tokens continue what it holds and are added to it."""
        start = cache.length if cache is not None else 0
        length = tokens.shape[1]
        if start + length > self.config.context:
            raise ValueError(f"{start + length} tokens exceed the context of {self.config.context}")
        x = self.dropout(self.embed(tokens) + self.position.weight[start : start + length])
        for i, block in enumerate(self.blocks):
            x = block(x, cache, i)
        if cache is not None:
            cache.length += length
        result: torch.Tensor = self.head(self.norm(x))
        return result

    def new_cache(self, batch: int = 1) -> KVCache:
        return KVCache(self.config, batch, self.embed.weight.device)


def load_network(model_dir: str | Path, device: torch.device | None = None) -> tuple[MelodyTransformer, dict[str, Any]]:
    """The trained network and its ``model.json`` settings."""
    model_dir = Path(model_dir)
    config = ModelConfig.load(model_dir).settings
    network = MelodyTransformer(NetworkConfig.from_json(config["network"]))
    state = torch.load(model_dir / WEIGHTS_FILE, map_location=device or "cpu", weights_only=True)
    network.load_state_dict(state)
    return network.to(device or torch.device("cpu")).eval(), config
