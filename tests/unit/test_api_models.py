"""/models through the real handler on moto: shipped models for everyone, custom ones for their
owner only, delete rules."""

from __future__ import annotations

import boto3
from botocore.awsrequest import AWSResponse

from shared.logic.models import register_builtin_model
from shared.resources import MODELS, table_name
from tests.support.api import ALICE, BOB, BUILTIN_MODEL, call


def custom_model(owner: str, model_id: str, status: str = "READY") -> None:
    """What the training workflow writes when a job completes (the model item of its RegisterModel state)."""
    boto3.resource("dynamodb").Table(table_name(MODELS)).put_item(
        Item={
            "owner": owner,
            "id": model_id,
            "name": "My chorales",
            "status": status,
            "builtin": False,
            "endpointName": f"composer-{model_id}",
            "artifactUri": f"s3://bucket/training/{model_id}/output/model.tar.gz",
            "trainingJobId": "tj-1",
            "createdAt": "2026-11-22T10:00:00Z",
        }
    )


def test_shipped_model_is_listed_for_everyone(cloud):
    for user in (ALICE, BOB):
        items = call("GET", "/models", user=user).json["items"]
        assert [(m["id"], m["builtin"], m["status"]) for m in items] == [(BUILTIN_MODEL, True, "READY")]
    model = call("GET", f"/models/{BUILTIN_MODEL}", user=BOB).json
    assert model["name"] == "Bach chorales" and model["endpointName"] == f"composer-{BUILTIN_MODEL}"


def test_reregistering_a_shipped_model_updates_it_in_place(cloud):
    register_builtin_model(
        BUILTIN_MODEL, "Bach chorales v2", endpoint_name="composer-bach-v2", metrics={"similarity": 0.8}
    )
    items = call("GET", "/models").json["items"]
    assert len(items) == 1 and items[0]["name"] == "Bach chorales v2" and items[0]["metrics"] == {"similarity": 0.8}


def test_custom_models_are_owner_scoped(cloud):
    custom_model(ALICE, "mdl-alice-1")
    assert [m["id"] for m in call("GET", "/models").json["items"]] == [BUILTIN_MODEL, "mdl-alice-1"]
    assert [m["id"] for m in call("GET", "/models", user=BOB).json["items"]] == [BUILTIN_MODEL]
    assert call("GET", "/models/mdl-alice-1").json["trainingJobId"] == "tj-1"
    for method in ("GET", "DELETE"):
        reply = call(method, "/models/mdl-alice-1", user=BOB)
        assert (reply.status, reply.error_code) == (404, "NOT_FOUND")
    assert (
        call("POST", "/compositions", user=BOB, body={"melodyId": "sample-ode-to-joy", "modelId": "mdl-alice-1"}).status
        == 404
    )


def test_delete_own_model_removes_record_and_endpoint(cloud):
    deleted: list[str] = []

    def delete_endpoint(params, **_):
        import json

        deleted.append(json.loads(params["body"])["EndpointName"])
        return AWSResponse("", 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}}

    cloud.answer("sagemaker", "DeleteEndpoint", delete_endpoint)
    custom_model(ALICE, "mdl-alice-2")
    assert call("DELETE", "/models/mdl-alice-2").status == 204
    assert deleted == ["composer-mdl-alice-2"]
    assert call("GET", "/models/mdl-alice-2").status == 404


def test_delete_rules(cloud):
    reply = call("DELETE", f"/models/{BUILTIN_MODEL}")
    assert (reply.status, reply.error_code) == (409, "BUILTIN")
    custom_model(ALICE, "mdl-creating", status="CREATING")
    reply = call("DELETE", "/models/mdl-creating")
    assert (reply.status, reply.error_code) == (409, "MODEL_BUSY")
    assert call("GET", "/models/mdl-creating").json["status"] == "CREATING"
    assert call("DELETE", "/models/no-such-model").status == 404


def test_model_page_token_from_another_user_is_refused(cloud):
    custom_model(ALICE, "mdl-a"), custom_model(ALICE, "mdl-b")
    first = call("GET", "/models", query={"limit": "2"}).json
    assert len(first["items"]) == 2 and first["nextToken"]
    rest = call("GET", "/models", query={"limit": "2", "nextToken": first["nextToken"]}).json
    assert [m["id"] for m in first["items"] + rest["items"]] == [BUILTIN_MODEL, "mdl-a", "mdl-b"]
    assert call("GET", "/models", user=BOB, query={"nextToken": first["nextToken"]}).error_code == "INVALID_NEXT_TOKEN"
