"""/health, /openapi.json and /datasets: the routes that describe the service itself."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from lambdas.api.requests import caller
from lambdas.api.routes.common import AUTH, errors
from shared.logic import datasets
from shared.schemas import DatasetTagList, Health

router = Router()

API_VERSION = "1.0.0"


@router.get("/health", summary="Liveness", tags=["service"])
def health() -> Health:
    return Health(version=API_VERSION)


@router.get("/openapi.json", summary="This API's OpenAPI document", tags=["service"], include_in_schema=False)
def openapi_json():  # no return annotation: the document is served as is
    from lambdas.api.openapi import document_json  # the document needs the assembled app

    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document_json())


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
