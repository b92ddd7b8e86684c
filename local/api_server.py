"""HTTP -> API Gateway REST proxy events, so the same Lambda handlers serve local requests: ``api``,
or the function the template's REST API routes the path to (``router``, from ``local.api_routes``).

Each request becomes the event API Gateway's Lambda proxy integration would send (format 1.0:
``headers`` and ``multiValueHeaders``, ``queryStringParameters`` and their multi-value twin,
``requestContext.authorizer.claims``), and the handler's proxy response is written back as HTTP.
Bodies that are not text travel base64-encoded with ``isBase64Encoded``, both ways, as API Gateway
does for binary media types.

The Cognito authorizer is replaced by a stand-in: ``Authorization: Bearer <user>`` makes ``<user>``
the ``sub`` claim (a JWT's payload claims are taken as they are, unverified, so a client holding a
real Cognito token works unchanged); no header means the default local user. Public routes
(``shared.contract.is_public``: health, the OpenAPI document, share links) get no identity at all,
as a method without an authorizer on AWS.

    >>> with ApiServer(handler, port=0) as server:
    ...     httpx.get(f"{server.url}/health")
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from local.lambda_context import LOCAL_ACCOUNT, LocalLambdaContext
from local.studio_files import StudioFiles
from shared.contract import is_public

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
# What API Gateway answers by itself (e.g. a body failing the request model), or None to call the Lambda.
GatewayCheck = Callable[[str, str, str | None, bytes], tuple[int, list[tuple[str, str]], bytes] | None]
# Which function serves (method, path): its name and handler, or None when the API has no such route;
# without one, ``lambda_handler`` serves every request.
Router = Callable[[str, str], tuple[str, LambdaHandler] | None]
# The API's gateway response for a refusal the gateway makes itself: (response type, status, message) -> reply.
GatewayResponse = Callable[[str, int, str], tuple[int, list[tuple[str, str]], bytes]]

DEFAULT_USER = "local-user"
STAGE = "local"
# API Gateway's own payload limit; larger requests never reach the function.
MAX_BODY_BYTES = 10 * 1024 * 1024
# A body over the limit is still read (and dropped) up to this size, so the client, still sending,
# gets the 413 instead of a reset connection; beyond it the connection is closed after the answer.
MAX_DISCARD_BYTES = 64 * 1024 * 1024
# A client that goes quiet mid-request (headers, then nothing) is answered 408 after this many
# seconds and its connection closed; the server's other threads keep serving everyone else.
REQUEST_TIMEOUT_SECONDS = 20.0
_USER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+\-]{0,127}$")
_TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")

log = logging.getLogger("local.api")


class AuthError(Exception):
    """The Authorization header cannot name a user; answered 401 like the Cognito authorizer."""


def claims_from_authorization(header: str | None, default_user: str = DEFAULT_USER) -> dict[str, str]:
    """The authorizer claims for a request: what Cognito would put in ``requestContext.authorizer.claims``."""
    if header is None or not header.strip():
        return _claims(default_user)
    scheme, _, token = header.strip().partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else header.strip()
    if token.count(".") == 2:
        return _jwt_claims(token)
    if not _USER_PATTERN.match(token):
        raise AuthError(
            "Authorization must be 'Bearer <user>' where <user> is 1-128 letters, digits or ._@+- "
            "(or a JWT); leave it out to act as the default local user."
        )
    return _claims(token)


def _claims(user: str) -> dict[str, str]:
    return {"sub": user, "cognito:username": user, "token_use": "id", "auth_time": str(int(time.time()))}


def _jwt_claims(token: str) -> dict[str, str]:
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise AuthError("The bearer token looks like a JWT but its payload is not base64url JSON.") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise AuthError("The bearer token's payload has no 'sub' claim.")
    # API Gateway hands claims to the function as strings.
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in claims.items()}


def is_text(content_type: str | None, binary_media_types: list[str] | None = None) -> bool:
    """Whether a request body of this media type reaches the function as text (else base64).

    With the API's ``binaryMediaTypes`` (from the template) this is API Gateway's rule: listed types
    (``*/*`` and ``type/*`` wildcards included) are base64, everything else is text. Without them,
    anything not obviously textual is base64.
    """
    media = (content_type or "").split(";")[0].strip().lower()
    if binary_media_types is not None:
        for pattern in (p.lower() for p in binary_media_types):
            kind, _, sub = pattern.partition("/")
            if pattern in ("*/*", media) or (sub == "*" and media.startswith(f"{kind}/")):
                return False
        return True
    if not media:
        return False
    return media.startswith(_TEXT_TYPES) or media.endswith("+json")


def build_event(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    claims: dict[str, str],
    source_ip: str = "127.0.0.1",
    binary_media_types: list[str] | None = None,
) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy event for one request, as API Gateway builds it."""
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in pairs:
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)

    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    if not body:
        event_body, encoded = None, False
    elif is_text(content_type, binary_media_types):
        try:
            event_body, encoded = body.decode("utf-8"), False
        except UnicodeDecodeError:
            if binary_media_types is not None:  # API Gateway would hand the function mangled text
                event_body, encoded = body.decode("utf-8", errors="replace"), False
            else:
                event_body, encoded = base64.b64encode(body).decode("ascii"), True
    else:
        event_body, encoded = base64.b64encode(body).decode("ascii"), True

    now = time.time()
    request_id = str(uuid.uuid4())
    proxy = path.lstrip("/")
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": proxy} if proxy else None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{STAGE}{path}",
            "accountId": LOCAL_ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": single_headers.get("User-Agent") or single_headers.get("user-agent"),
            },
            "domainName": "localhost",
            "apiId": "local",
            "authorizer": {"claims": claims},
        },
        "body": event_body,
        "isBase64Encoded": encoded,
    }


def response_parts(response: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body bytes from a Lambda proxy response (both header styles, base64 or text)."""
    status = int(response.get("statusCode", 200))
    headers: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, values in (response.get("multiValueHeaders") or {}).items():
        for value in values or []:
            headers.append((name, str(value)))
        seen.add(name.lower())
    for name, value in (response.get("headers") or {}).items():
        if name.lower() not in seen:
            headers.append((name, str(value)))
    raw = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(raw)
    else:
        body = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    return status, headers, body


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


class _BodyError(Exception):
    """The request body cannot be read as sent; answered with this status and the connection closed.

    ``response_type`` is API Gateway's gateway response type for it (``code`` is used without a template).
    """

    def __init__(self, status: int, code: str, message: str, response_type: str = "DEFAULT_4XX") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.response_type = status, code, message, response_type


_TOO_LARGE = f"The request body is over API Gateway's limit of {MAX_BODY_BYTES} bytes (10 MB)."


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; with Nagle's algorithm on, a keep-alive client's
    # delayed ACK held every answer back ~40 ms (local compose round trip p50 314 ms -> see RESULTS.md).
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.request_timeout)  # for every read of this connection

    def parse_request(self) -> bool:
        """A client that stops mid-headers gets a 408 too (an idle keep-alive connection is just closed)."""
        try:
            return super().parse_request()
        except TimeoutError:
            message = f"The request headers did not arrive within {self.server.request_timeout:g} s."
            with contextlib.suppress(OSError):
                self._refuse(_BodyError(408, "REQUEST_TIMEOUT", message))
            return False

    def handle_expect_100(self) -> bool:
        """Refuse an announced oversized body before the client sends it."""
        if self._declared_length() > MAX_BODY_BYTES:
            self.close_connection = True
            self._refuse(_BodyError(413, "PAYLOAD_TOO_LARGE", _TOO_LARGE, "REQUEST_TOO_LARGE"))
            return False
        return super().handle_expect_100()

    def _declared_length(self) -> int:
        try:
            return int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return 0

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except _BodyError as exc:
            self._refuse(exc)
            return
        except (TimeoutError, ConnectionError):
            message = f"The request body did not arrive within {self.server.request_timeout:g} s."
            with contextlib.suppress(OSError):
                self._refuse(_BodyError(408, "REQUEST_TIMEOUT", message))
            return
        studio = self.server.studio
        served = studio.answer(self.command, unquote(urlsplit(self.path).path)) if studio else None
        if served is not None:
            self._reply(*served)
            return
        try:
            # A public route (a share link) has no authorizer on AWS: no identity, whatever is sent.
            public = is_public(self.command, unquote(urlsplit(self.path).path))
            claims = (
                {} if public else claims_from_authorization(self.headers.get("Authorization"), self.server.default_user)
            )
        except AuthError as exc:
            self._reply(401, [], _error_body("UNAUTHORIZED", str(exc)))
            return
        check = self.server.gateway_check
        refused = (
            check(self.command, unquote(urlsplit(self.path).path), self.headers.get("Content-Type"), body)
            if check
            else None
        )
        if refused is not None:
            self._reply(*refused)
            return
        event = build_event(
            self.command,
            self.path,
            list(self.headers.items()),
            body,
            claims,
            self.client_address[0],
            self.server.binary_media_types,
        )
        function_name, lambda_handler = self.server.function_name, self.server.lambda_handler
        if self.server.router is not None:
            routed = self.server.router(self.command, unquote(urlsplit(self.path).path))
            if routed is None:  # no resource+method: API Gateway's own "Missing Authentication Token"
                self._reply(*self._gateway_refusal("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token"))
                return
            function_name, lambda_handler = routed
        context = LocalLambdaContext(function_name=function_name, timeout_seconds=29)
        try:
            with self.server.lock_of(function_name):  # one execution environment per function, as on Lambda
                result = lambda_handler(event, context)
            status, headers, out = response_parts(result)
        except Exception:  # noqa: BLE001 - a crashing function is API Gateway's 502, not a dead server
            traceback.print_exc(file=sys.stderr)
            # API Gateway's DEFAULT_5XX gateway response (cdk/api.py) gives this the API's error shape.
            self._reply(502, [], _error_body("INTERNAL_ERROR", "Internal server error"))
            return
        self._reply(status, headers, out)

    def _gateway_refusal(
        self, response_type: str, status: int, message: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.server.gateway_response is not None:
            return self.server.gateway_response(response_type, status, message)
        return status, [], _error_body("NOT_FOUND", message)

    def _refuse(self, error: _BodyError) -> None:
        """Answer a request whose body could not be taken, then close: the rest of the stream is unknown."""
        self.close_connection = True
        if self.server.gateway_response is not None:
            status, headers, body = self.server.gateway_response(error.response_type, error.status, error.message)
        else:
            status, headers, body = error.status, [], _error_body(error.code, error.message)
        self._reply(status, headers, body, close=True)

    def _read_body(self) -> bytes:
        encoding = self.headers.get("Transfer-Encoding", "").strip().lower()
        if encoding and encoding != "identity":
            if encoding != "chunked":
                raise _BodyError(400, "BAD_REQUEST", "Only the chunked transfer encoding is accepted.")
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header or 0)
        except ValueError:
            raise _BodyError(400, "BAD_REQUEST", "Content-Length is not a number.") from None
        if length < 0:
            raise _BodyError(400, "BAD_REQUEST", "Content-Length is negative.")
        if length > MAX_BODY_BYTES:
            self._discard(length)
            raise _BodyError(413, "PAYLOAD_TOO_LARGE", _TOO_LARGE, "REQUEST_TOO_LARGE")
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) < length:
            raise _BodyError(400, "BAD_REQUEST", f"The body ended after {len(body)} of its {length} bytes.")
        return body

    def _discard(self, length: int) -> None:
        left = min(length, MAX_DISCARD_BYTES)
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                return
            left -= len(chunk)

    def _read_chunked(self) -> bytes:
        """A chunked body, all of it, or a 4xx: malformed sizes, a body cut short, or one over the limit."""
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            if not line.endswith(b"\n"):
                raise _BodyError(400, "BAD_REQUEST", "The chunked body ended before its last (zero-size) chunk.")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BodyError(400, "BAD_REQUEST", "A chunk size of the chunked body is not hexadecimal.") from None
            if size < 0:
                raise _BodyError(400, "BAD_REQUEST", "A chunk size of the chunked body is negative.")
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers, up to the blank line
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY_BYTES:
                self._discard(MAX_DISCARD_BYTES - total)
                raise _BodyError(413, "PAYLOAD_TOO_LARGE", _TOO_LARGE, "REQUEST_TOO_LARGE")
            data = self.rfile.read(size)
            if len(data) < size or self.rfile.read(2) != b"\r\n":
                raise _BodyError(400, "BAD_REQUEST", "The chunked body ended in the middle of a chunk.")
            parts.append(data)

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes, *, close: bool = False) -> None:
        self.send_response(status)
        names = {name.lower() for name, _ in headers}
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        if "content-type" not in names and body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body) if self.command != "HEAD" else 0))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.info("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog: the default of 5 resets connections when a burst of clients (the soak's
    # 16 threads) arrives while the accept loop waits for the interpreter.
    request_queue_size = 128
    lambda_handler: LambdaHandler
    # The Powertools resolver keeps the current event on the app object (Lambda never runs two
    # requests at once in one environment), so concurrent requests must not share a handler.
    invoke_locks: dict[str, threading.Lock]
    function_name: str
    router: Router | None
    default_user: str
    binary_media_types: list[str] | None
    gateway_check: GatewayCheck | None
    gateway_response: GatewayResponse | None
    request_timeout: float
    studio: StudioFiles | None

    def lock_of(self, function_name: str) -> threading.Lock:
        return self.invoke_locks.setdefault(function_name, threading.Lock())


class ApiServer:
    """The local API Gateway: serves ``lambda_handler`` on ``127.0.0.1:port`` in a background thread."""

    def __init__(
        self,
        lambda_handler: LambdaHandler,
        port: int = 8000,
        *,
        host: str = "127.0.0.1",
        function_name: str = "api",
        default_user: str = DEFAULT_USER,
        binary_media_types: list[str] | None = None,
        gateway_check: GatewayCheck | None = None,
        gateway_response: GatewayResponse | None = None,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
        router: Router | None = None,
        studio: StudioFiles | None = None,
    ) -> None:
        self._server = _Server((host, port), _RequestHandler)
        self._server.request_timeout = request_timeout
        self._server.lambda_handler = lambda_handler
        self._server.invoke_locks = {}
        self._server.function_name = function_name
        self._server.router = router
        self._server.default_user = default_user
        self._server.binary_media_types = binary_media_types
        self._server.gateway_check = gateway_check
        self._server.gateway_response = gateway_response
        self._server.studio = studio
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    def start(self) -> ApiServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
