"""The data-set tag catalogue: which tags a training job may filter on, with piece counts.

The catalogue is derived from the model's shipped tag index (``model/dataset_index.json``, built from
the music21 corpus by ``model.data``) and committed as a small JSON file, so the API Lambda reads it
without importing the model code. Regenerate it after the index changes with
``python -m model.catalogue``; a test fails when the two drift. Its format is the
``DatasetTagList`` wire shape, i.e. what ``model.data.list_tags()`` returns, wrapped:
``{"items": [{"tag": "composer:bach", "kind": "composer", "pieces": 371}, ...]}``.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from shared.contract import Env
from shared.errors import InvalidInput
from shared.schemas import DatasetTagList

CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "datasets" / "tags.json"
# Lets a deployment or a test point at another catalogue without rebuilding the package.
CATALOGUE_ENV = Env.DATASET_TAGS_FILE


@cache
def _load(path: str) -> DatasetTagList:
    return DatasetTagList.model_validate_json(Path(path).read_text(encoding="utf-8"))


def catalogue() -> DatasetTagList:
    return _load(os.environ.get(CATALOGUE_ENV, str(CATALOGUE_PATH)))


def validate_tags(tags: list[str]) -> list[str]:
    """Every tag must be in the catalogue, as ``kind:value`` or as a bare value of some kind (the
    model's data filter takes both); the error lists the valid ones so the caller can fix it."""
    known = [t.tag for t in catalogue().items]
    accepted = set(known) | {tag.split(":", 1)[1] for tag in known if ":" in tag}
    unknown = [t for t in tags if t not in accepted]
    if unknown:
        raise InvalidInput(
            f"Unknown data-set tag(s): {', '.join(unknown)}. Valid tags: {', '.join(sorted(known))}.",
            code="UNKNOWN_TAG",
        )
    return tags


def render(tags: DatasetTagList) -> str:
    """The committed file's exact text, so the drift test compares bytes, not parsed values."""
    return tags.model_dump_json(by_alias=True, indent=1) + "\n"
