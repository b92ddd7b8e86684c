"""/health and /datasets: the routes that describe the service itself (``/openapi.json`` is served by
``lambdas.api.app``, which owns the assembled document)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from lambdas.api.requests import caller
from lambdas.api.routes.common import AUTH, errors
from lambdas.api.spec import API_VERSION
from shared.logic import datasets
from shared.schemas import DatasetTagList, Health

router = Router()


@router.get("/health", summary="Liveness", tags=["service"])
def health() -> Health:
    return Health(version=API_VERSION)


@router.get(
    "/datasets",
    summary="The data-set tags training jobs can filter on",
    security=AUTH,
    tags=["training"],
    responses=errors(401, stored=False),
)
def list_datasets() -> DatasetTagList:
    caller(router.current_event)
    return datasets.catalogue()
