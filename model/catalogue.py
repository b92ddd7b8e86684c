"""Build step: the data-set tag catalogue the API serves, from the model's tag index.

``python -m model.catalogue`` rewrites ``shared/datasets/tags.json`` after ``model/dataset_index.json``
changes; a test fails when the two drift. It lives on the model side because only the model knows
the corpus; the API Lambda reads the committed file and never imports this package.
"""

from __future__ import annotations

from model.data import list_tags
from shared.logic.datasets import CATALOGUE_PATH, render
from shared.schemas import DatasetTagList


def build_catalogue() -> DatasetTagList:
    """The catalogue in the ``DatasetTagList`` wire shape."""
    return DatasetTagList.model_validate({"items": list_tags()})


if __name__ == "__main__":
    CATALOGUE_PATH.write_text(render(build_catalogue()), encoding="utf-8")
    print(f"wrote {CATALOGUE_PATH}")
