"""/shared/{token}: one shared composition, read-only, for anyone holding the link (no sign-in; on
AWS these routes have no authorizer and their own throttle, cdk/api.py)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from lambdas.api.routes.common import ShareToken, binary, errors
from shared.contract import SHARED_PATH
from shared.logic import shares
from shared.schemas import SharedComposition

router = Router()

Token = ShareToken
# The default execute-api host serves the API under its stage name; a custom domain maps its own path.
_STAGE_IN_PATH = ".amazonaws.com"


def share_url(event: BaseProxyEvent, token: str) -> str:
    """The link as the caller reached this API: scheme and host of the request (and the stage on the
    default execute-api host)."""
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    context = event.get("requestContext") or {}
    host = headers.get("host") or context.get("domainName") or "localhost"
    scheme = headers.get("x-forwarded-proto", "http").split(",")[0].strip()
    stage = f"/{context.get('stage')}" if host.endswith(_STAGE_IN_PATH) and context.get("stage") else ""
    return f"{scheme}://{host}{stage}{SHARED_PATH}/{token}"


@router.get(
    f"{SHARED_PATH}/<token>",
    summary="A shared composition: name, bars, tracks, model",
    tags=["shares"],
    description="No sign-in. Nothing else of the owner's is reachable from the token.",
    responses=errors(404),
)
def get_shared(token: Token) -> SharedComposition:
    return shares.summary(token)


@router.get(
    f"{SHARED_PATH}/<token>/midi",
    summary="A shared composition as MIDI",
    tags=["shares"],
    responses={**binary("audio/midi", "Every track; track 0 is the melody."), **errors(404)},
)
def get_shared_midi(token: Token):  # no return annotation: the body is binary, not JSON to validate
    return Response(
        status_code=200,
        content_type="audio/midi",
        body=shares.midi(token),
        headers={"Content-Disposition": 'attachment; filename="shared.mid"'},
    )
