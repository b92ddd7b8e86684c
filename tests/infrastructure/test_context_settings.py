"""The deploy-time switches of issue 16: the per-user limit on concurrent training jobs reaches the
api function as an environment variable, and Cognito self sign-up follows ``selfSignUp``. The
defaults come from the shared synthesis; one more synthesis with the other values (through the same
``build_app``, so cdk-nag runs on it too, and cfn-lint after it) shows the switches really switch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cdk.bundling import REPO_ROOT
from cdk.functions import function_logical_id
from cdk.stack import Settings, _flag
from shared.contract import Env
from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("cdk-synth")

CONTEXT = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


def _user_pool(resources: dict[str, Any]) -> dict[str, Any]:
    [pool] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Cognito::UserPool"]
    return pool


def _api_env(resources: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = resources[function_logical_id("api")]["Properties"]["Environment"]["Variables"]
    return variables


def test_the_defaults_are_two_jobs_and_self_sign_up_on(synthesized: Synthesized) -> None:
    assert CONTEXT["maxConcurrentTrainingJobs"] == 2 and CONTEXT["selfSignUp"] is True
    assert _api_env(synthesized.resources)[Env.MAX_CONCURRENT_TRAINING_JOBS] == "2"
    assert _user_pool(synthesized.resources)["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    from app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out.switched")
    # strings, as `cdk deploy -c selfSignUp=false -c maxConcurrentTrainingJobs=5` passes them
    app, stack = build_app({"selfSignUp": "false", "maxConcurrentTrainingJobs": "5"}, outdir=str(outdir))
    assembly = app.synth()
    path = Path(assembly.get_stack_by_name(stack.stack_name).template_full_path)
    return json.loads(path.read_text())["Resources"], path


def test_context_values_switch_the_limit_and_sign_up(switched: tuple[dict[str, Any], Path]) -> None:
    resources, path = switched
    assert _api_env(resources)[Env.MAX_CONCURRENT_TRAINING_JOBS] == "5"
    assert _user_pool(resources)["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run([str(cfn_lint), "--format", "json", str(path)], capture_output=True, text=True, check=False)
    errors = [f for f in json.loads(done.stdout or "[]") if f["Level"] == "Error"]
    assert not errors, json.dumps(errors, indent=1)[:2000]


@pytest.mark.parametrize(
    ("raw", "expected"), [("false", False), ("False", False), ("0", False), (True, True), ("true", True)]
)
def test_a_switch_reads_the_strings_the_cli_passes(raw: object, expected: bool) -> None:
    assert _flag(raw) is expected


def test_a_switch_refuses_anything_but_true_or_false() -> None:
    with pytest.raises(ValueError, match="true or false"):
        _flag("maybe")
    assert Settings().self_sign_up is True and Settings().max_concurrent_training_jobs == 2
