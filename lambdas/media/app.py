"""The media function's resolver: the media routes, and the same error mapping and CORS as the api
function, so an answer looks the same whichever function gave it."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig

from lambdas.api import errors
from lambdas.media import routes

app = APIGatewayRestResolver(
    enable_validation=True,
    cors=CORSConfig(allow_origin=errors.allowed_origin(), max_age=600),
)
app.include_router(routes.router)
errors.register(app)
