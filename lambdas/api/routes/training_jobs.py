"""/training-jobs: submit (202, QUEUED; the workflow takes it from there), poll, list, stop; the list
of per-epoch samples (the chart and each sample's file are media: ``lambdas/media/routes.py``)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.metrics import MetricUnit

from lambdas.api import idempotency
from lambdas.api.observability import metrics
from lambdas.api.requests import caller, raw_body
from lambdas.api.routes.common import (
    AUTH,
    DEFAULT_PAGE,
    IdempotencyKey,
    Limit,
    NextToken,
    errors,
)
from shared.logic import training_jobs, training_views
from shared.schemas import TrainingJob, TrainingJobIn, TrainingJobList, TrainingSampleList

router = Router()

JobId = Annotated[str, Path(min_length=1, max_length=128)]


@router.post(
    "/training-jobs",
    summary="Train a model on a filtered data set",
    security=AUTH,
    tags=["training"],
    description="Answers 202 with status QUEUED and the time `estimate`; poll `GET /training-jobs/{id}` for "
    "epoch, history and status. Tags must come from `GET /datasets` (OR within a kind, AND across kinds); an "
    "unknown tag, a combination matching nothing, or a filter too small for a useful model is a 422 naming the "
    "valid neighbours or the minimum. Beyond the deployment's limit of unfinished jobs per user: 429.",
    responses={
        202: {"description": "Queued.", "content": {"application/json": {"model": TrainingJob}}},
        **errors(400, 401, 413, 415, 422, 429),
    },
)
def create_training_job(body: TrainingJobIn, idempotency_key: IdempotencyKey = None) -> Response[TrainingJob]:
    event = router.current_event
    owner = caller(event)
    result = idempotency.once(
        owner,
        "POST /training-jobs",
        idempotency_key,
        idempotency.body_hash(raw_body(event)),
        lambda: training_jobs.submit(owner, body).to_wire(),
    )
    metrics.add_metric(name="TrainingJobsSubmitted", unit=MetricUnit.Count, value=1)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=result)


@router.get(
    "/training-jobs",
    summary="List your training jobs",
    security=AUTH,
    tags=["training"],
    responses=errors(400, 401, 422),
)
def list_training_jobs(limit: Limit = DEFAULT_PAGE, next_token: NextToken = None) -> TrainingJobList:
    return training_jobs.list_jobs(caller(router.current_event), limit, next_token)


@router.get(
    "/training-jobs/<job_id>",
    summary="Poll a training job",
    security=AUTH,
    tags=["training"],
    responses=errors(401, 404),
)
def get_training_job(job_id: JobId) -> TrainingJob:
    return training_jobs.get(caller(router.current_event), job_id)


@router.post(
    "/training-jobs/<job_id>/stop",
    summary="Stop a training job",
    security=AUTH,
    tags=["training"],
    description="A queued job is STOPPED at once; a running one is STOPPING until SageMaker confirms.",
    responses={
        202: {"description": "Stopping or stopped.", "content": {"application/json": {"model": TrainingJob}}},
        **errors(401, 404, 409),
    },
)
def stop_training_job(job_id: JobId) -> Response[TrainingJob]:
    job = training_jobs.stop(caller(router.current_event), job_id)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=job)


@router.get(
    "/training-jobs/<job_id>/samples",
    summary="The per-epoch samples of a training job",
    security=AUTH,
    tags=["training"],
    description="Each epoch the job composes the same held-out melody; each item names its MIDI's path.",
    responses=errors(401, 404),
)
def list_training_samples(job_id: JobId) -> TrainingSampleList:
    return training_views.samples(caller(router.current_event), job_id)
