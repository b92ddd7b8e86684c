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
    description="Per tag: pieces, held-out pieces (never trained on), training windows and styles. A tag is "
    "`kind:value` (or a bare value of any kind); tags of one kind are alternatives (OR), tags of different kinds "
    "must all hold (AND). A GAN or AR-CNN filter needs `minimumTrainingPieces` training and "
    "`minimumHeldOutPieces` held-out pieces; a Transformer filters on `melodyCollections`.",
    security=AUTH,
    tags=["training"],
    responses=errors(401, stored=False),
)
def list_datasets() -> DatasetTagList:
    caller(router.current_event)
    return datasets.catalogue()
