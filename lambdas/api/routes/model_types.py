"""/model-types: the generative techniques, with the JSON Schemas of their knobs and training settings."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from lambdas.api.requests import caller
from lambdas.api.routes.common import AUTH, errors
from shared.logic import models
from shared.schemas import ModelTypeList

router = Router()


@router.get(
    "/model-types",
    summary="The model types, with their parameter and training hyperparameter schemas",
    security=AUTH,
    tags=["models"],
    description="Each type's `parameterSchema` (what `POST /compositions` takes as `parameters` for its models) "
    "and `hyperparameterSchema` (what `POST /training-jobs` takes as `hyperparameters` with that `modelType`), "
    "both JSON Schema draft 2020-12 with type, range, default and description per knob.",
    responses=errors(401, stored=False),
)
def list_model_types() -> ModelTypeList:
    caller(router.current_event)
    return models.model_types()
