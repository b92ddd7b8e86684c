"""API Gateway's own request checks, read from the template: a body failing the method's model is
answered with the API's BAD_REQUEST_BODY response before the Lambda runs; other requests pass."""

from __future__ import annotations

import json

import httpx

from local.api_server import ApiServer
from local.gateway_rules import GatewayRules

TEMPLATE = {
    "Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
        "Things": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {"ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "things"},
        },
        "ThingsProxy": {
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {"ParentId": {"Ref": "Things"}, "PathPart": "{proxy+}"},
        },
        "Validator": {"Type": "AWS::ApiGateway::RequestValidator", "Properties": {"ValidateRequestBody": True}},
        "ThingIn": {
            "Type": "AWS::ApiGateway::Model",
            "Properties": {
                "Schema": {
                    "$schema": "http://json-schema.org/draft-04/schema#",
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {"name": {"type": "string", "minLength": 1}},
                }
            },
        },
        "ThingsPost": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "HttpMethod": "POST",
                "ResourceId": {"Ref": "Things"},
                "RequestValidatorId": {"Ref": "Validator"},
                "RequestModels": {"application/json": {"Ref": "ThingIn"}},
            },
        },
        "ProxyAny": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {"HttpMethod": "ANY", "ResourceId": {"Ref": "ThingsProxy"}},
        },
        "BadBody": {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": {
                "ResponseType": "BAD_REQUEST_BODY",
                "StatusCode": "422",
                "ResponseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'http://x'"},
                "ResponseTemplates": {
                    "application/json": '{"error": {"code": "INVALID_REQUEST_BODY", '
                    '"message": "$context.error.validationErrorString"}}'
                },
            },
        },
    }
}


def test_invalid_body_gets_the_gateway_response_and_never_reaches_the_function() -> None:
    calls: list[dict] = []

    def handler(event: dict, context: object) -> dict:
        calls.append(event)
        return {"statusCode": 201, "body": "{}"}

    rules = GatewayRules.from_template(TEMPLATE)
    with ApiServer(handler, port=0, gateway_check=rules.check) as server:
        bad = httpx.post(f"{server.url}/things", json={"name": "", "extra": 1})
        not_json = httpx.post(f"{server.url}/things", content=b"{oops", headers={"Content-Type": "application/json"})
        good = httpx.post(f"{server.url}/things", json={"name": "a"})
        unchecked = httpx.post(f"{server.url}/things/1/stop")
        other_type = httpx.post(f"{server.url}/things", content=b"MThd", headers={"Content-Type": "audio/midi"})
    assert bad.status_code == 422 and bad.headers["access-control-allow-origin"] == "http://x"
    message = bad.json()["error"]["message"]
    assert bad.json()["error"]["code"] == "INVALID_REQUEST_BODY" and "extra" in message and "name" in message
    assert not_json.status_code == 422 and "not JSON" in not_json.json()["error"]["message"]
    assert (good.status_code, unchecked.status_code, other_type.status_code) == (201, 201, 201)
    assert [e["path"] for e in calls] == ["/things", "/things/1/stop", "/things"]


def test_quotes_in_messages_keep_the_body_valid_json() -> None:
    rules = GatewayRules.from_template(TEMPLATE)
    reply = rules.check("POST", "/things", "application/json", json.dumps({'na"me': 1}).encode())
    assert reply is not None
    status, _, body = reply
    assert status == 422 and 'na"me' in json.loads(body)["error"]["message"]
