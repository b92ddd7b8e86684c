"""The compositions table. Every status change is conditional on the current status (forward only),
and expiry of a worker's lease is a condition too, so a reader that times out a dead worker and a
late worker that finishes cannot both win.
"""

from __future__ import annotations

from shared.resources import COMPOSITIONS
from shared.statuses import CompositionStatus
from shared.store import dynamo
from shared.store.dynamo import Item

LEASE_ATTRIBUTE = "leaseExpiresAt"
# The model's endpoint, resolved (and checked READY) when the composition is accepted, so the worker
# needs no models-table access.
ENDPOINT_ATTRIBUTE = "endpointName"


def create(item: Item) -> None:
    dynamo.create(COMPOSITIONS, item)


def get(owner: str, composition_id: str) -> Item | None:
    return dynamo.get(COMPOSITIONS, owner, composition_id)


def page(owner: str, limit: int, start_key: Item | None = None) -> tuple[list[Item], Item | None]:
    return dynamo.query_owner(COMPOSITIONS, owner, limit, start_key)


def move(
    owner: str, composition_id: str, status: CompositionStatus, fields: Item, *, lease_expires_at: int | None = None
) -> Item:
    """Move to ``status`` and set ``fields``; a lease (epoch seconds) is set or, for a final status, removed."""
    values = dict(fields)
    remove: tuple[str, ...] = ()
    if lease_expires_at is not None:
        values[LEASE_ATTRIBUTE] = lease_expires_at
    else:
        remove = (LEASE_ATTRIBUTE,)
    return dynamo.update(COMPOSITIONS, owner, composition_id, values, status=status, remove=remove)


def fail_if_lease_expired(owner: str, composition_id: str, reason: str, now_epoch: int, updated_at: str) -> Item:
    """FAILED with ``reason``, but only if the lease really expired before ``now_epoch``."""
    return dynamo.update(
        COMPOSITIONS,
        owner,
        composition_id,
        {"failureReason": reason, "updatedAt": updated_at},
        status=CompositionStatus.FAILED,
        condition="#lease < :now",
        values={":now": now_epoch},
        names={"#lease": LEASE_ATTRIBUTE},
        remove=(LEASE_ATTRIBUTE,),
    )


def rename(owner: str, composition_id: str, name: str, updated_at: str) -> Item:
    return dynamo.update(COMPOSITIONS, owner, composition_id, {"name": name, "updatedAt": updated_at})
