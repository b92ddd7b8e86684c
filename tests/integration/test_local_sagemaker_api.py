"""The local SageMaker behind the gateway, through boto3: training jobs under the SM_* contract,
stop, runtime limit, quota, hosting with the inference handlers, and Lambda Invoke routing.

A toy script stands in for the model here (it is the platform under test, not the model): it
obeys the same contract and is fast. The real model runs in the workflow tests.
"""

from __future__ import annotations

import io
import json
import tarfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.aws_gateway import AwsGateway

# One gateway (one moto, one MOTO_PORT) per process: keep this module's tests on one xdist worker.
pytestmark = pytest.mark.xdist_group("local-sagemaker")

BUCKET = "local-sagemaker-test"

TOY_TRAIN = """
import json, os, pathlib, sys, time
hps = json.loads(os.environ["SM_HPS"])
ckpt = pathlib.Path(os.environ["SM_CHECKPOINT_DIR"])
model = pathlib.Path(os.environ["SM_MODEL_DIR"])
mode = hps.get("mode", "ok")
if mode == "fail":
    pathlib.Path(os.environ["SM_OUTPUT_DIR"], "failure").write_text("invalid value for width: -3")
    sys.exit(2)
if mode == "crash":
    raise RuntimeError("boom without a failure file")
epochs = int(hps.get("epochs", 2))
restored = (ckpt / "progress.json").exists()
for epoch in range(1, epochs + 1):
    print(f"epoch={epoch}/{epochs} generator_loss=-{epoch}.5 critic_loss=0.25", flush=True)
    (ckpt / "progress.json").write_text(json.dumps({"epoch": epoch, "epochs": epochs, "history": []}))
    if mode == "sleep":
        time.sleep(0.3)
while mode == "sleep":
    time.sleep(0.2)
channel = os.environ.get("SM_CHANNEL_TRAINING")
(model / "model.json").write_text(json.dumps({"hps": hps, "restored": restored, "channel": channel}))
"""

TOY_INFERENCE = """
import json, pathlib
def model_fn(model_dir):
    return json.loads((pathlib.Path(model_dir) / "model.json").read_text())
def input_fn(body, content_type):
    if content_type != "application/json":
        raise ValueError(f"unsupported content type {content_type}")
    return json.loads(body)
def predict_fn(data, model):
    return {"echo": data, "epochs": model["hps"]["epochs"]}
def output_fn(prediction, accept):
    return json.dumps(prediction), "application/json"
"""


@pytest.fixture(scope="module")
def gateway() -> Any:
    with AwsGateway(stop_grace_seconds=2.0, checkpoint_sync_seconds=0.2) as gw:
        gw.client("s3").create_bucket(Bucket=BUCKET)
        yield gw


@pytest.fixture(scope="module")
def source_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy-source")
    (root / "toy").mkdir()
    (root / "toy" / "__init__.py").write_text("")
    (root / "toy" / "train.py").write_text(textwrap.dedent(TOY_TRAIN))
    (root / "toy" / "inference.py").write_text(textwrap.dedent(TOY_INFERENCE))
    return root


_counter = iter(range(10_000))


def _job_request(source_dir: Path, **hps: str) -> dict[str, Any]:
    name = f"toy-{next(_counter)}-{int(time.time() * 1000) % 100000}"
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {
            "TrainingImage": "local/pytorch-training",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "generator_loss", "Regex": "generator_loss=(-?[0-9.]+)"}],
        },
        "HyperParameters": {
            "sagemaker_program": "toy/train.py",
            "sagemaker_submit_directory": f"file://{source_dir}",
            **hps,
        },
        "RoleArn": "arn:aws:iam::123456789012:role/sagemaker",
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 120},
        "CheckpointConfig": {"S3Uri": f"s3://{BUCKET}/checkpoints/{name}", "LocalPath": "/opt/ml/checkpoints"},
    }


def _wait(
    sm: Any, name: str, until: tuple[str, ...] = ("Completed", "Failed", "Stopped"), timeout: float = 60
) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = sm.describe_training_job(TrainingJobName=name)
        if d["TrainingJobStatus"] in until:
            return d
        time.sleep(0.1)
    raise AssertionError(f"{name} did not reach {until}: {d['TrainingJobStatus']}")


def _s3_keys(gateway: AwsGateway, prefix: str) -> list[str]:
    return [o["Key"] for o in gateway.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def test_completed_job_uploads_model_tar_checkpoints_and_metrics(gateway: AwsGateway, source_dir: Path) -> None:
    sm = gateway.client("sagemaker")
    request = _job_request(source_dir, epochs="3", tags='["bach", "chorales"]')
    name = request["TrainingJobName"]
    arn = sm.create_training_job(**request)["TrainingJobArn"]
    assert arn.endswith(f"training-job/{name}")

    job = _wait(sm, name)

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    statuses = [t["Status"] for t in job["SecondaryStatusTransitions"]]
    assert statuses == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == f"s3://{BUCKET}/output/{name}/output/model.tar.gz"
    data = gateway.client("s3").get_object(Bucket=BUCKET, Key=artifact.split(f"{BUCKET}/", 1)[1])["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        saved = json.loads(archive.extractfile("model.json").read())  # type: ignore[union-attr]
    # SageMaker's toolkit JSON-decodes values and keeps its own sagemaker_* keys from the script.
    assert saved["hps"] == {"epochs": 3, "tags": ["bach", "chorales"]}
    assert saved["restored"] is False
    assert _s3_keys(gateway, f"checkpoints/{name}/") == [f"checkpoints/{name}/progress.json"]
    progress = json.loads(
        gateway.client("s3").get_object(Bucket=BUCKET, Key=f"checkpoints/{name}/progress.json")["Body"].read()
    )
    assert progress["epoch"] == 3
    assert job["FinalMetricDataList"][0]["MetricName"] == "generator_loss"
    assert job["FinalMetricDataList"][0]["Value"] == pytest.approx(-3.5)


def test_checkpoints_are_restored_into_a_new_job(gateway: AwsGateway, source_dir: Path) -> None:
    sm = gateway.client("sagemaker")
    request = _job_request(source_dir, epochs="1")
    gateway.client("s3").put_object(
        Bucket=BUCKET, Key=request["CheckpointConfig"]["S3Uri"].split(f"{BUCKET}/", 1)[1] + "/progress.json", Body=b"{}"
    )
    sm.create_training_job(**request)
    job = _wait(sm, request["TrainingJobName"])
    data = (
        gateway.client("s3")
        .get_object(Bucket=BUCKET, Key=job["ModelArtifacts"]["S3ModelArtifacts"].split(f"{BUCKET}/", 1)[1])["Body"]
        .read()
    )
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        assert json.loads(archive.extractfile("model.json").read())["restored"] is True  # type: ignore[union-attr]


def test_failure_file_becomes_the_failure_reason(gateway: AwsGateway, source_dir: Path) -> None:
    sm = gateway.client("sagemaker")
    request = _job_request(source_dir, mode="fail")
    sm.create_training_job(**request)
    job = _wait(sm, request["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"] == "AlgorithmError: invalid value for width: -3"
    assert not _s3_keys(gateway, f"output/{request['TrainingJobName']}/")


def test_a_crash_without_failure_file_reports_the_error_output(gateway: AwsGateway, source_dir: Path) -> None:
    sm = gateway.client("sagemaker")
    request = _job_request(source_dir, mode="crash")
    sm.create_training_job(**request)
    job = _wait(sm, request["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("AlgorithmError: ExecuteUserScriptError")
    assert "RuntimeError: boom without a failure file" in job["FailureReason"]


def test_stop_terminates_the_script_after_checkpoints_synced(gateway: AwsGateway, source_dir: Path) -> None:
    sm = gateway.client("sagemaker")
    request = _job_request(source_dir, mode="sleep", epochs="2")
    name = request["TrainingJobName"]
    sm.create_training_job(**request)
    deadline = time.time() + 30
    while f"checkpoints/{name}/progress.json" not in _s3_keys(gateway, f"checkpoints/{name}/"):
        assert time.time() < deadline, "the checkpoint directory was not synced while the job ran"
        time.sleep(0.1)
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "InProgress"

    sm.stop_training_job(TrainingJobName=name)

    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] in ("Stopping", "Stopped")
    job = _wait(sm, name)
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "Stopped")
    with pytest.raises(ClientError) as err:
        sm.stop_training_job(TrainingJobName=name)
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_max_runtime_stops_the_job(gateway: AwsGateway, source_dir: Path) -> None:
    sm = gateway.client("sagemaker")
    request = _job_request(source_dir, mode="sleep")
    request["StoppingCondition"] = {"MaxRuntimeInSeconds": 1}
    sm.create_training_job(**request)
    job = _wait(sm, request["TrainingJobName"])
    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")


def test_quota_answers_resource_limit_exceeded(gateway: AwsGateway, source_dir: Path) -> None:
    sm = gateway.client("sagemaker")
    gateway.sagemaker.max_concurrent_training_jobs = 1
    try:
        first = _job_request(source_dir, mode="sleep")
        sm.create_training_job(**first)
        with pytest.raises(ClientError) as err:
            sm.create_training_job(**_job_request(source_dir))
        assert err.value.response["Error"]["Code"] == "ResourceLimitExceeded"
        assert "service limit" in err.value.response["Error"]["Message"]
        sm.stop_training_job(TrainingJobName=first["TrainingJobName"])
        _wait(sm, first["TrainingJobName"])
    finally:
        gateway.sagemaker.max_concurrent_training_jobs = None


def test_bad_requests_get_sagemaker_error_codes(gateway: AwsGateway, source_dir: Path) -> None:
    sm = gateway.client("sagemaker")
    with pytest.raises(ClientError) as err:
        sm.describe_training_job(TrainingJobName="does-not-exist")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    bad = _job_request(source_dir)
    bad["TrainingJobName"] = "not_a_valid_name"
    with pytest.raises(ClientError) as err:
        sm.create_training_job(**bad)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    request = _job_request(source_dir, epochs="1")
    sm.create_training_job(**request)
    with pytest.raises(ClientError) as err:
        sm.create_training_job(**request)
    assert err.value.response["Error"]["Code"] == "ResourceInUse"
    _wait(sm, request["TrainingJobName"])


def test_endpoint_serves_the_trained_artifact_with_the_handlers(gateway: AwsGateway, source_dir: Path) -> None:
    sm = gateway.client("sagemaker")
    request = _job_request(source_dir, epochs="4")
    name = request["TrainingJobName"]
    sm.create_training_job(**request)
    artifact = _wait(sm, name)["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        PrimaryContainer={
            "Image": "local/pytorch-inference",
            "ModelDataUrl": artifact,
            "Environment": {
                "SAGEMAKER_PROGRAM": "toy/inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": f"file://{source_dir}",
            },
        },
    )
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 2},
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    runtime = gateway.client("sagemaker-runtime")

    answer = runtime.invoke_endpoint(
        EndpointName=name, Body=json.dumps({"x": 1}), ContentType="application/json", Accept="application/json"
    )

    assert answer["ContentType"] == "application/json"
    assert json.loads(answer["Body"].read()) == {"echo": {"x": 1}, "epochs": 4}
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName=name, Body=b"MThd", ContentType="audio/midi")
    assert err.value.response["Error"]["Code"] == "ModelError"
    assert "unsupported content type audio/midi" in err.value.response["Error"]["Message"]


def test_endpoint_with_a_missing_artifact_fails(gateway: AwsGateway, source_dir: Path) -> None:
    sm = gateway.client("sagemaker")
    sm.create_model(
        ModelName="broken",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        PrimaryContainer={
            "Image": "x",
            "ModelDataUrl": f"s3://{BUCKET}/nothing/model.tar.gz",
            "Environment": {"SAGEMAKER_PROGRAM": "toy/inference.py"},
        },
    )
    sm.create_endpoint_config(
        EndpointConfigName="broken", ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "broken"}]
    )
    sm.create_endpoint(EndpointName="broken", EndpointConfigName="broken")
    deadline = time.time() + 30
    while (d := sm.describe_endpoint(EndpointName="broken"))["EndpointStatus"] == "Creating":
        assert time.time() < deadline
        time.sleep(0.1)
    assert d["EndpointStatus"] == "Failed"
    assert "NoSuchKey" in d["FailureReason"]


def test_lambda_invoke_runs_registered_handlers(gateway: AwsGateway) -> None:
    seen: list[Any] = []
    done = threading.Event()

    def handler(event: Any, context: Any) -> Any:
        if event.get("fail"):
            raise KeyError("missing field")
        seen.append((event, context.function_name))
        done.set()
        return {"ok": True}

    arn = gateway.register_lambda("toy-function", handler)
    lam = boto3.client("lambda", endpoint_url=gateway.endpoint_url)

    sync = lam.invoke(FunctionName=arn, Payload=json.dumps({"n": 1}))
    assert json.loads(sync["Payload"].read()) == {"ok": True}
    assert "FunctionError" not in sync

    failed = lam.invoke(FunctionName="toy-function", Payload=json.dumps({"fail": True}))
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorType"] == "KeyError"

    done.clear()
    queued = lam.invoke(FunctionName="toy-function", InvocationType="Event", Payload=json.dumps({"n": 2}))
    assert queued["StatusCode"] == 202
    assert done.wait(10)
    assert seen[-1] == ({"n": 2}, "toy-function")

    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName="nobody")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
