"""The shipped model: its artifact (weights + serving code), a serverless endpoint, and its READY
record in the models table, so the first composition works right after deploy."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from cdk.bundling import INFERENCE_ENTRY_POINT, REPO_ROOT
from cdk.inference import shipped_models
from shared.contract import BUILTIN_OWNER, METADATA_KEY
from shared.model_types import InvalidParameters
from shared.music.midi_codec import read_midi, write_midi
from shared.music.samples import sample_index
from shared.music.score import Score
from shared.schemas import Model
from shared.store.dynamo import typed
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.helpers import flat

pytestmark = pytest.mark.xdist_group("cdk-synth")

PRETRAINED = REPO_ROOT / "model" / "pretrained" / "bach-chorales"


def _bach(synthesized: Synthesized, kind: str) -> tuple[str, dict[str, Any]]:
    """The one resource of ``kind`` that belongs to the shipped ``bach-chorales`` model (each shipped
    model's constructs are named after its id)."""
    [(logical, resource)] = [(k, v) for k, v in synthesized.of_type(kind).items() if "BachChorales" in k]
    return logical, resource


def test_every_shipped_model_gets_a_model_an_endpoint_and_a_record(synthesized: Synthesized) -> None:
    shipped = {m.model_id for m in shipped_models()}
    endpoints = synthesized.of_type("AWS::SageMaker::Endpoint").values()
    assert {e["Metadata"][METADATA_KEY]["modelId"] for e in endpoints} == shipped
    for kind in ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "Custom::AWS"):
        assert len(synthesized.of_type(kind)) == len(shipped), kind


def test_model_artifact_holds_the_weights_and_the_serving_code(synthesized: Synthesized) -> None:
    _, model = _bach(synthesized, "AWS::SageMaker::Model")
    container = model["Properties"]["PrimaryContainer"]
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == INFERENCE_ENTRY_POINT
    assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
    assert "/pytorch-inference:" in flat(container["Image"])
    key = flat(container["ModelDataUrl"]).rsplit("/", 1)[-1]
    with tarfile.open(synthesized.asset_dir({"S3Key": key})) as tar:
        names = set(tar.getnames())
        entry = tar.extractfile(f"code/{INFERENCE_ENTRY_POINT}").read().decode()
    shipped = {p.relative_to(PRETRAINED).as_posix() for p in PRETRAINED.rglob("*") if p.is_file()}
    assert shipped and shipped <= names
    assert {"code/model/inference.py", "code/shared/resources.py", "code/requirements.txt"} <= names
    assert "from model.inference import" in entry
    for handler in ("model_fn", "input_fn", "predict_fn", "output_fn"):
        assert handler in entry and f"def {handler}(" in (REPO_ROOT / "model" / "inference.py").read_text()


def test_endpoint_is_serverless(synthesized: Synthesized) -> None:
    for config in synthesized.of_type("AWS::SageMaker::EndpointConfig").values():
        [variant] = config["Properties"]["ProductionVariants"]
        serverless = variant["ServerlessConfig"]
        assert 1024 <= serverless["MemorySizeInMB"] <= 6144 and serverless["MaxConcurrency"] >= 1
        assert "InstanceType" not in variant
    _, endpoint = _bach(synthesized, "AWS::SageMaker::Endpoint")
    assert endpoint["Metadata"][METADATA_KEY] == {"kind": "builtinEndpoint", "modelId": "bach-chorales"}


def test_builtin_model_is_registered_ready_with_its_endpoint(synthesized: Synthesized) -> None:
    _, resource = _bach(synthesized, "Custom::AWS")
    create = resource["Properties"]["Create"]
    text = flat(create)
    endpoint, _ = _bach(synthesized, "AWS::SageMaker::Endpoint")
    assert f"<{endpoint}.EndpointName>" in text and "<ModelsTable>" in text
    call = json.loads(
        text.replace(f"<{endpoint}.EndpointName>", "ep")
        .replace("<ModelsTable>", "tbl")
        .replace('"TRUE:BOOLEAN"', "true")
        .replace("<", "")
        .replace(">", "")
    )
    assert call["service"] == "DynamoDB" and call["action"] == "putItem"
    item = call["parameters"]["Item"]
    assert item["owner"] == {"S": BUILTIN_OWNER} and item["id"] == {"S": "bach-chorales"}
    assert item["status"] == {"S": "READY"} and item["endpointName"] == {"S": "ep"}
    assert item["type"] == {"S": "gan"} and item["defaultParameters"] == {"M": {}}  # bach-chorales' model.json
    # The record reads back as the wire model (its attributes are the camelCase wire fields).
    plain = {k: TypeDeserializer().deserialize(v) for k, v in item.items() if k != "owner"}
    model = Model.model_validate({**plain, "metrics": {}})
    assert model.builtin and model.endpoint_name == "ep" and model.type == "gan"
    delete = json.loads(flat(resource["Properties"]["Delete"]).replace("<ModelsTable>", "tbl"))
    assert delete["action"] == "deleteItem"


SERVE_LIKE_THE_CONTAINER = """
import base64, json, sys
sys.path.insert(0, sys.argv[1] + "/code")        # the serving toolkit puts code/ on the path
import inference                                 # ... and imports SAGEMAKER_PROGRAM
import model
assert model.__file__.startswith(sys.argv[1]), model.__file__
loaded = inference.model_fn(sys.argv[1])         # model_dir = the unpacked model.tar.gz
body = json.dumps({"midi": sys.argv[2], "seed": 7})
request = inference.input_fn(body, "application/json")
answer = inference.output_fn(inference.predict_fn(request, loaded), "application/json")
print(answer if isinstance(answer, str) else answer.decode())
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("construct", "tracks"),
    [("BachChorales", 4), ("ArCnnBach", 1), ("TransformerFolk", 1)],  # ar-cnn-bach enhances by default
)
def test_shipped_artifact_serves_a_composition_like_the_framework_container(
    synthesized: Synthesized, tmp_path: Path, construct: str, tracks: int
) -> None:
    """Unpack the very model.tar.gz the endpoint gets, import its entry point from code/ (not from
    this checkout) in a fresh interpreter, and compose a real melody through the four handlers: a
    module the artifact lacks, or an import of this checkout's code, fails here and not on AWS."""
    [model] = [v for k, v in synthesized.of_type("AWS::SageMaker::Model").items() if construct in k]
    key = flat(model["Properties"]["PrimaryContainer"]["ModelDataUrl"]).rsplit("/", 1)[-1]
    with tarfile.open(synthesized.asset_dir({"S3Key": key})) as tar:
        tar.extractall(tmp_path, filter="data")
    sample = next(iter(sample_index().values()))
    melody = write_midi(sample.score())
    done = subprocess.run(
        [sys.executable, "-I", "-c", SERVE_LIKE_THE_CONTAINER, str(tmp_path), base64.b64encode(melody).decode()],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(answer["tracks"]) == tracks
    composed = read_midi(base64.b64decode(answer["midi"])).score
    assert len(composed.tracks) == tracks

    def in_beats(score: Score) -> list[tuple[float, int, float]]:
        tpb = score.ticks_per_beat
        return [(n.start / tpb, n.pitch, n.duration / tpb) for n in score.tracks[0].notes]

    given = in_beats(sample.score())
    if construct == "TransformerFolk":  # the melody exactly, then the continuation
        assert in_beats(composed)[: len(given)] == given and len(in_beats(composed)) > len(given)
    elif construct == "BachChorales":
        assert in_beats(composed) == given, "track 0 is the melody exactly as given"
    else:
        assert in_beats(composed), "the enhanced track has notes"


def test_every_pretrained_directory_is_registered_with_the_type_and_defaults_of_its_model_json(tmp_path: Path) -> None:
    configs = {
        "bach-chorales": {"format": 1},
        "ar-cnn-bach": {"type": "ar-cnn", "defaultParameters": {"mode": "harmonize", "temperature": 0.8}},
        "transformer-folk": {"type": "transformer", "name": "Folk extender"},
    }
    for model_id, config in configs.items():
        (tmp_path / model_id).mkdir()
        (tmp_path / model_id / "model.json").write_text(json.dumps(config))
    (tmp_path / "notes").mkdir()  # no model.json: not a model
    found = {m.model_id: m for m in shipped_models(tmp_path)}
    assert sorted(found) == ["ar-cnn-bach", "bach-chorales", "transformer-folk"]
    assert found["bach-chorales"].model_type == "gan" and found["bach-chorales"].default_parameters == {}
    assert found["bach-chorales"].name == "Bach chorales"
    assert found["ar-cnn-bach"].model_type == "ar-cnn"
    assert found["ar-cnn-bach"].default_parameters == {"mode": "harmonize", "temperature": 0.8}
    assert typed(found["ar-cnn-bach"].default_parameters) == {
        "M": {"mode": {"S": "harmonize"}, "temperature": {"N": "0.8"}}
    }
    assert found["transformer-folk"].model_type == "transformer" and found["transformer-folk"].name == "Folk extender"
    (tmp_path / "ar-cnn-bach" / "model.json").write_text(
        json.dumps({"type": "ar-cnn", "defaultParameters": {"mode": "harmonize", "maxNotesAdded": 80}})
    )
    with pytest.raises(InvalidParameters, match=r"defaultParameters\.maxNotesAdded"):
        shipped_models(tmp_path)


def test_the_checked_in_pretrained_models_all_register() -> None:
    found = shipped_models()
    assert "bach-chorales" in {m.model_id for m in found}
    assert all(m.name and m.description for m in found)
