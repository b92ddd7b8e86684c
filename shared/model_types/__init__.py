"""The model types (``gan``, ``ar-cnn``, ``transformer``) and what each accepts.

``REGISTRY`` maps each ``ModelType`` to its ``ModelTypeSpec``: the inference ``Parameters`` model,
the training ``Hyperparameters`` model, the conditional knob rules, and the helpers that resolve
given parameters against defaults and write JSON Schema (draft 2020-12) for a console's forms.
The API, the compose worker and the model container all read the same specs: the API resolves a
composition's parameters once and the endpoint receives the full set; a technique's ``compose`` may
resolve them again (idempotent) to get the typed model, e.g.
``arcnn.Parameters`` from ``spec_for("ar-cnn").resolve_parameters(parameters)``. Training code
validates its hyperparameters with ``spec.hyperparameters`` (lax: SageMaker passes strings).

>>> spec_for("ar-cnn").resolve_parameters({"mode": "harmonize"}).to_wire()
{'mode': 'harmonize', 'samplingIterations': 100, 'temperature': 1.0}
"""

from __future__ import annotations

from shared.model_types import arcnn, gan, transformer
from shared.model_types.spec import (
    DEFAULT_MODEL_TYPE,
    JSON_SCHEMA_DIALECT,
    Condition,
    InvalidHyperparameters,
    InvalidParameters,
    Knob,
    MelodyKept,
    ModelType,
    ModelTypeSpec,
)

REGISTRY: dict[ModelType, ModelTypeSpec] = {spec.type: spec for spec in (gan.SPEC, arcnn.SPEC, transformer.SPEC)}


def spec_for(model_type: str | ModelType | None) -> ModelTypeSpec:
    """The spec of a type; a record without one is a GAN (raises ``ValueError`` for an unknown type)."""
    return REGISTRY[ModelType(model_type) if model_type else DEFAULT_MODEL_TYPE]


__all__ = [
    "DEFAULT_MODEL_TYPE",
    "JSON_SCHEMA_DIALECT",
    "REGISTRY",
    "Condition",
    "InvalidHyperparameters",
    "InvalidParameters",
    "Knob",
    "MelodyKept",
    "ModelType",
    "ModelTypeSpec",
    "spec_for",
]
