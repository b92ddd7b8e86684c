"""Model types through the real handler on moto: ``GET /model-types``, each model's ``type`` and
``parameterSchema``, composition ``parameters`` (validated per type, resolved and kept on the record,
sent to the endpoint), training jobs' ``modelType`` and its hyperparameters reaching SageMaker's."""

from __future__ import annotations

import base64
import json

import boto3
import jsonschema
import pytest

from lambdas.training_trigger.execution import execution_input
from shared.logic.models import register_builtin_model
from shared.model_types import ModelType
from shared.music.midi_codec import read_midi
from shared.music.samples import SAMPLES
from shared.music.score import Note, Score, Track
from shared.resources import COMPOSITIONS, MODELS, TRAINING_JOBS, table_name
from tests.support.api import ALICE, BOB, BUILTIN_MODEL, call
from tests.support.model_types import ENHANCER, EXTENDER, HARMONIZER
from tests.unit.test_api_compositions import answer, harmoniser

SAMPLE = SAMPLES[0].id


def start(model_id: str, parameters: dict | None = None, user: str = ALICE):
    body = {"melodyId": SAMPLE, "modelId": model_id, "seed": 5}
    if parameters is not None:
        body["parameters"] = parameters
    return call("POST", "/compositions", user=user, body=body)


def one_track(notes: list[Note], melody: Score) -> bytes:
    """A composition answer of one track (what the AR-CNN's enhance and the Transformer return)."""
    return answer([Track(notes=notes, name="Melody")], melody)


def melody_of(body: bytes) -> Score:
    return read_midi(base64.b64decode(json.loads(body)["midi"])).score


def rewritten(body: bytes, content_type: str, accept: str) -> bytes:
    """Every pitch moved: what enhance may do, and what a model that must keep the melody may not."""
    melody = melody_of(body)
    return one_track([Note(n.start, n.pitch + 1, n.duration, n.velocity) for n in melody.tracks[0].notes], melody)


def extended(body: bytes, content_type: str, accept: str) -> bytes:
    melody = melody_of(body)
    notes = list(melody.tracks[0].notes)
    end = max(n.start + n.duration for n in notes)
    return one_track(notes + [Note(end + i * 240, 60 + i, 240, 90) for i in range(8)], melody)


def cut_short(body: bytes, content_type: str, accept: str) -> bytes:
    melody = melody_of(body)
    return one_track(list(melody.tracks[0].notes)[1:], melody)


# --- GET /model-types and the models' schemas -----------------------------------------------------


def test_model_types_lists_every_type_with_both_schemas(cloud):
    reply = call("GET", "/model-types")
    assert reply.status == 200
    items = {t["type"]: t for t in reply.json["items"]}
    assert list(items) == ["gan", "ar-cnn", "transformer"]
    for info in items.values():
        jsonschema.Draft202012Validator.check_schema(info["parameterSchema"])
        jsonschema.Draft202012Validator.check_schema(info["hyperparameterSchema"])
        assert info["title"] and info["description"]
    assert set(items["ar-cnn"]["parameterSchema"]["properties"]) == {
        "mode",
        "maxPercentageOfInitialNotesRemoved",
        "maxNotesAdded",
        "samplingIterations",
        "temperature",
    }
    assert {"layers", "dModel", "heads", "maxSequences"} <= set(
        items["transformer"]["hyperparameterSchema"]["properties"]
    )
    assert "updateRatio" in items["gan"]["hyperparameterSchema"]["properties"]


def test_model_types_needs_an_identity(cloud):
    reply = call("GET", "/model-types", user=None)
    assert (reply.status, reply.error_code) == (401, "UNAUTHORIZED")


def test_models_show_type_defaults_and_parameter_schema(typed_models):
    listed = {m["id"]: m for m in call("GET", "/models").json["items"]}
    assert listed[BUILTIN_MODEL]["type"] == "gan" and listed[BUILTIN_MODEL]["parameterSchema"]["properties"] == {}
    harmonizer = call("GET", f"/models/{HARMONIZER}", user=BOB).json
    assert harmonizer["type"] == "ar-cnn" and harmonizer["defaultParameters"] == {"mode": "harmonize"}
    schema = harmonizer["parameterSchema"]
    assert schema["properties"]["mode"]["default"] == "harmonize"
    assert listed[HARMONIZER] == harmonizer
    assert listed[ENHANCER]["parameterSchema"]["properties"]["mode"]["default"] == "enhance"
    assert listed[EXTENDER]["parameterSchema"]["properties"]["extensionSeconds"]["default"] == 10
    branches = {
        b["if"]["properties"]["samplingTechnique"]["const"] for b in listed[EXTENDER]["parameterSchema"]["allOf"]
    }
    assert branches == {"topK", "nucleus", "random"}


def test_a_model_record_without_a_type_reads_as_a_gan(cloud):
    boto3.resource("dynamodb").Table(table_name(MODELS)).put_item(
        Item={
            "owner": ALICE,
            "id": "mdl-old",
            "name": "Old",
            "status": "READY",
            "builtin": False,
            "endpointName": "composer-old",
            "createdAt": "2026-11-22T10:00:00Z",
        }
    )
    model = call("GET", "/models/mdl-old").json
    assert model["type"] == "gan" and model["defaultParameters"] == {}
    assert model["parameterSchema"]["properties"] == {}


def test_shipped_defaults_that_break_the_types_rules_are_refused_at_registration(cloud):
    from shared.model_types import InvalidParameters

    with pytest.raises(InvalidParameters, match="maxNotesAdded"):
        register_builtin_model(
            "bad",
            "Bad",
            endpoint_name="composer-bad",
            model_type=ModelType.AR_CNN,
            default_parameters={"mode": "harmonize", "maxNotesAdded": 80},
        )


# --- POST /compositions with parameters -------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "parameters", "named"),
    [
        (ENHANCER, {"maxNotesAdded": 2000}, ["parameters.maxNotesAdded", "50-1000", "ar-cnn"]),
        (ENHANCER, {"temperature": 0.2}, ["parameters.temperature", "0.5-6", "ar-cnn"]),
        (HARMONIZER, {"maxNotesAdded": 100}, ["parameters.maxNotesAdded", "does not apply", "harmonize"]),
        (EXTENDER, {"samplingTechnique": "nucleus", "threshold": 40}, ["parameters.threshold", "0.1-1", "transformer"]),
        (EXTENDER, {"extensionSeconds": 45}, ["parameters.extensionSeconds", "1-30", "transformer"]),
        (BUILTIN_MODEL, {"temperature": 1}, ["parameters.temperature", "not a parameter of model type gan"]),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it_and_nothing_is_written(typed_models, model_id, parameters, named):
    reply = start(model_id, parameters)
    assert (reply.status, reply.error_code) == (422, "INVALID_PARAMETERS"), reply.body
    for text in named:
        assert text in reply.json["error"]["message"]
    assert call("GET", "/compositions").json["items"] == []
    assert typed_models.invocations.queued == []


def test_parameters_that_are_not_scalars_are_a_422(typed_models):
    reply = start(ENHANCER, {"temperature": {"deep": [1]}})
    assert reply.status == 422 and reply.error_code == "VALIDATION_ERROR"
    assert "parameters" in reply.json["error"]["message"]


def test_the_record_keeps_the_resolved_parameters_and_the_worker_sends_them(typed_models):
    typed_models.endpoint.answer = harmoniser
    created = start(HARMONIZER, {"temperature": 0.6})
    assert created.status == 202, created.body
    resolved = {"mode": "harmonize", "samplingIterations": 100, "temperature": 0.6}
    assert created.json["parameters"] == resolved and created.json["modelType"] == "ar-cnn"
    item = (
        boto3.resource("dynamodb")
        .Table(table_name(COMPOSITIONS))
        .get_item(Key={"owner": ALICE, "id": created.json["id"]})["Item"]
    )
    assert item["parameters"]["mode"] == "harmonize" and float(item["parameters"]["temperature"]) == 0.6
    assert typed_models.invocations.deliver_all() == [{"status": "COMPLETED", "compositionId": created.json["id"]}]
    sent = json.loads(typed_models.endpoint.calls[0]["Body"])
    assert set(sent) == {"midi", "seed", "parameters"}
    assert sent["parameters"] == resolved and sent["seed"] == 5
    done = call("GET", f"/compositions/{created.json['id']}").json
    assert done["status"] == "COMPLETED" and done["parameters"] == resolved


def test_given_beats_model_defaults_beats_type_defaults(typed_models):
    assert start(EXTENDER).json["parameters"] == {
        "samplingTechnique": "topK",
        "threshold": 20,
        "temperature": 1.0,
        "extensionSeconds": 10,
    }
    assert start(EXTENDER, {"extensionSeconds": 25, "samplingTechnique": "random"}).json["parameters"] == {
        "samplingTechnique": "random",
        "temperature": 1.0,
        "extensionSeconds": 25,
    }
    assert start(HARMONIZER, {"mode": "enhance"}).json["parameters"]["maxNotesAdded"] == 500
    assert start(BUILTIN_MODEL).json["parameters"] == {}


def test_enhance_may_rewrite_the_melody_but_a_gan_may_not(typed_models):
    typed_models.endpoint.answer = rewritten
    enhanced = start(ENHANCER).json
    kept = start(BUILTIN_MODEL).json
    harmonized = start(HARMONIZER).json
    outcome = {r["compositionId"]: r["status"] for r in typed_models.invocations.deliver_all()}
    assert outcome == {enhanced["id"]: "COMPLETED", kept["id"]: "FAILED", harmonized["id"]: "FAILED"}
    assert "not the melody" in call("GET", f"/compositions/{kept['id']}").json["failureReason"]
    midi = call("GET", f"/compositions/{enhanced['id']}/midi").body
    assert [n.pitch for n in read_midi(midi).score.tracks[0].notes] == [p + 1 for p, _ in SAMPLES[0].phrase if p]


def test_a_continuation_must_start_with_the_melody(typed_models):
    typed_models.endpoint.answer = extended
    good = start(EXTENDER).json
    typed_models.invocations.deliver_all()
    done = call("GET", f"/compositions/{good['id']}").json
    assert (
        done["status"] == "COMPLETED"
        and done["tracks"][0]["noteCount"] == len([p for p, _ in SAMPLES[0].phrase if p]) + 8
    )
    typed_models.endpoint.answer = cut_short
    bad = start(EXTENDER).json
    typed_models.invocations.deliver_all()
    failed = call("GET", f"/compositions/{bad['id']}").json
    assert failed["status"] == "FAILED" and "does not start with the melody" in failed["failureReason"]


def test_a_composition_record_from_before_model_types_reads_as_a_gan_and_composes(cloud):
    cloud.endpoint.answer = harmoniser
    created = start(BUILTIN_MODEL).json
    table = boto3.resource("dynamodb").Table(table_name(COMPOSITIONS))
    table.update_item(
        Key={"owner": ALICE, "id": created["id"]},
        UpdateExpression="REMOVE #p, modelType",
        ExpressionAttributeNames={"#p": "parameters"},
    )
    old = call("GET", f"/compositions/{created['id']}").json
    assert old["modelType"] == "gan" and old["parameters"] == {}
    assert cloud.invocations.deliver_all() == [{"status": "COMPLETED", "compositionId": created["id"]}]
    assert json.loads(cloud.endpoint.calls[0]["Body"])["parameters"] == {}


# --- POST /training-jobs with modelType -------------------------------------------------------------

JOB = {"modelName": "My harmonizer", "dataset": {"tags": ["collection:bach-chorales"]}}


def test_a_training_job_takes_a_model_type_and_its_hyperparameters(cloud, catalogue):
    reply = call("POST", "/training-jobs", body={**JOB, "modelType": "ar-cnn", "hyperparameters": {"layers": 6}})
    assert reply.status == 202, reply.body
    job = reply.json
    assert job["modelType"] == "ar-cnn" and job["hyperparameters"]["layers"] == 6
    assert job["epochs"] == job["hyperparameters"]["epochs"] == 10 and "updateRatio" not in job["hyperparameters"]
    item = boto3.resource("dynamodb").Table(table_name(TRAINING_JOBS)).get_item(Key={"owner": ALICE, "id": job["id"]})
    record = item["Item"]
    assert record["modelType"] == "ar-cnn"
    started = execution_input(record, "bucket")
    assert started["modelType"] == "ar-cnn"
    assert started["hyperParameters"]["modelType"] == "ar-cnn" and started["hyperParameters"]["layers"] == "6"
    assert "update_ratio" not in started["hyperParameters"]
    assert call("GET", f"/training-jobs/{job['id']}").json == job


def test_a_training_job_without_a_model_type_is_a_gan(cloud, catalogue):
    job = call("POST", "/training-jobs", body={**JOB, "hyperparameters": {"epochs": 2}}).json
    assert job["modelType"] == "gan" and job["hyperparameters"]["updateRatio"] == 1
    started = execution_input({**job, "owner": ALICE}, "bucket")
    assert started["hyperParameters"]["modelType"] == "gan" and started["hyperParameters"]["update_ratio"] == "1"
    assert started["hyperParameters"]["start_from"] == "bach-chorales"
    # A record written before model types carries neither field: it starts as a GAN.
    old = {k: v for k, v in job.items() if k != "modelType"}
    assert execution_input({**old, "owner": ALICE}, "bucket")["modelType"] == "gan"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"modelType": "transformer", "hyperparameters": {"layers": 13}}, ["hyperparameters.layers", "1-12"]),
        ({"modelType": "transformer", "hyperparameters": {"dModel": 100, "heads": 8}}, ["multiple of heads"]),
        ({"modelType": "ar-cnn", "hyperparameters": {"updateRatio": 3}}, ["hyperparameters.updateRatio", "ar-cnn"]),
        ({"hyperparameters": {"layers": 4}}, ["hyperparameters.layers", "not a hyperparameter of model type gan"]),
        ({"modelType": "diffusion"}, ["modelType"]),
    ],
)
def test_bad_hyperparameters_are_a_422_naming_the_field(cloud, catalogue, body, named):
    reply = call("POST", "/training-jobs", body={**JOB, **body})
    assert reply.status == 422, reply.body
    for text in named:
        assert text in reply.json["error"]["message"]
    assert call("GET", "/training-jobs").json["items"] == []
