"""Each function validates its whole environment at the start of an invocation and names what is wrong."""

from __future__ import annotations

import pytest

from shared.contract import Env
from shared.resources import COMPOSITIONS, TABLES, TRAINING_JOBS
from shared.settings import ApiSettings, ProgressSettings, SettingsError, TriggerSettings

COMPLETE = {**{spec.env: f"t-{spec.logical}" for spec in TABLES}, Env.BUCKET: "b"}


def test_a_complete_environment_reads_into_the_settings() -> None:
    settings = TriggerSettings.load({**COMPLETE, Env.STATE_MACHINE_ARN: "arn:sm"})
    assert settings.state_machine_arn == "arn:sm" and settings.bucket_name == "b"
    assert settings.table(TRAINING_JOBS) == "t-TrainingJobs" and settings.metrics_namespace == "ComposerBackend"


def test_a_missing_variable_is_named() -> None:
    environ = {k: v for k, v in COMPLETE.items() if k != COMPOSITIONS.env}
    with pytest.raises(
        SettingsError, match=r"ProgressSettings: environment variable\(s\) COMPOSITIONS_TABLE \(not set\)"
    ):
        ProgressSettings.load(environ)


def test_a_misspelled_variable_counts_as_missing() -> None:
    with pytest.raises(SettingsError, match="COMPOSE_WORKER_FUNCTION"):
        ApiSettings.load({**COMPLETE, "COMPOSE_WORKER_FUNCTON": "w"})


def test_an_empty_value_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"STATE_MACHINE_ARN \(String should have at least 1 character\)"):
        TriggerSettings.load({**COMPLETE, Env.STATE_MACHINE_ARN: ""})


def test_the_handler_fails_at_once_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from lambdas.training_trigger.handler import lambda_handler
    from local.lambda_context import LocalLambdaContext

    for name, value in COMPLETE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(Env.STATE_MACHINE_ARN, raising=False)
    with pytest.raises(SettingsError, match="STATE_MACHINE_ARN"):
        lambda_handler({"Records": []}, LocalLambdaContext("training_trigger"))
