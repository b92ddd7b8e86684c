"""The data sets a training job may filter on: the tag catalogue, the filter rule, and the checks
that refuse at POST a filter no useful model can come of.

The catalogue is derived from the model's shipped tag index (``model/dataset_index.json``, built
from the music21 corpus by ``model.data``) and committed as one JSON file, so the API Lambda reads it
without importing the model code. Regenerate it after the index changes with
``python -m model.catalogue``; a test fails when the two drift. It holds the ``GET /datasets``
listing (per tag: pieces, held-out pieces, training windows, styles) and, for the checks here, every
piece with its tags, its side of the held-out split and its window count, plus the melody
collections the Transformer trains on.

The rule (the model's data filter, ``model.data.match``, applies the same): a tag is ``kind:value``
or a bare value of any kind; tags of one kind are alternatives (OR), tags of different kinds must
all hold (AND). ``key:e-major,key:a-major,meter:4/4`` is the pieces in E or A major that are in 4/4.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import Field

from shared.contract import Env
from shared.errors import InvalidInput
from shared.model_types import ModelType
from shared.schemas import DatasetTagList, MelodyCollection
from shared.wire import WireModel

CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "datasets" / "tags.json"
# Lets a deployment or a test point at another catalogue without rebuilding the package.
CATALOGUE_ENV = Env.DATASET_TAGS_FILE
RULE = (
    "A tag is kind:value (or a bare value of any kind). Tags of one kind are alternatives (OR); tags of "
    "different kinds must all hold (AND): key:e-major,key:a-major,meter:4/4 is the pieces in E or A major "
    "that are in 4/4."
)
# A custom GAN or AR-CNN needs held-out pieces (every epoch is judged on them, and a job without one
# always failed) and enough training pieces to learn from: the custom-training bar (chord share >= 55%)
# was set and met on a tag of 10 training pieces; below 8 a style is a handful of bars per key.
MIN_TRAINING_PIECES = 8
MIN_HELD_OUT_PIECES = 1
SUGGESTIONS = 8  # neighbouring tags named in a 422


class CataloguePiece(WireModel):
    """One corpus piece as the API's checks need it (the model's index holds more)."""

    path: str
    tags: list[str]
    held_out: bool
    windows: int = Field(description="Training windows the piece gives (model.data.piece_windows).")
    style: str


class Catalogue(DatasetTagList):
    """The committed file: the ``GET /datasets`` listing plus the pieces behind it."""

    pieces: list[CataloguePiece]


@dataclass(frozen=True)
class Selection:
    """What a filter selects: the data a training job will have."""

    tags: list[str]
    pieces: int
    training_pieces: int
    held_out_pieces: int
    windows: int  # training windows (of the training pieces only); 0 for melody collections
    tunes: int = 0  # training melodies, for the Transformer's collections


@cache
def _load(path: str) -> Catalogue:
    return Catalogue.model_validate_json(Path(path).read_text(encoding="utf-8"))


def _catalogue() -> Catalogue:
    return _load(os.environ.get(CATALOGUE_ENV, str(CATALOGUE_PATH)))


def catalogue() -> DatasetTagList:
    """The ``GET /datasets`` listing (the pieces stay inside)."""
    full = _catalogue()
    return DatasetTagList.model_validate(full.model_dump(exclude={"pieces"}))


def select(tags: Sequence[str], model_type: ModelType | str = ModelType.GAN) -> Selection:
    """The data a filter gives a job of ``model_type``, or a 422 naming the valid neighbours: an
    unknown tag lists the tags of its kind (or the closest spellings), a combination that matches
    nothing lists the tags that would make it match, and a filter too small for a useful model says
    the minimum and why."""
    if ModelType(model_type) == ModelType.TRANSFORMER:
        return _melody_collections(tags)
    wanted = _wanted(tags)
    pieces = [p for p in _catalogue().pieces if _matches(p, wanted)]
    if not pieces:
        raise InvalidInput(
            f"No piece matches all of {', '.join(tags)} (tags of one kind are alternatives, different kinds must "
            f"all hold). {_neighbours(wanted, _trainable)}",
            code="EMPTY_FILTER",
        )
    held = sum(p.held_out for p in pieces)
    training = len(pieces) - held
    selection = Selection(
        tags=list(tags),
        pieces=len(pieces),
        training_pieces=training,
        held_out_pieces=held,
        windows=sum(p.windows for p in pieces if not p.held_out),
    )
    if training < MIN_TRAINING_PIECES or held < MIN_HELD_OUT_PIECES:
        raise InvalidInput(
            f"The filter {', '.join(tags)} gives {training} training and {held} held-out pieces; a custom "
            f"{ModelType(model_type)} model needs at least {MIN_TRAINING_PIECES} training pieces (fewer give a "
            f"handful of bars to learn a style from) and {MIN_HELD_OUT_PIECES} held-out piece (every epoch is "
            "judged on held-out music, which is never trained on). " + _neighbours(wanted, _trainable, widen=True),
            code="FILTER_TOO_SMALL",
        )
    return selection


def validate_tags(tags: list[str], model_type: ModelType | str = ModelType.GAN) -> list[str]:
    """The tags, if a job of ``model_type`` can train on them (``select`` says why not)."""
    select(tags, model_type)
    return tags


def render(tags: Catalogue) -> str:
    """The committed file's exact text, so the drift test compares bytes, not parsed values."""
    return tags.model_dump_json(by_alias=True, indent=1) + "\n"


# --- internals -----------------------------------------------------------------------------------


def _known() -> dict[str, list[str]]:
    """Tag kind -> its tags (``kind:value``), as listed."""
    kinds: dict[str, list[str]] = {}
    for item in _catalogue().items:
        kinds.setdefault(item.kind, []).append(item.tag)
    return kinds


def _wanted(tags: Sequence[str]) -> dict[str, set[str]]:
    """Kind -> the accepted ``kind:value`` tags; a bare value counts for every kind that has it."""
    known = _known()
    every = {tag for group in known.values() for tag in group}
    wanted: dict[str, set[str]] = {}
    for tag in tags:
        kind, _, value = tag.partition(":") if tag.split(":", 1)[0] in known else ("", "", tag)
        matches = [f"{kind}:{value}"] if kind else [t for t in every if t.split(":", 1)[1] == value]
        matches = [m for m in matches if m in every]
        if not matches:
            raise InvalidInput(_unknown(tag, kind, known), code="UNKNOWN_TAG")
        for match in matches:
            wanted.setdefault(match.split(":", 1)[0], set()).add(match)
    return wanted


def _unknown(tag: str, kind: str, known: dict[str, list[str]]) -> str:
    if kind and kind in known:
        return f"Unknown data-set tag {tag}: the {kind} tags are {', '.join(known[kind])} (GET /datasets lists all)."
    every = [t for group in known.values() for t in group]
    close = difflib.get_close_matches(tag, every + [t.split(":", 1)[1] for t in every], n=SUGGESTIONS, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return (
        f"Unknown data-set tag {tag}.{hint} Tags are kind:value with kind one of {', '.join(known)}; "
        f"valid tags: {', '.join(every)}."
    )


def _matches(piece: CataloguePiece, wanted: dict[str, set[str]]) -> bool:
    return all(any(tag in accepted for tag in piece.tags) for accepted in wanted.values())


def _trainable(counts: tuple[int, int]) -> bool:
    training, held = counts
    return training >= MIN_TRAINING_PIECES and held >= MIN_HELD_OUT_PIECES


def _neighbours(wanted: dict[str, set[str]], good: Callable[[tuple[int, int]], bool], widen: bool = False) -> str:
    """Tags that would make the filter good: for each kind in it, values of that kind among the
    pieces the other kinds select, used instead (``widen``: added, as an alternative); the
    smallest first, as the nearest to what was asked for."""
    suggestions: list[str] = []
    for kind in wanted:
        others = {k: v for k, v in wanted.items() if k != kind}
        counts: dict[str, list[int]] = {}
        for piece in _catalogue().pieces:
            if not _matches(piece, others):
                continue
            for tag in piece.tags:
                if tag.startswith(f"{kind}:"):
                    pair = counts.setdefault(tag, [0, 0])
                    pair[1 if piece.held_out else 0] += 1
        base = [0, 0]
        if widen:
            for tag in wanted[kind]:
                base = [base[0] + counts.get(tag, [0, 0])[0], base[1] + counts.get(tag, [0, 0])[1]]
        ranked = sorted((c[0] + c[1], t) for t, c in counts.items() if t not in wanted[kind])
        for _, tag in ranked:
            training, held = counts[tag][0] + base[0], counts[tag][1] + base[1]
            if good((training, held)):
                suggestions.append(f"{'+' if widen else ''}{tag} ({training} training, {held} held out)")
            if len(suggestions) >= SUGGESTIONS:
                break
    if not suggestions:
        return "Loosen the filter: GET /datasets lists every tag with its pieces."
    verb = "Add one of" if widen else "Use instead"
    return f"{verb}: {', '.join(suggestions)}."


def _melody_collections(tags: Sequence[str]) -> Selection:
    collections = {c.tag.split(":", 1)[1]: c for c in _catalogue().melody_collections}
    chosen: list[MelodyCollection] = []
    for tag in tags:
        name = tag.split(":", 1)[1] if tag.startswith("collection:") else tag
        if name not in collections:
            raise InvalidInput(
                f"Unknown melody collection {tag} for model type transformer: it trains on "
                f"{', '.join(c.tag for c in collections.values())} (one or more, OR).",
                code="UNKNOWN_TAG",
            )
        chosen.append(collections[name])
    return Selection(
        tags=list(tags),
        pieces=sum(c.tunes for c in chosen),
        training_pieces=sum(c.tunes - c.held_out_tunes for c in chosen),
        held_out_pieces=sum(c.held_out_tunes for c in chosen),
        windows=0,
        tunes=sum(c.tunes - c.held_out_tunes for c in chosen),
    )
