"""/melodies: upload (raw MIDI, base64 MIDI in JSON, notes in JSON, or a composition's track), list,
read, MIDI, rename, edit the notes, delete."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from lambdas.api import idempotency
from lambdas.api.observability import metrics
from lambdas.api.requests import caller, content_type, json_body, raw_body
from lambdas.api.routes.common import AUTH, DEFAULT_PAGE, IdempotencyKey, Limit, NextToken, binary, errors
from shared.contract import MIDI_TYPES
from shared.errors import InvalidInput, InvalidMidi, PayloadTooLarge
from shared.limits import MAX_BARS_FROM_COMPOSITION
from shared.logic import compositions, melodies
from shared.music.melody_rules import MAX_MIDI_BYTES
from shared.schemas import (
    Melody,
    MelodyFromCompositionIn,
    MelodyList,
    MelodyMidiIn,
    MelodyNotesEditIn,
    MelodyNotesIn,
    NameIn,
)

router = Router()

MelodyId = Annotated[str, Path(min_length=1, max_length=128)]


@router.post(
    "/melodies",
    summary="Upload a melody",
    security=AUTH,
    tags=["melodies"],
    description="Body: raw MIDI (`audio/midi`), JSON `{name, midi: base64}`, JSON "
    "`{name, tempo, timeSignature, notes: [{pitch, start, duration, velocity}]}` "
    "(start and duration in beats), or JSON `{fromComposition, track, name?}`: one track (its `index`) of "
    f"one of your COMPLETED compositions, which may be up to {MAX_BARS_FROM_COMPOSITION} bars. "
    "A raw MIDI upload is named by `?name=`, else by its track name.",
    responses={
        201: {"description": "The stored melody.", "content": {"application/json": {"model": Melody}}},
        **errors(400, 401, 413, 415, 422),
    },
)
def create_melody(
    idempotency_key: IdempotencyKey = None,
    name: Annotated[str | None, Query(min_length=1, max_length=100, description="Name of a raw MIDI upload.")] = None,
) -> Response[Melody]:
    event = router.current_event
    owner = caller(event)
    body = raw_body(event)
    if content_type(event) in MIDI_TYPES:

        def create() -> dict[str, Any]:
            return melodies.create_from_midi(owner, name, body).to_wire()
    else:
        create = _from_json(owner, json_body(event))
    result = idempotency.once(owner, "POST /melodies", idempotency_key, idempotency.body_hash(body), create)
    metrics.add_metric(name="MelodiesCreated", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=result)


def _from_json(owner: str, payload: object):
    """Pick the JSON form by its fields, validate it, and return the creation to run (once)."""
    forms = [k for k in ("notes", "midi", "fromComposition") if isinstance(payload, dict) and k in payload]
    if not isinstance(payload, dict) or len(forms) != 1:
        raise InvalidInput(
            "Send one of {name, midi: <base64 MIDI>}, {name, tempo, notes: [...]} or {fromComposition, track, name}.",
            code="MELODY_FORM",
        )
    if forms == ["fromComposition"]:
        source = MelodyFromCompositionIn.model_validate(payload)
        return lambda: compositions.to_melody(owner, source).to_wire()
    if "notes" in payload:
        notes_in = MelodyNotesIn.model_validate(payload)
        return lambda: melodies.create_from_notes(owner, notes_in).to_wire()
    midi = payload.get("midi")
    if isinstance(midi, str) and len(midi) > (MAX_MIDI_BYTES + 2) // 3 * 4 + 4:
        raise PayloadTooLarge(f"The MIDI file is over {MAX_MIDI_BYTES} bytes. Send a shorter melody.")
    midi_in = MelodyMidiIn.model_validate(payload)
    try:
        data = base64.b64decode(midi_in.midi, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidMidi("The 'midi' field is not valid base64.") from exc
    return lambda: melodies.create_from_midi(owner, midi_in.name, data).to_wire()


@router.get(
    "/melodies",
    summary="List your melodies and the built-in samples",
    security=AUTH,
    tags=["melodies"],
    responses=errors(400, 401, 422),
)
def list_melodies(limit: Limit = DEFAULT_PAGE, next_token: NextToken = None) -> MelodyList:
    return melodies.list_melodies(caller(router.current_event), limit, next_token)


@router.get(
    "/melodies/<melody_id>", summary="Read a melody", security=AUTH, tags=["melodies"], responses=errors(401, 404)
)
def get_melody(melody_id: MelodyId) -> Melody:
    return melodies.get(caller(router.current_event), melody_id)


@router.get(
    "/melodies/<melody_id>/midi",
    summary="Download a melody as MIDI",
    security=AUTH,
    tags=["melodies"],
    responses={**binary("audio/midi", "The melody as a Standard MIDI File."), **errors(401, 404)},
)
def get_melody_midi(melody_id: MelodyId):  # no return annotation: the body is binary or empty, not JSON to validate
    data = melodies.midi(caller(router.current_event), melody_id)
    return Response(
        status_code=200,
        content_type="audio/midi",
        body=data,
        headers={"Content-Disposition": f'attachment; filename="{melody_id}.mid"'},
    )


@router.patch(
    "/melodies/<melody_id>",
    summary="Rename one of your melodies",
    security=AUTH,
    tags=["melodies"],
    description="Body `{name}` (1-100 characters). A built-in sample cannot be renamed (409).",
    responses=errors(400, 401, 404, 409, 422),
)
def rename_melody(melody_id: MelodyId, body: NameIn) -> Melody:
    return melodies.rename(caller(router.current_event), melody_id, body.name)


@router.put(
    "/melodies/<melody_id>/notes",
    summary="Replace a melody's notes",
    security=AUTH,
    tags=["melodies"],
    description="Body `{notes: [{pitch, start, duration, velocity}], tempo?, timeSignature?}` (beats); tempo and "
    "meter stay as they were unless given. The melody rules apply (a melody made from a composition keeps its "
    f"{MAX_BARS_FROM_COMPOSITION}-bar limit). The melody's `version` goes up by one; compositions made from an "
    "earlier version keep theirs. A built-in sample cannot be edited (409).",
    responses=errors(400, 401, 404, 409, 422),
)
def replace_melody_notes(melody_id: MelodyId, body: MelodyNotesEditIn) -> Melody:
    return melodies.replace_notes(caller(router.current_event), melody_id, body)


@router.delete(
    "/melodies/<melody_id>",
    summary="Delete one of your melodies",
    security=AUTH,
    tags=["melodies"],
    responses={204: {"description": "Deleted."}, **errors(401, 404, 409)},
)
def delete_melody(melody_id: MelodyId):  # no return annotation: the body is binary or empty, not JSON to validate
    melodies.delete(caller(router.current_event), melody_id)
    return Response(status_code=204, body="")
