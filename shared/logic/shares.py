"""Share links: a read-only view of one finished composition for anyone holding its token, without
signing in.

The token is ``secrets.token_urlsafe(TOKEN_BYTES)`` (144 random bits), unguessable; its item in the
compositions table names the composition, so resolving one is one key read plus the composition's
own record. A composition has at most one active link: sharing again answers the same token until it
is revoked; after a revoke, sharing again makes a new token and the old one stays dead.

What a token reaches is that composition's summary (name, bars, tracks, the model's name and type),
its MIDI and its piano roll: never its owner, its melody, its id or anything else of the owner's.
"""

from __future__ import annotations

import secrets

from shared.errors import Conflict, NotFound
from shared.logic import clock, compositions, models
from shared.logic.records import from_item
from shared.resources import Keys
from shared.schemas import Composition, SharedComposition
from shared.statuses import CompositionStatus
from shared.store import blobs, shares
from shared.store import compositions as composition_store
from shared.store.errors import StaleWrite

TOKEN_BYTES = 18
_GONE = "This share link does not exist or was revoked."


def share(owner: str, composition_id: str) -> str:
    """The composition's active token, made now if it has none (it must be COMPLETED)."""
    composition = compositions.get(owner, composition_id)
    if composition.share_token:
        return composition.share_token
    if composition.status != CompositionStatus.COMPLETED:
        raise Conflict(
            f"Composition {composition_id} is {composition.status}; it can be shared once it is COMPLETED.",
            code="NOT_COMPLETED",
        )
    try:
        model_name = models.get(owner, composition.model_id).name
    except NotFound:
        model_name = composition.model_id
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = {"modelName": model_name, "createdAt": clock.iso(clock.now())}
    try:
        shares.create(token, owner, composition_id, link)
    except StaleWrite:
        # Shared (or deleted) by a concurrent request: its outcome stands.
        again = compositions.get(owner, composition_id)
        if again.share_token:
            return again.share_token
        raise
    return token


def unshare(owner: str, composition_id: str) -> None:
    """Revoke the active link; a composition that is not shared stays so (no error)."""
    composition = compositions.get(owner, composition_id)
    if not composition.share_token:
        return
    try:
        shares.revoke(composition.share_token, owner, composition_id)
    except StaleWrite:
        if compositions.get(owner, composition_id).share_token:
            raise Conflict(
                f"Composition {composition_id} was shared again at the same moment; revoke it again.",
                code="SHARE_CONFLICT",
            ) from None


def _resolve(token: str) -> tuple[dict[str, str], Composition]:
    link = shares.get(token)
    if link is None:
        raise NotFound(_GONE)
    item = composition_store.get(link["compositionOwner"], link["compositionId"])
    if item is None or item.get(shares.TOKEN_ATTRIBUTE) != token:
        raise NotFound(_GONE)
    return link, from_item(Composition, item)


def summary(token: str) -> SharedComposition:
    link, composition = _resolve(token)
    return SharedComposition(
        name=composition.name or "Untitled composition",
        bars=composition.bars,
        tracks=composition.tracks,
        model=link.get("modelName") or "",
        model_type=composition.model_type,
        created_at=composition.created_at,
    )


def shared_midi(token: str) -> tuple[str, bytes]:
    """The shared composition's MIDI and the key it is stored at (the media function caches its audio
    under that key, beside the owner's own renders)."""
    _, composition = _resolve(token)
    data = blobs.get_composition(composition.owner, composition.id)
    if data is None:
        raise NotFound(_GONE)
    return Keys.composition_midi(composition.owner, composition.id), data


def midi(token: str) -> bytes:
    return shared_midi(token)[1]
