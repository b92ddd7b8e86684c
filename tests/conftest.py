"""Fixtures shared across the test tree (pytest finds them here; no test module imports a fixture).

- ``cloud``: moto tables and bucket named through the functions' own environment variables, plus the
  Lambda-invoke and SageMaker-endpoint stand-ins (``tests/support/api.py``).
- ``catalogue``: the committed data-set tag catalogue the deployed API reads.
- ``workflow``: the training workflow on the local AWS endpoint, one per test module
  (``tests/support/workflow.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from shared.logic import datasets
from tests.support.api import Cloud, moto_cloud


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    with moto_cloud(monkeypatch) as running:
        yield running


@pytest.fixture
def catalogue(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The committed catalogue, the one the deployed function reads."""
    monkeypatch.delenv(datasets.CATALOGUE_ENV, raising=False)
    return json.loads(datasets.CATALOGUE_PATH.read_text())


@pytest.fixture(scope="module")
def workflow() -> Iterator[Any]:
    # Imported here: building it pulls in the CDK bundling, the local gateway and the model's data layer.
    from tests.support.workflow import running_workflow

    yield from running_workflow()
