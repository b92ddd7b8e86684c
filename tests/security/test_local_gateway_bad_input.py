"""The local API gateway over real HTTP answers every malformed request as API Gateway would, in the
API's error shape, and never drops a connection: oversized bodies, JSON nested 20,000 deep on every
body route of the OpenAPI document, 100,000-character values, invalid UTF-8, a chunked body cut
short, and a client that sends headers and then nothing (timed out while others are served)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local.runtime import LocalRuntime

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("local-sagemaker")]

OPENAPI = json.loads((Path(__file__).resolve().parents[2] / "openapi.json").read_text())
TIMEOUT = 2.0
HUGE = "a" * 100_000
DEEP = b"[" * 20_000 + b"]" * 20_000
NOTES = [{"pitch": 60 + i % 7, "start": i, "duration": 1, "velocity": 90} for i in range(8)]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with LocalRuntime(port=0, request_timeout=TIMEOUT) as runtime:
        yield runtime.url


def body_routes() -> list[tuple[str, str]]:
    routes = []
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                routes.append((method.upper(), path.replace("{", "").replace("}", "")))
    return routes


def assert_refused(response: httpx.Response, *statuses: int) -> dict:
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    if statuses:
        assert response.status_code in statuses, f"{response.status_code}: {response.text[:300]}"
    error = response.json()["error"]
    assert set(error) == {"code", "message"} and error["code"] and error["message"], error
    assert len(error["message"]) < 500, f"{len(error['message'])} characters: {error['message'][:200]}..."
    return error


def assert_healthy(url: str) -> None:
    assert httpx.get(f"{url}/health", timeout=10).json()["status"] == "ok"
    r = httpx.post(f"{url}/melodies", json={"name": "after", "tempo": 100, "notes": NOTES}, timeout=30)
    assert r.status_code == 201, r.text


def raw_exchange(url: str, request: bytes, *, shut_write: bool = False, timeout: float = 10) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def parse(answer: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_a_12_mb_body_is_a_413_with_connection_close(url: str) -> None:
    body = b'{"name": "' + b"x" * (12 * 1024 * 1024) + b'"}'
    r = httpx.post(f"{url}/melodies", content=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert assert_refused(r, 413)["code"] == "REQUEST_TOO_LARGE", "the template's REQUEST_TOO_LARGE response"
    assert r.headers["connection"].lower() == "close"
    assert_healthy(url)


@pytest.mark.parametrize(("method", "path"), body_routes())
def test_json_nested_20000_deep_is_refused_on_every_body_route(url: str, method: str, path: str) -> None:
    r = httpx.request(method, f"{url}{path}", content=DEEP, headers={"Content-Type": "application/json"}, timeout=30)
    assert_refused(r)
    assert_healthy(url)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/melodies", {"name": HUGE, "tempo": 100, "notes": NOTES}),
        ("/melodies", {"name": "x", "midi": HUGE}),
        ("/compositions", {"melodyId": HUGE, "modelId": "bach-chorales"}),
        ("/compositions", {"melodyId": "sample-ode-to-joy", "modelId": "bach-chorales", HUGE: 1}),
        ("/training-jobs", {"modelName": HUGE, "dataset": {"tags": ["composer:bach"]}, "hyperparameters": {}}),
        ("/training-jobs", {"modelName": "x", "dataset": {"tags": [HUGE]}, "hyperparameters": {}}),
    ],
)
def test_100000_character_values_are_refused_without_echoing_them(url: str, path: str, body: dict) -> None:
    r = httpx.post(f"{url}{path}", json=body, timeout=30)
    error = assert_refused(r)
    assert "a" * 100 not in error["message"], "the value came back in the message"


def test_invalid_utf8_is_refused(url: str) -> None:
    for path in ("/melodies", "/compositions", "/training-jobs"):
        body = b'{"name": "\xff\xfe\xfa", "melodyId": "\xc3\x28", "tempo": 100, "notes": []}'
        r = httpx.post(f"{url}{path}", content=body, headers={"Content-Type": "application/json"}, timeout=30)
        assert_refused(r)
    assert_healthy(url)


def test_a_truncated_chunked_body_is_a_400(url: str) -> None:
    request = (
        b"POST /melodies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n10\r\n" + b'{"name": "ab'  # 16 announced, 11 sent, then EOF
    )
    status, headers, body = parse(raw_exchange(url, request, shut_write=True))
    assert status == 400 and headers["connection"].lower() == "close", (status, headers)
    assert set(body["error"]) == {"code", "message"} and len(body["error"]["message"]) < 500
    assert_healthy(url)


def test_a_whole_chunked_body_is_served(url: str) -> None:
    payload = json.dumps({"name": "chunked", "tempo": 100, "notes": NOTES}).encode()
    request = (
        b"POST /melodies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + f"{len(payload[:20]):x}\r\n".encode()
        + payload[:20]
        + b"\r\n"
        + f"{len(payload[20:]):x}\r\n".encode()
        + payload[20:]
        + b"\r\n0\r\n\r\n"
    )
    status, _, body = parse(raw_exchange(url, request))
    assert status == 201 and body["name"] == "chunked", body


@pytest.mark.parametrize(
    "request_start",
    [
        b"POST /melodies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
        b"POST /melodies HTTP/1.1\r\nHost: x\r\nContent-Type: appl",  # stops in the middle of the headers
    ],
    ids=["headers-then-nothing", "half-the-headers"],
)
def test_a_silent_client_is_timed_out_while_others_are_served(url: str, request_start: bytes) -> None:
    answers: list[bytes] = []
    request = request_start
    silent = threading.Thread(target=lambda: answers.append(raw_exchange(url, request, timeout=TIMEOUT * 5)))
    started = time.monotonic()
    silent.start()
    time.sleep(0.2)
    for _ in range(3):  # served while the silent client holds its connection
        assert httpx.get(f"{url}/health", timeout=TIMEOUT).status_code == 200
    assert time.monotonic() - started < TIMEOUT, "others had to wait for the silent client"
    silent.join(TIMEOUT * 5)
    status, headers, body = parse(answers[0])
    assert status == 408 and headers["connection"].lower() == "close"
    assert set(body["error"]) == {"code", "message"} and len(body["error"]["message"]) < 500
    assert TIMEOUT * 0.9 <= time.monotonic() - started
    assert_healthy(url)
