"""The resolver: validation on, every router included, the API's OpenAPI document served, the error
mapping attached."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types

from lambdas.api import errors
from lambdas.api.routes import compositions, melodies, model_types, models, service, shares, training_jobs

app = APIGatewayRestResolver(
    enable_validation=True,
    cors=CORSConfig(allow_origin=errors.allowed_origin(), allow_headers=["Idempotency-Key"], max_age=600),
)
for _router in (
    service.router,
    melodies.router,
    models.router,
    model_types.router,
    compositions.router,
    shares.router,
    training_jobs.router,
):
    app.include_router(_router)


# The whole API's document (this function's routes and the media function's), checked in at the
# repository root and copied to the asset's root by cdk/bundling.py: the same relative place.
OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi.json"


@cache
def _openapi_text() -> str:
    return OPENAPI_FILE.read_text(encoding="utf-8")


@app.get("/openapi.json", summary="This API's OpenAPI document", tags=["service"], include_in_schema=False)
def openapi_json() -> Response[str]:
    """Served as checked in (``python -m lambdas.openapi`` writes it), read once per process."""
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=_openapi_text())


errors.register(app)
