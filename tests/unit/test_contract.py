"""Every name that crosses a component boundary is spelled once (``shared/contract.py``), and the
records each component writes agree with the one schema the API reads them with."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shared.contract import METADATA_KEY, PROGRESS_FILE, SAGEMAKER_NAME_PREFIX, Env
from shared.schemas import Model
from statemachine.definition import TRAINING_ASL

REPO = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("shared", "lambdas", "cdk", "local", "statemachine", "benchmarks")
CROSSING_NAMES = [METADATA_KEY, PROGRESS_FILE, SAGEMAKER_NAME_PREFIX] + [
    value for name, value in vars(Env).items() if name.isupper()
]


@pytest.mark.parametrize("name", CROSSING_NAMES)
def test_each_crossing_name_is_spelled_only_in_the_contract(name: str) -> None:
    literal = re.compile(rf"""["']{re.escape(name)}["']""")
    spelled = [
        str(path.relative_to(REPO))
        for directory in SOURCE_DIRS
        for path in (REPO / directory).rglob("*.py")
        if literal.search(path.read_text(encoding="utf-8"))
    ]
    assert spelled == ["shared/contract.py"]


def _asl_states() -> dict[str, dict]:
    states: dict[str, dict] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in (node.get("States") or {}).items():
                states[key] = value
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(TRAINING_ASL.read_text(encoding="utf-8")))
    return states


def test_the_workflows_model_record_is_the_api_schema() -> None:
    """The workflow's putItem of a trained model writes attributes the wire model knows, and every one
    the wire model requires, so the API reads the record back."""
    item = _asl_states()["RegisterModel"]["Parameters"]["Item"]
    written = {key.removesuffix(".$") for key in item} - {"owner"}
    aliases = {field.alias or name for name, field in Model.model_fields.items() if not field.exclude}
    required = {field.alias or name for name, field in Model.model_fields.items() if field.is_required()}
    assert written <= aliases, written - aliases
    assert required <= written, required - written


@pytest.mark.parametrize("function", ["api", "compose_worker", "training_trigger", "training_progress"])
def test_logger_service_is_the_name_cdk_gives_the_function(function: str) -> None:
    """CDK sets POWERTOOLS_SERVICE_NAME to the folder name; the code's loggers must say the same."""
    module = "lambdas.api.observability" if function == "api" else f"lambdas.{function}.handler"
    loaded = __import__(module, fromlist=["logger"])
    assert loaded.logger.service == function
