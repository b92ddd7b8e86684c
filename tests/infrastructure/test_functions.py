"""Every Lambda: runtime, layer, Docker-free asset, environment and a role holding
exactly the calls its code makes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdk.bundling import REPO_ROOT, REUSED_PACKAGES, SOUNDFONT_TARGET
from cdk.functions import POWERTOOLS_LAYER_NAME, function_logical_id
from cdk.storage import table_logical_id
from shared.contract import METADATA_KEY
from shared.resources import BUCKET_ENV, COMPOSITIONS, IDEMPOTENCY, MELODIES, MODELS, TABLES, TRAINING_JOBS
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.helpers import (
    allowed_actions,
    as_list,
    flat,
    refs_in,
    resources_for,
    role_of_function,
    statements_of_role,
    studio_origin,
)

pytestmark = pytest.mark.xdist_group("cdk-synth")

FUNCTIONS = ("api", "media", "compose_worker", "training_trigger", "training_progress")
CONTEXT = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
OBSERVABILITY = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}

# What each function's code calls (shared/store, lambdas/*), and nothing more.
EXPECTED_ACTIONS: dict[str, set[str]] = {
    "api": {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:ListBucket",
        "lambda:InvokeFunction",
        "sagemaker:StopTrainingJob",
        "sagemaker:DeleteEndpoint",
    },
    "media": {"dynamodb:GetItem", "dynamodb:UpdateItem", "s3:GetObject", "s3:PutObject", "s3:ListBucket"},
    "compose_worker": {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "sagemaker:InvokeEndpoint",
    },
    "training_trigger": {
        "states:StartExecution",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    },
    "training_progress": {"dynamodb:GetItem", "dynamodb:UpdateItem", "s3:GetObject", "s3:PutObject"},
}
# The tables each function may touch at all.
EXPECTED_TABLES: dict[str, set[str]] = {
    "api": {table_logical_id(s) for s in (MELODIES, COMPOSITIONS, MODELS, TRAINING_JOBS, IDEMPOTENCY)},
    "media": {table_logical_id(s) for s in (MELODIES, COMPOSITIONS, TRAINING_JOBS)},
    "compose_worker": {table_logical_id(COMPOSITIONS)},
    "training_trigger": {table_logical_id(TRAINING_JOBS)},
    "training_progress": {table_logical_id(TRAINING_JOBS)},
}


def _statements(synth: Synthesized, name: str) -> list[dict]:
    return statements_of_role(synth, role_of_function(synth, function_logical_id(name)))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_runs_python312_with_the_powertools_layer_and_tracing(synthesized: Synthesized, name: str) -> None:
    fn = synthesized.resources[function_logical_id(name)]
    props = fn["Properties"]
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["x86_64"]
    assert props["Handler"] == f"lambdas.{name}.handler.lambda_handler"
    assert "def lambda_handler(" in (REPO_ROOT / "lambdas" / name / "handler.py").read_text()
    [layer] = props["Layers"]
    assert flat(layer).endswith(f":017000801446:layer:{POWERTOOLS_LAYER_NAME}:{CONTEXT['powertoolsLayerVersion']}")
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert fn["Metadata"][METADATA_KEY]["name"] == name


@pytest.mark.parametrize("name", FUNCTIONS)
def test_asset_holds_handler_shared_code_and_small_deps_but_not_the_layer(synthesized: Synthesized, name: str) -> None:
    asset = synthesized.asset_dir(synthesized.resources[function_logical_id(name)]["Properties"]["Code"])
    assert (asset / "lambdas" / name / "handler.py").is_file()
    assert (asset / "shared" / "resources.py").is_file()
    assert (asset / "mido" / "__init__.py").is_file()
    for provided in ("pydantic", "aws_lambda_powertools", "boto3", "botocore"):
        assert not (asset / provided).exists(), f"{provided} comes from the layer/runtime"
    other = set(FUNCTIONS) - {name} - set(REUSED_PACKAGES.get(name, ()))
    assert not any((asset / "lambdas" / o).exists() for o in other)
    assert not list(asset.rglob("__pycache__"))
    # Lambda's limit is 250 MB unzipped for code and layers together; keep room for the layer.
    size = sum(f.stat().st_size for f in asset.rglob("*") if f.is_file())
    assert size < 200 * 2**20, f"{name}: {size / 2**20:.0f} MiB unzipped"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_environment_names_every_table_and_the_bucket(synthesized: Synthesized, name: str) -> None:
    env = synthesized.resources[function_logical_id(name)]["Properties"]["Environment"]["Variables"]
    for spec in TABLES:
        assert env[spec.env] == {"Ref": table_logical_id(spec)}
    assert env[BUCKET_ENV] == {"Ref": "DataBucket"}
    assert env["POWERTOOLS_SERVICE_NAME"] == name


def test_contract_six_wiring(synthesized: Synthesized) -> None:
    env = {
        n: synthesized.resources[function_logical_id(n)]["Properties"]["Environment"]["Variables"] for n in FUNCTIONS
    }
    assert env["training_trigger"]["STATE_MACHINE_ARN"] == {"Ref": "TrainingStateMachine"}
    assert env["api"]["COMPOSE_WORKER_FUNCTION"] == {"Ref": function_logical_id("compose_worker")}
    assert CONTEXT["consoleOrigin"] == ""  # none configured: the studio's distribution is the origin
    assert flat(env["api"]["CORS_ALLOW_ORIGIN"]) == studio_origin(synthesized)
    assert flat(env["media"]["CORS_ALLOW_ORIGIN"]) == studio_origin(synthesized)
    assert "STATE_MACHINE_ARN" not in env["training_progress"]  # the machine refers to it: no cycle


@pytest.mark.parametrize("name", FUNCTIONS)
def test_role_allows_exactly_what_the_code_calls(synthesized: Synthesized, name: str) -> None:
    assert allowed_actions(_statements(synthesized, name)) == EXPECTED_ACTIONS[name] | OBSERVABILITY


@pytest.mark.parametrize("name", FUNCTIONS)
def test_table_access_is_limited_to_the_tables_the_function_uses(synthesized: Synthesized, name: str) -> None:
    touched = set()
    for statement in _statements(synthesized, name):
        table_actions = {a for a in as_list(statement["Action"]) if a.startswith("dynamodb:")}
        if table_actions and "*" in as_list(statement["Resource"]):
            assert table_actions == {"dynamodb:ListStreams"}
        if table_actions:
            touched |= refs_in(statement["Resource"]) & set(synthesized.of_type("AWS::DynamoDB::Table"))
    assert touched == EXPECTED_TABLES[name]


def test_object_access_is_limited_to_key_prefixes(synthesized: Synthesized) -> None:
    def prefixes(name: str, action: str) -> set[str]:
        return {flat(r).removeprefix("<DataBucket.Arn>") for r in resources_for(_statements(synthesized, name), action)}

    assert prefixes("api", "s3:PutObject") == {"/melodies/*"}
    assert prefixes("api", "s3:GetObject") == {"/melodies/*", "/compositions/*"}
    assert prefixes("media", "s3:GetObject") == {"/melodies/*", "/compositions/*", "/audio/*", "/samples/*"}
    assert prefixes("media", "s3:PutObject") == {"/audio/*"}
    assert prefixes("api", "s3:DeleteObject") == {"/melodies/*", "/compositions/*", "/audio/compositions/*"}
    # Listing (to find a deleted composition's files) only under compositions/.
    listing = [s for s in _statements(synthesized, "api") if "s3:ListBucket" in as_list(s["Action"])]
    assert [s["Condition"] for s in listing] == [
        {"StringLike": {"s3:prefix": ["compositions/*"]}},
        {"StringLike": {"s3:prefix": ["audio/compositions/*"]}},
    ]
    assert [flat(r) for s in listing for r in as_list(s["Resource"])] == ["<DataBucket.Arn>"] * 2
    assert prefixes("compose_worker", "s3:GetObject") == {"/melodies/*"}
    assert prefixes("compose_worker", "s3:PutObject") == {"/compositions/*"}
    assert prefixes("training_progress", "s3:GetObject") == {"/training/*"}
    assert prefixes("training_progress", "s3:PutObject") == {"/samples/*"}


def test_worker_invokes_only_the_builtin_and_trained_model_endpoints(synthesized: Synthesized) -> None:
    targets = resources_for(_statements(synthesized, "compose_worker"), "sagemaker:InvokeEndpoint")
    builtin = set(synthesized.of_type("AWS::SageMaker::Endpoint"))
    assert builtin and {t["Ref"] for t in targets if isinstance(t, dict) and "Ref" in t} == builtin
    patterns = [flat(t) for t in targets if not (isinstance(t, dict) and "Ref" in t)]
    assert len(patterns) == 1 and patterns[0].endswith(":endpoint/composer-*")


def test_trigger_starts_only_the_training_state_machine(synthesized: Synthesized) -> None:
    assert resources_for(_statements(synthesized, "training_trigger"), "states:StartExecution") == [
        {"Ref": "TrainingStateMachine"}
    ]


def test_api_invokes_only_the_compose_worker(synthesized: Synthesized) -> None:
    targets = resources_for(_statements(synthesized, "api"), "lambda:InvokeFunction")
    assert targets == [{"Fn::GetAtt": [function_logical_id("compose_worker"), "Arn"]}]


def test_media_lists_only_the_audio_cache_prefix(synthesized: Synthesized) -> None:
    """ListBucket makes a HEAD of a file not rendered yet a 404 rather than a 403; nothing beyond audio/."""
    [statement] = [s for s in _statements(synthesized, "media") if "s3:ListBucket" in as_list(s["Action"])]
    assert statement["Resource"] == {"Fn::GetAtt": ["DataBucket", "Arn"]}
    assert statement["Condition"] == {"StringLike": {"s3:prefix": ["audio/*"]}}


def test_media_asset_carries_the_synthesizer_and_soundfont_the_api_asset_does_not(synthesized: Synthesized) -> None:
    def asset(name: str) -> Path:
        return synthesized.asset_dir(synthesized.resources[function_logical_id(name)]["Properties"]["Code"])

    media, api = asset("media"), asset("api")
    soundfont = media / SOUNDFONT_TARGET
    assert soundfont.read_bytes()[:4] == b"RIFF" and soundfont.stat().st_size > 5 * 2**20
    assert list(media.glob("tinysoundfont/_tinysoundfont*.so")) and list(media.glob("lameenc*.so"))
    assert not (media / "pretty_midi").exists() and not (media / "pyaudio").exists()
    assert (media / "lambdas" / "api" / "errors.py").is_file()  # the error mapping it reuses
    for synth in ("tinysoundfont", "png.py", "shared/music/soundfonts", "matplotlib", "numpy"):
        assert not (api / synth).exists(), f"{synth} belongs in the media asset only"
    assert (api / "openapi.json").read_text() == (REPO_ROOT / "openapi.json").read_text()


def test_handler_files_exist_for_every_function_dir() -> None:
    """A new lambdas/<dir> without a function in the stack would never be deployed."""
    dirs = {p.parent.name for p in Path(REPO_ROOT / "lambdas").glob("*/handler.py")}
    assert dirs == set(FUNCTIONS)
