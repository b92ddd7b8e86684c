"""Compositions, API side: start one (PENDING + an asynchronous hand-off to the worker), read and
list them, fetch the MIDI (its audio and picture: ``shared.logic.media``), rename and delete them,
and turn one track of a finished one into a melody.

Crash safety: every PENDING/RUNNING record carries a lease (``leaseExpiresAt``, epoch seconds). A
read that finds the lease expired moves the record to FAILED ("worker timed out"), conditionally on
the lease still being expired, so no composition stays PENDING or RUNNING forever and a late worker
cannot overwrite the verdict.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from shared.errors import Conflict, InvalidInput, MelodyRuleViolation, NotFound
from shared.logic import clock, melodies, models
from shared.logic.ids import new_id
from shared.logic.pagination import Source, paginate
from shared.logic.records import from_item, to_item
from shared.model_types import spec_for
from shared.music.midi_codec import read_midi
from shared.music.score import Score, Track
from shared.schemas import Composition, CompositionIn, CompositionList, Melody, MelodyFromCompositionIn, MelodySource
from shared.statuses import COMPOSITION_FINAL, CompositionStatus
from shared.store import blobs, functions, shares
from shared.store import compositions as store
from shared.store.errors import DispatchError, StaleWrite

logger = logging.getLogger(__name__)

# A queued asynchronous invocation may wait before it runs; the worker then renews the lease.
PENDING_LEASE = timedelta(minutes=15)
# Longer than the worker function's timeout (5 min in the stack), so only a dead worker lets it expire.
RUNNING_LEASE = timedelta(minutes=6)
WORKER_TIMED_OUT = "worker timed out: the composition worker stopped before finishing; try again"


def lease_until(delta: timedelta) -> int:
    return int((clock.now() + delta).timestamp())


def start(owner: str, request: CompositionIn) -> Composition:
    """Check the melody, the model and its parameters, record PENDING (with the resolved parameters:
    given > the model's defaults > its type's) and queue the worker; answers at once."""
    melody = melodies.get(owner, request.melody_id)
    model = models.require_ready(owner, request.model_id)
    parameters = spec_for(model.type).resolve_parameters(request.parameters, model.default_parameters)
    now = clock.now()
    composition = Composition(
        id=new_id("cmp"),
        owner=owner,
        name=request.name or f"{melody.name} ({model.name})"[:100],
        melody_id=request.melody_id,
        melody_version=melody.version,
        model_id=request.model_id,
        model_type=model.type,
        seed=request.seed if request.seed is not None else secrets.randbelow(2**31),
        parameters=parameters.to_wire(),
        status=CompositionStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    store.create(
        to_item(
            composition,
            owner,
            **{store.LEASE_ATTRIBUTE: lease_until(PENDING_LEASE), store.ENDPOINT_ATTRIBUTE: model.endpoint_name},
        )
    )
    try:
        functions.invoke_async(functions.COMPOSE_WORKER_ENV, {"owner": owner, "compositionId": composition.id})
    except DispatchError as exc:
        logger.error("could not queue the worker for %s: %s", composition.id, exc)
        return fail(owner, composition.id, f"could not start the composition worker: {exc}")
    return composition


def fail(owner: str, composition_id: str, reason: str) -> Composition:
    """FAILED with a readable reason (from PENDING or RUNNING only: a final verdict stands)."""
    try:
        item = store.move(
            owner,
            composition_id,
            CompositionStatus.FAILED,
            {"failureReason": reason, "updatedAt": clock.iso(clock.now())},
        )
    except StaleWrite:
        return get(owner, composition_id)
    return from_item(Composition, item)


def get(owner: str, composition_id: str) -> Composition:
    item = store.get(owner, composition_id)
    if item is None:
        raise NotFound(f"Composition {composition_id} does not exist.")
    return from_item(Composition, _expire(owner, item))


def list_compositions(owner: str, limit: int, token: str | None) -> CompositionList:
    items, next_token = paginate([Source(owner, lambda n, key: store.page(owner, n, key))], limit, token)
    return CompositionList(items=[from_item(Composition, _expire(owner, i)) for i in items], next_token=next_token)


def midi(owner: str, composition_id: str) -> bytes:
    composition = get(owner, composition_id)
    if composition.status != CompositionStatus.COMPLETED:
        raise Conflict(
            f"Composition {composition_id} is {composition.status}; the MIDI exists once it is COMPLETED.",
            code="NOT_COMPLETED",
        )
    data = blobs.get_composition(owner, composition_id)
    if data is None:
        raise NotFound(f"Composition {composition_id} has no MIDI file.")
    return data


def rename(owner: str, composition_id: str, name: str) -> Composition:
    get(owner, composition_id)
    try:
        item = store.rename(owner, composition_id, name, clock.iso(clock.now()))
    except StaleWrite as exc:
        raise NotFound(f"Composition {composition_id} does not exist.") from exc
    return from_item(Composition, _expire(owner, item))


def delete(owner: str, composition_id: str) -> None:
    """The record, its share link and its files. A second delete is a 404: the composition is gone,
    as after the first. A worker still composing it finds no record and keeps nothing."""
    item = store.get(owner, composition_id)
    if item is None:
        raise NotFound(f"Composition {composition_id} does not exist.")
    try:
        shares.delete_with_composition(owner, composition_id, item.get(shares.TOKEN_ATTRIBUTE))
    except StaleWrite as exc:
        if store.get(owner, composition_id) is None:
            raise NotFound(f"Composition {composition_id} does not exist.") from exc
        raise Conflict(
            f"Composition {composition_id} was shared or unshared at the same moment; delete it again.",
            code="DELETE_CONFLICT",
        ) from exc
    blobs.delete_composition_files(owner, composition_id)


def to_melody(owner: str, request: MelodyFromCompositionIn) -> Melody:
    """One track of one's own COMPLETED composition as a new melody (up to the longer limit such a
    melody has), in the composition's tempo and meter."""
    composition = get(owner, request.from_composition)
    data = midi(owner, request.from_composition)
    score = read_midi(data).score
    indices = [t.index for t in composition.tracks] or list(range(len(score.tracks)))
    if request.track not in indices or request.track >= len(score.tracks):
        raise InvalidInput(
            f"Composition {composition.id} has no track {request.track}; its tracks are "
            f"{', '.join(f'{t.index} ({t.name})' for t in composition.tracks) or 'none'}.",
            code="NO_SUCH_TRACK",
        )
    track = score.tracks[request.track]
    if not track.notes:
        raise MelodyRuleViolation(
            f"Track {request.track} of composition {composition.id} has no notes; choose a track with notes.",
            code="NO_NOTES",
        )
    listed = next((t.name for t in composition.tracks if t.index == request.track), track.name)
    name = request.name or f"{composition.name or composition.id} - {listed}"[:100]
    melody = Score(
        tracks=[Track(notes=list(track.notes), name=name, program=track.program)],
        ticks_per_beat=score.ticks_per_beat,
        tempo_us=score.tempo_us,
        time_signature=score.time_signature,
    )
    return melodies.create_from_score(
        owner, name, melody, MelodySource(composition_id=composition.id, track=request.track)
    )


def _expire(owner: str, item: dict[str, Any]) -> dict[str, Any]:
    lease = item.get(store.LEASE_ATTRIBUTE)
    if CompositionStatus(item["status"]) in COMPOSITION_FINAL or lease is None:
        return item
    now = clock.now()
    if lease >= int(now.timestamp()):
        return item
    try:
        return store.fail_if_lease_expired(owner, item["id"], WORKER_TIMED_OUT, int(now.timestamp()), clock.iso(now))
    except StaleWrite:
        return store.get(owner, item["id"]) or item
