"""The committed tag catalogue the API serves is exactly what the model's data index says."""

from __future__ import annotations

import pytest

from model.catalogue import build_catalogue
from shared.errors import InvalidInput
from shared.logic import datasets


def test_committed_catalogue_matches_the_model_index():
    assert datasets.CATALOGUE_PATH.read_text(encoding="utf-8") == datasets.render(build_catalogue()), (
        "shared/datasets/tags.json drifted from model/dataset_index.json: run `python -m model.catalogue`"
    )


def test_catalogue_accepts_what_the_model_filter_accepts_and_names_the_rest():
    from model.data import match

    datasets.validate_tags(["collection:bach-chorales", "meter:4/4", "bach"])
    assert match(["collection:bach-chorales", "meter:4/4", "bach"])
    with pytest.raises(InvalidInput) as caught:
        datasets.validate_tags(["composer:bach", "jazz"])
    assert caught.value.status == 422 and "jazz" in caught.value.message and "composer:bach" in caught.value.message
