"""The resolver: validation on, every router included, its own OpenAPI document served, the error
mapping attached."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types

from lambdas.api import errors, spec
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


@app.get("/openapi.json", summary="This API's OpenAPI document", tags=["service"], include_in_schema=False)
def openapi_json() -> Response[str]:
    """Served as is: generated once per process from the routes above, on the first request."""
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=spec.document_json(app))


errors.register(app)
