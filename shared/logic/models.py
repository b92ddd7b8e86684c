"""Models: the shipped ones (owner ``builtin``, registered at deploy/start) and the caller's own,
which the training workflow registers when a job completes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from shared.errors import Conflict, NotFound
from shared.logic import clock
from shared.logic.pagination import Source, paginate
from shared.logic.records import from_item, to_item
from shared.model_types import REGISTRY, InvalidParameters, ModelType, spec_for
from shared.resources import BUILTIN_OWNER
from shared.schemas import Model, ModelList, ModelTypeInfo, ModelTypeList
from shared.statuses import ModelStatus
from shared.store import models as store
from shared.store import sagemaker
from shared.store.errors import StaleWrite

logger = logging.getLogger(__name__)


def register_builtin_model(
    model_id: str,
    name: str,
    endpoint_name: str,
    *,
    description: str = "",
    genre: str | None = None,
    artifact_uri: str | None = None,
    metrics: dict[str, float] | None = None,
    status: ModelStatus = ModelStatus.READY,
    model_type: ModelType = ModelType.GAN,
    default_parameters: Mapping[str, Any] | None = None,
) -> Model:
    """Record a shipped model under owner ``builtin`` (idempotent: re-registering overwrites).

    Called by the deployment (a custom resource) and by the local runtime at start, once the
    model's endpoint exists, so that compositions can use it at once. ``default_parameters`` are
    checked against the type's rules here, so a composition never meets a broken default.
    """
    model = Model(
        id=model_id,
        name=name,
        owner=BUILTIN_OWNER,
        builtin=True,
        status=status,
        type=model_type,
        description=description,
        genre=genre,
        default_parameters=spec_for(model_type).validate_model_defaults(default_parameters),
        endpoint_name=endpoint_name,
        artifact_uri=artifact_uri,
        metrics=metrics or {},
        created_at=clock.now(),
    )
    store.put(to_item(model, BUILTIN_OWNER))
    return model


def get(owner: str, model_id: str) -> Model:
    """The caller's model or a shipped one; anyone else's is a 404."""
    found = store.get_for_owners([owner, BUILTIN_OWNER], model_id)
    item = found.get(owner) or found.get(BUILTIN_OWNER)
    if item is None:
        raise NotFound(f"Model {model_id} does not exist.")
    return _described(from_item(Model, item))


def require_ready(owner: str, model_id: str) -> Model:
    model = get(owner, model_id)
    if model.status != ModelStatus.READY or not model.endpoint_name:
        raise Conflict(
            f"Model {model_id} is {model.status}, not READY; wait until its training has finished.",
            code="MODEL_NOT_READY",
        )
    return model


def list_models(owner: str, limit: int, token: str | None) -> ModelList:
    sources = [
        Source(BUILTIN_OWNER, lambda n, key: store.page(BUILTIN_OWNER, n, key)),
        Source(owner, lambda n, key: store.page(owner, n, key)),
    ]
    items, next_token = paginate(sources, limit, token)
    return ModelList(items=[_described(from_item(Model, i)) for i in items], next_token=next_token)


def model_types() -> ModelTypeList:
    """Every technique with the JSON Schemas of its composition parameters and training hyperparameters."""
    return ModelTypeList(
        items=[
            ModelTypeInfo(
                type=spec.type,
                title=spec.title,
                description=spec.description,
                parameter_schema=spec.parameter_schema(),
                hyperparameter_schema=spec.hyperparameter_schema(),
            )
            for spec in REGISTRY.values()
        ]
    )


def _described(model: Model) -> Model:
    """The model with the schema of the knobs it takes (its type's, with its own defaults)."""
    spec = spec_for(model.type)
    try:
        schema = spec.parameter_schema(model.default_parameters)
    except InvalidParameters as exc:
        # Stored defaults that no longer fit the type's rules: show the type's own, and say so in the log.
        logger.warning("model %s has unusable default parameters: %s", model.id, exc.message)
        schema = spec.parameter_schema()
    return model.model_copy(update={"parameter_schema": schema})


def delete(owner: str, model_id: str) -> None:
    """Delete the caller's own model and its endpoint. A model still being created is left alone (409)."""
    model = get(owner, model_id)
    if model.builtin:
        raise Conflict(f"Model {model_id} is a shipped model; it cannot be deleted.", code="BUILTIN")
    try:
        store.mark_deleting(owner, model_id, (ModelStatus.READY, ModelStatus.FAILED, ModelStatus.DELETING))
    except StaleWrite as exc:
        raise Conflict(
            f"Model {model_id} is still being created; delete it when it is READY or FAILED.", code="MODEL_BUSY"
        ) from exc
    if model.endpoint_name:
        if not sagemaker.delete_endpoint(model.endpoint_name):
            logger.warning("endpoint %s was already gone", model.endpoint_name)
    try:
        store.delete(owner, model_id)
    except StaleWrite as exc:
        raise NotFound(f"Model {model_id} does not exist.") from exc
