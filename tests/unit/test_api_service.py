"""/health and /openapi.json, the checked-in OpenAPI document, and the request envelope rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lambdas.openapi import document, document_json
from tests.support.api import call

REPO = Path(__file__).resolve().parents[2]
CHECKED_IN = REPO / "openapi.json"

ROUTES = {
    ("get", "/health"),
    ("get", "/melodies"),
    ("post", "/melodies"),
    ("get", "/melodies/{melody_id}"),
    ("get", "/melodies/{melody_id}/midi"),
    ("delete", "/melodies/{melody_id}"),
    ("get", "/models"),
    ("get", "/models/{model_id}"),
    ("delete", "/models/{model_id}"),
    ("get", "/model-types"),
    ("post", "/compositions"),
    ("get", "/compositions"),
    ("get", "/compositions/{composition_id}"),
    ("get", "/compositions/{composition_id}/midi"),
    ("get", "/compositions/{composition_id}/pianoroll.png"),
    ("get", "/compositions/{composition_id}/audio"),
    ("get", "/melodies/{melody_id}/audio"),
    ("patch", "/compositions/{composition_id}"),
    ("delete", "/compositions/{composition_id}"),
    ("post", "/compositions/{composition_id}/share"),
    ("delete", "/compositions/{composition_id}/share"),
    ("patch", "/melodies/{melody_id}"),
    ("put", "/melodies/{melody_id}/notes"),
    ("get", "/shared/{token}"),
    ("get", "/shared/{token}/midi"),
    ("get", "/shared/{token}/pianoroll.png"),
    ("get", "/shared/{token}/audio"),
    ("post", "/training-jobs"),
    ("get", "/training-jobs"),
    ("get", "/training-jobs/{job_id}"),
    ("post", "/training-jobs/{job_id}/stop"),
    ("get", "/training-jobs/{job_id}/chart.png"),
    ("get", "/training-jobs/{job_id}/samples"),
    ("get", "/training-jobs/{job_id}/samples/{epoch}"),
    ("get", "/datasets"),
}


def test_checked_in_openapi_matches_the_code():
    assert CHECKED_IN.read_text() == document_json(), (
        "openapi.json drifted from the code: regenerate with `python -m lambdas.openapi > openapi.json`"
    )


def test_openapi_generator_runs_as_a_module():
    out = subprocess.run(
        [sys.executable, "-m", "lambdas.openapi"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == document()


def test_openapi_documents_every_route_and_the_error_shape():
    doc = document()
    routes = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert routes == ROUTES
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if path.startswith("/shared/"):  # share links: the token is the key, no sign-in
                assert "security" not in op and "401" not in op["responses"], (method, path)
            elif path != "/health":
                assert op["security"] == [{"cognito": []}], (method, path)
                assert op["responses"]["401"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorBody"
                }
    upload = doc["paths"]["/melodies"]["post"]["requestBody"]["content"]
    assert set(upload) == {"application/json", "audio/midi"}
    assert {"MelodyMidiIn", "MelodyNotesIn", "Composition", "TrainingJob"} <= set(doc["components"]["schemas"])
    assert "owner" not in doc["components"]["schemas"]["Melody"]["properties"]


def test_health_and_openapi_need_no_identity(cloud):
    health = call("GET", "/health", user=None)
    assert health.status == 200 and health.json["status"] == "ok"
    served = call("GET", "/openapi.json", user=None)
    assert served.status == 200 and served.json == json.loads(CHECKED_IN.read_text())


def test_cors_header_on_answers_and_early_rejections(cloud):
    assert (
        call("GET", "/health", headers={"Origin": "https://console.example.com"}).headers["access-control-allow-origin"]
        == "*"
    )
    rejected = call("POST", "/compositions", body="x" * 300_000, content_type="application/json")
    assert rejected.status == 413 and rejected.headers["access-control-allow-origin"] == "*"


def test_wrong_content_type_is_415_on_every_json_route(cloud):
    for path in ("/compositions", "/training-jobs"):
        reply = call("POST", path, body="<xml/>", content_type="application/xml")
        assert (reply.status, reply.error_code) == (415, "UNSUPPORTED_MEDIA_TYPE"), path
        assert "application/json" in reply.json["error"]["message"]
