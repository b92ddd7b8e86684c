"""The base of every model that travels as JSON: camelCase on the wire, snake_case in Python.

It lives apart from ``shared.schemas`` so that the model-type specs in ``shared.model_types`` (which
``shared.schemas`` uses) can build on it without an import cycle.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """camelCase on the wire, either case accepted in, unknown fields rejected."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
