"""/models: the shipped models and the caller's own, with status and training metrics."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from lambdas.api.requests import caller
from lambdas.api.routes.common import AUTH, DEFAULT_PAGE, Limit, NextToken, errors
from shared.logic import models
from shared.schemas import Model, ModelList

router = Router()

ModelId = Annotated[str, Path(min_length=1, max_length=128)]


@router.get(
    "/models",
    summary="List the shipped models and your own",
    security=AUTH,
    tags=["models"],
    responses=errors(400, 401, 422),
)
def list_models(limit: Limit = DEFAULT_PAGE, next_token: NextToken = None) -> ModelList:
    return models.list_models(caller(router.current_event), limit, next_token)


@router.get("/models/<model_id>", summary="Read a model", security=AUTH, tags=["models"], responses=errors(401, 404))
def get_model(model_id: ModelId) -> Model:
    return models.get(caller(router.current_event), model_id)


@router.delete(
    "/models/<model_id>",
    summary="Delete one of your models (and its endpoint)",
    security=AUTH,
    tags=["models"],
    responses={204: {"description": "Deleted."}, **errors(401, 404, 409)},
)
def delete_model(model_id: ModelId):  # no return annotation: the body is binary or empty, not JSON to validate
    models.delete(caller(router.current_event), model_id)
    return Response(status_code=204, body="")
