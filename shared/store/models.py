"""The models table: shipped models under owner ``builtin``, custom ones under their owner."""

from __future__ import annotations

from shared.resources import MODELS
from shared.statuses import ModelStatus
from shared.store import dynamo
from shared.store.dynamo import Item


def create(item: Item) -> None:
    dynamo.create(MODELS, item)


def put(item: Item) -> None:
    """Overwrite: a shipped model is re-registered at every deploy/start with its current endpoint."""
    dynamo.put(MODELS, item)


def get_for_owners(owners: list[str], model_id: str) -> dict[str, Item]:
    """The model ``model_id`` as stored under each of ``owners`` (one round trip), by owner."""
    items = dynamo.get_many(MODELS, [(owner, model_id) for owner in owners])
    return {owner: item for (owner, _), item in items.items()}


def page(owner: str, limit: int, start_key: Item | None = None) -> tuple[list[Item], Item | None]:
    return dynamo.query_owner(MODELS, owner, limit, start_key)


def mark_deleting(owner: str, model_id: str, from_statuses: tuple[ModelStatus, ...]) -> Item:
    """DELETING, only from one of ``from_statuses``, so a model still being created is not pulled away."""
    values = {f":s{i}": str(s) for i, s in enumerate(from_statuses)}
    return dynamo.update(
        MODELS,
        owner,
        model_id,
        {"status": str(ModelStatus.DELETING)},
        condition=f"#st IN ({', '.join(values)})",
        values=values,
        names={"#st": "status"},
    )


def delete(owner: str, model_id: str) -> None:
    dynamo.delete(MODELS, owner, model_id)
