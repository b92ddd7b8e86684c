"""Built-in models of every type for the API's tests: one GAN (the cloud fixture's), an AR-CNN shipped
for harmonising, one for enhancing, and a Transformer, each on its own stand-in endpoint."""

from __future__ import annotations

from shared.logic.models import register_builtin_model
from shared.model_types import ModelType

HARMONIZER = "ar-cnn-test-harmonize"
ENHANCER = "ar-cnn-test-enhance"
EXTENDER = "transformer-test"


def register_typed_models() -> None:
    register_builtin_model(
        HARMONIZER,
        "AR-CNN harmonizer",
        endpoint_name="composer-harmonize",
        model_type=ModelType.AR_CNN,
        default_parameters={"mode": "harmonize"},
    )
    register_builtin_model(ENHANCER, "AR-CNN", endpoint_name="composer-enhance", model_type=ModelType.AR_CNN)
    register_builtin_model(
        EXTENDER,
        "Transformer",
        endpoint_name="composer-extend",
        model_type=ModelType.TRANSFORMER,
        default_parameters={"extensionSeconds": 10},
    )
