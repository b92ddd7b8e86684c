"""/compositions: start one (202, asynchronous), poll it, download the MIDI, rename, delete, and share
it (a link that works without signing in, served by routes/shares.py). Audio and the piano roll are the
media function's: ``lambdas/media``."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit

from lambdas.api import idempotency
from lambdas.api.observability import metrics
from lambdas.api.requests import caller, raw_body
from lambdas.api.routes.common import AUTH, DEFAULT_PAGE, IdempotencyKey, Limit, NextToken, binary, errors
from lambdas.api.routes.shares import share_url
from shared.logic import compositions, shares
from shared.schemas import Composition, CompositionIn, CompositionList, NameIn, Share

router = Router()

CompositionId = Annotated[str, Path(min_length=1, max_length=128)]


@router.post(
    "/compositions",
    summary="Compose: melody + model -> four-track composition",
    security=AUTH,
    tags=["compositions"],
    description="Answers 202 at once with status PENDING; poll `GET /compositions/{id}` until COMPLETED or FAILED.",
    responses={
        202: {"description": "Accepted.", "content": {"application/json": {"model": Composition}}},
        **errors(400, 401, 404, 409, 413, 415, 422),
    },
)
def create_composition(body: CompositionIn, idempotency_key: IdempotencyKey = None) -> Response[Composition]:
    event = router.current_event
    owner = caller(event)
    result = idempotency.once(
        owner,
        "POST /compositions",
        idempotency_key,
        idempotency.body_hash(raw_body(event)),
        lambda: compositions.start(owner, body).to_wire(),
    )
    metrics.add_metric(name="CompositionsStarted", unit=MetricUnit.Count, value=1)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=result)


@router.get(
    "/compositions",
    summary="List your compositions",
    security=AUTH,
    tags=["compositions"],
    responses=errors(400, 401, 422),
)
def list_compositions(limit: Limit = DEFAULT_PAGE, next_token: NextToken = None) -> CompositionList:
    return compositions.list_compositions(caller(router.current_event), limit, next_token)


@router.get(
    "/compositions/<composition_id>",
    summary="Poll a composition",
    security=AUTH,
    tags=["compositions"],
    responses=errors(401, 404),
)
def get_composition(composition_id: CompositionId) -> Composition:
    return compositions.get(caller(router.current_event), composition_id)


@router.patch(
    "/compositions/<composition_id>",
    summary="Rename a composition",
    security=AUTH,
    tags=["compositions"],
    description="Body `{name}` (1-100 characters).",
    responses=errors(400, 401, 404, 422),
)
def rename_composition(composition_id: CompositionId, body: NameIn) -> Composition:
    return compositions.rename(caller(router.current_event), composition_id, body.name)


@router.delete(
    "/compositions/<composition_id>",
    summary="Delete one of your compositions",
    security=AUTH,
    tags=["compositions"],
    description="Deletes the record, its files and its share link. Deleting it again answers 404.",
    responses={204: {"description": "Deleted."}, **errors(401, 404, 409)},
)
def delete_composition(composition_id: CompositionId):  # no return annotation: the body is empty
    compositions.delete(caller(router.current_event), composition_id)
    return Response(status_code=204, body="")


@router.post(
    "/compositions/<composition_id>/share",
    summary="Share a composition: a read-only link that works without signing in",
    security=AUTH,
    tags=["shares"],
    description="Answers the active link's `{token, url}`; sharing again answers the same one until "
    "`DELETE /compositions/{id}/share` revokes it (then a new token). The composition must be COMPLETED.",
    responses={
        201: {"description": "The link.", "content": {"application/json": {"model": Share}}},
        **errors(401, 404, 409),
    },
)
def share_composition(composition_id: CompositionId) -> Response[Share]:
    event = router.current_event
    token = shares.share(caller(event), composition_id)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=Share(token=token, url=share_url(event, token)),
    )


@router.delete(
    "/compositions/<composition_id>/share",
    summary="Revoke a composition's share link",
    security=AUTH,
    tags=["shares"],
    description="The link answers 404 from then on. A composition that is not shared answers 204 too.",
    responses={204: {"description": "Revoked."}, **errors(401, 404, 409)},
)
def unshare_composition(composition_id: CompositionId):  # no return annotation: the body is empty
    shares.unshare(caller(router.current_event), composition_id)
    return Response(status_code=204, body="")


@router.get(
    "/compositions/<composition_id>/midi",
    summary="Download the composition as MIDI",
    security=AUTH,
    tags=["compositions"],
    responses={**binary("audio/midi", "Four tracks; track 0 is the melody."), **errors(401, 404, 409)},
)
def get_composition_midi(
    composition_id: CompositionId,
):  # no return annotation: the body is binary or empty, not JSON to validate
    data = compositions.midi(caller(router.current_event), composition_id)
    return Response(
        status_code=200,
        content_type="audio/midi",
        body=data,
        headers={"Content-Disposition": f'attachment; filename="{composition_id}.mid"'},
    )
