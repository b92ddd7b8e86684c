"""The resolver: validation on, every router included, the error mapping attached."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig

from lambdas.api import errors
from lambdas.api.routes import compositions, melodies, model_types, models, service, training_jobs

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
    training_jobs.router,
):
    app.include_router(_router)
errors.register(app)
