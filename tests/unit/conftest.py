"""Fixtures of the unit tests beyond the tree-wide ones in ``tests/conftest.py``."""

from __future__ import annotations

import pytest

from tests.support.api import Cloud
from tests.support.model_types import register_typed_models


@pytest.fixture
def typed_models(cloud: Cloud) -> Cloud:
    """The cloud fixture plus a built-in model of every type (``tests/support/model_types.py``)."""
    register_typed_models()
    return cloud
