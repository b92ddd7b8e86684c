"""Stored items <-> wire models. Items are the camelCase wire fields plus ``owner`` and, for some
tables, bookkeeping attributes (leases) that the wire models do not carry.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from shared.errors import StoredRecordInvalid
from shared.schemas import WireModel
from shared.store import dynamo

M = TypeVar("M", bound=WireModel)


def to_item(model: WireModel, owner: str, **extra: Any) -> dict[str, Any]:
    item = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    item["owner"] = owner
    item.update({k: v for k, v in extra.items() if v is not None})
    return item


def typed_item(model: WireModel, owner: str, **extra: Any) -> dict[str, Any]:
    """The same item in DynamoDB's typed form (``{"S": ...}``), for writers outside boto3's resource
    layer, e.g. the deployment's custom resource that registers the shipped models."""
    return {key: dynamo.typed(value) for key, value in to_item(model, owner, **extra).items()}


def from_item(model_type: type[M], item: dict[str, Any]) -> M:
    """Keep only the fields the wire model knows (its aliases), so bookkeeping attributes never leak out."""
    known = {field.alias or name for name, field in model_type.model_fields.items()}
    try:
        return model_type.model_validate({k: v for k, v in item.items() if k in known})
    except ValidationError as exc:
        # Not the caller's input: without this the API's pydantic mapping would answer 422.
        raise StoredRecordInvalid(
            f"The stored {model_type.__name__.lower()} {item.get('id', '')} could not be read; this is a fault on "
            "our side and has been logged."
        ) from exc
