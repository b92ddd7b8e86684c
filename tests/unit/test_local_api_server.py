"""The local API Gateway stand-in: real HTTP in, the event a Powertools REST resolver understands,
the proxy response written back (binary both ways, multi-value headers and query strings, claims)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from local.api_server import ApiServer, AuthError, build_event, claims_from_authorization, is_text, response_parts

app = APIGatewayRestResolver()


@app.get("/echo")
def echo() -> dict:
    event = app.current_event
    return {
        "sub": event.request_context.authorizer.claims["sub"],
        "tags": event.multi_value_query_string_parameters.get("tag"),
        "single": event.query_string_parameters.get("tag"),
        "accept": event.headers.get("Accept"),
    }


@app.post("/upload/<name>")
def upload(name: str) -> Response:
    event = app.current_event
    assert event.is_base64_encoded
    data = base64.b64decode(event.body)
    return Response(200, "audio/midi", body=bytes(reversed(data)), headers={"X-Name": name})


@app.post("/json")
def post_json() -> dict:
    return {"got": app.current_event.json_body, "encoded": app.current_event.is_base64_encoded}


@app.get("/boom")
def boom() -> dict:
    raise RuntimeError("crash")


def handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)


@pytest.fixture(scope="module")
def server():
    with ApiServer(handler, port=0) as srv:
        yield srv


def test_claims_and_multi_value_query_reach_the_handler(server: ApiServer) -> None:
    r = httpx.get(f"{server.url}/echo?tag=bach&tag=chorale", headers={"Authorization": "Bearer alice", "Accept": "x/y"})
    assert r.status_code == 200
    assert r.json() == {"sub": "alice", "tags": ["bach", "chorale"], "single": "chorale", "accept": "x/y"}


def test_no_authorization_is_the_default_local_user(server: ApiServer) -> None:
    assert httpx.get(f"{server.url}/echo").json()["sub"] == "local-user"


def test_binary_body_round_trips_base64_both_ways(server: ApiServer) -> None:
    payload = bytes(range(256)) * 3
    r = httpx.post(f"{server.url}/upload/song", content=payload, headers={"Content-Type": "audio/midi"})
    assert r.status_code == 200
    assert r.content == bytes(reversed(payload))
    assert r.headers["content-type"] == "audio/midi"
    assert r.headers["x-name"] == "song"


def test_json_body_travels_as_text(server: ApiServer) -> None:
    r = httpx.post(f"{server.url}/json", json={"a": [1, 2]})
    assert r.json() == {"got": {"a": [1, 2]}, "encoded": False}


def test_unknown_route_is_the_resolvers_404(server: ApiServer) -> None:
    assert httpx.get(f"{server.url}/nope").status_code == 404


def test_crashing_handler_is_a_502_and_the_server_lives_on(server: ApiServer) -> None:
    r = httpx.get(f"{server.url}/boom")
    assert r.status_code == 502
    assert httpx.get(f"{server.url}/echo").status_code == 200


def test_bad_user_name_is_a_401_with_the_error_shape(server: ApiServer) -> None:
    r = httpx.get(f"{server.url}/echo", headers={"Authorization": "Bearer ../../etc"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "UNAUTHORIZED"


def test_jwt_payload_claims_are_taken_as_they_are() -> None:
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "abc-123", "email": "a@b.c"}).encode()).decode().rstrip("=")
    claims = claims_from_authorization(f"Bearer xxx.{payload}.sig")
    assert claims["sub"] == "abc-123" and claims["email"] == "a@b.c"
    with pytest.raises(AuthError):
        claims_from_authorization("Bearer xxx.e30.sig")


def test_event_has_the_rest_proxy_shape() -> None:
    event = build_event("GET", "/melodies/a%20b?x=1", [("Host", "h")], b"", {"sub": "u"})
    assert event["path"] == "/melodies/a b"
    assert event["body"] is None and event["isBase64Encoded"] is False
    assert event["requestContext"]["authorizer"]["claims"] == {"sub": "u"}
    assert event["multiValueHeaders"] == {"Host": ["h"]}
    assert event["queryStringParameters"] == {"x": "1"}


def test_response_parts_merges_both_header_styles() -> None:
    status, headers, body = response_parts(
        {
            "statusCode": 201,
            "headers": {"A": "1"},
            "multiValueHeaders": {"Set-Cookie": ["x=1", "y=2"]},
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        }
    )
    assert status == 201 and body == b"\x00\x01"
    assert ("Set-Cookie", "x=1") in headers and ("Set-Cookie", "y=2") in headers and ("A", "1") in headers


def test_binary_media_types_follow_api_gateways_rule() -> None:
    types = ["audio/midi", "image/*"]
    assert not is_text("audio/midi", types) and not is_text("image/png; q=1", types)
    assert is_text("application/json", types) and is_text("application/octet-stream", types)
    assert not is_text("anything/else", ["*/*"])
    event = build_event(
        "POST", "/m", [("Content-Type", "audio/midi")], b"MThd\x00", {"sub": "u"}, binary_media_types=types
    )
    assert event["isBase64Encoded"] and base64.b64decode(event["body"]) == b"MThd\x00"
    event = build_event("POST", "/m", [("Content-Type", "text/plain")], b"hi", {"sub": "u"}, binary_media_types=types)
    assert event == {**event, "body": "hi", "isBase64Encoded": False}
