"""The held-out split: which pieces are never trained on, grouped by tune.

Bach harmonised many chorale tunes more than once (bwv112.5-sc and bwv112.5, bwv59.3 and
bwv175.7), so a split by file puts the same soprano on both sides and a model that memorised a
training setting looks like it generalises. Pieces are grouped by tune (``same_tune``) and whole
groups are held out, chosen by a hash of the group's first path (about a tenth of the pieces).

The split is checked in as corpus paths, one a line, so anyone can see what was never trained on:
``model/data/held_out.txt`` for the Bach chorales and ``model/data/held_out/<style>.txt`` for each
other style (``model.data.styles``); ``python -m model.data split`` rewrites them from the shipped
index's tunes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path

HELD_OUT_FILE = Path(__file__).resolve().parent / "held_out.txt"
HELD_OUT_DIR = Path(__file__).resolve().parent / "held_out"
HELD_OUT_PER_MILLE = 100  # 10 % of the tune groups, chosen by a hash of their first path
OPENING_INTERVALS = 12  # equal openings of this many intervals: one tune
SIMILAR_TUNES = 0.8  # or this much of the whole interval sequence in common (difflib's ratio)
GRAM = 4  # pairs sharing few interval 4-grams are not compared further (the pairwise pass stays seconds)
FEW_GRAMS = 0.25
# On the Bach chorales, difflib's ratio of two unrelated tunes is below 0.65 for 99 % of pairs, and
# known second settings (bwv112.5-sc / bwv112.5: 0.83, bwv59.3 / bwv175.7: 1.0) are above 0.8.


@cache
def _grams(tune: tuple[int, ...]) -> frozenset[tuple[int, ...]]:
    return frozenset(tune[i : i + GRAM] for i in range(len(tune) - GRAM + 1))


def same_tune(a: Sequence[int], b: Sequence[int]) -> bool:
    """Whether two melodies (as ``tune_of`` intervals) are one tune: the same opening, or most of
    the sequence in common (settings differ in ornaments, repeats and a note here and there)."""
    if len(a) >= OPENING_INTERVALS and list(a[:OPENING_INTERVALS]) == list(b[:OPENING_INTERVALS]):
        return True
    ga, gb = _grams(tuple(a)), _grams(tuple(b))
    if not ga or not gb or len(ga & gb) < FEW_GRAMS * len(ga | gb):
        return False
    return SequenceMatcher(None, list(a), list(b), autojunk=False).ratio() >= SIMILAR_TUNES


def tune_groups(tunes: Mapping[str, Sequence[int]]) -> list[list[str]]:
    """The pieces grouped so that pieces of one tune share a group (transitively), each sorted."""
    paths = sorted(tunes)
    parent = {p: p for p in paths}

    def root(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for i, a in enumerate(paths):
        for b in paths[i + 1 :]:
            if root(a) != root(b) and same_tune(tunes[a], tunes[b]):
                parent[root(b)] = root(a)
    groups: dict[str, list[str]] = {}
    for p in paths:
        groups.setdefault(root(p), []).append(p)
    return sorted(groups.values())


def choose_held_out(groups: Sequence[Sequence[str]]) -> list[str]:
    """The held-out paths: every piece of each group whose first path hashes into the held-out tenth."""
    held: list[str] = []
    for group in groups:
        digest = hashlib.sha256(min(group).encode()).digest()
        if int.from_bytes(digest[:4], "big") % 1000 < HELD_OUT_PER_MILLE:
            held.extend(group)
    return sorted(held)


@cache
def held_out_paths() -> frozenset[str]:
    """Every checked-in held-out path: the Bach list and each style's list."""
    files = [HELD_OUT_FILE, *sorted(HELD_OUT_DIR.glob("*.txt"))]
    return frozenset(
        line.strip() for file in files if file.exists() for line in file.read_text().splitlines() if line.strip()
    )


def is_held_out(path: str) -> bool:
    """Whether a corpus piece is in the checked-in held-out list (a piece outside the pool is not)."""
    return path in held_out_paths()
