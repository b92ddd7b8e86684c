"""Which function the local API Gateway hands a request to: API Gateway's precedence (static, then
``{param}``, then ``{proxy+}``; an exact method, then ``ANY``), no fallback to a sibling resource, and
the HTTP server calling the routed function's handler with its own name in the context."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from local.api_routes import RouteTable
from local.api_server import ApiServer

TABLE = RouteTable.from_routes(
    {
        ("ANY", "/{proxy+}"): "Api",
        ("POST", "/compositions"): "Api",
        ("ANY", "/compositions/{id}"): "Api",
        ("ANY", "/compositions/{id}/{proxy+}"): "Api",
        ("GET", "/compositions/{id}/audio"): "Media",
        ("GET", "/compositions/{id}/pianoroll.png"): "Media",
    }
)


@pytest.mark.parametrize(
    ("method", "path", "function"),
    [
        ("GET", "/compositions/c1/audio", "Media"),
        ("GET", "/compositions/c1/audio/", "Media"),
        ("GET", "/compositions/c1/pianoroll.png", "Media"),
        ("GET", "/compositions/c1/midi", "Api"),
        ("GET", "/compositions/c1/audio/extra", "Api"),
        ("DELETE", "/compositions/c1", "Api"),
        ("POST", "/compositions", "Api"),
        ("GET", "/compositions", None),  # the resource exists without GET and the root proxy does not take over
        ("POST", "/compositions/c1/audio", None),
        ("GET", "/health", "Api"),
    ],
)
def test_precedence_and_no_fallback(method: str, path: str, function: str | None) -> None:
    assert TABLE.function_for(method, path) == function


def test_the_server_calls_the_routed_function_and_refuses_what_has_no_route() -> None:
    def handler(name: str) -> Any:
        def answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
            body = {"function": name, "context": context.function_name, "path": event["path"]}
            return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}

        return answer

    handlers = {"Api": handler("api"), "Media": handler("media")}

    def router(method: str, path: str) -> tuple[str, Any] | None:
        logical = TABLE.function_for(method, path)
        return None if logical is None else (logical.lower(), handlers[logical])

    def gateway_response(kind: str, status: int, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
        return (
            404,
            [("Content-Type", "application/json")],
            json.dumps({"error": {"code": kind, "message": message}}).encode(),
        )

    with ApiServer(handlers["Api"], port=0, router=router, gateway_response=gateway_response) as server:
        audio = httpx.get(f"{server.url}/compositions/c1/audio").json()
        assert audio == {"function": "media", "context": "media", "path": "/compositions/c1/audio"}
        assert httpx.get(f"{server.url}/compositions/c1/midi").json()["function"] == "api"
        refused = httpx.post(f"{server.url}/compositions/c1/audio")
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "MISSING_AUTHENTICATION_TOKEN"
