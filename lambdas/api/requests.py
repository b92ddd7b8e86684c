"""What the routes read from the proxy event beyond the validated parameters: the caller, the raw
body and its content type. Checks that must come before any parsing (size, content type) live
here too, applied by the handler to every request.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from shared.contract import BODY_ROUTES, BUILTIN_OWNER, JSON
from shared.errors import ComposerError, PayloadTooLarge, Unauthorized, UnsupportedMediaType

# The largest body any route needs (a 64 KiB MIDI as base64 in JSON, or 1024 notes) with room to spare.
MAX_BODY_BYTES = 256 * 1024
# Routes that take a body, and the content types each accepts.
BODY_TYPES: dict[tuple[str, str], frozenset[str]] = {(r.method, r.path): r.media_types for r in BODY_ROUTES}


class InvalidJson(ComposerError):
    status = 400
    code = "INVALID_JSON"


def caller(event: BaseProxyEvent) -> str:
    """The owner of everything the request touches: the Cognito ``sub`` claim from the authorizer."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    sub = claims.get("sub") if isinstance(claims, dict) else None
    if not isinstance(sub, str) or not sub or sub == BUILTIN_OWNER:
        raise Unauthorized("Sign in first: the request carries no user identity.")
    return sub


def content_type(event: BaseProxyEvent) -> str:
    raw = event.headers.get("content-type") or event.headers.get("Content-Type") or ""
    return raw.split(";", 1)[0].strip().lower()


def raw_body(event: BaseProxyEvent) -> bytes:
    """The body as bytes; API Gateway base64-encodes binary media types (``isBase64Encoded``)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body)
        except (binascii.Error, ValueError) as exc:
            raise InvalidJson("The request body is marked base64 but is not valid base64.") from exc
    return body.encode("utf-8")


def json_body(event: BaseProxyEvent) -> Any:
    try:
        return json.loads(raw_body(event) or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidJson(f"The request body is not valid JSON: {exc}.") from exc


def check_envelope(event: BaseProxyEvent, route_key: tuple[str, str] | None) -> None:
    """413 for an oversize body, 415 for a content type the route does not take and 400 for JSON
    that is not UTF-8 or nests too deeply to parse, before the resolver parses anything."""
    body = event.get("body") or ""
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The request body is {size} bytes; the limit is {MAX_BODY_BYTES} bytes.")
    accepted = BODY_TYPES.get(route_key) if route_key else None
    given = content_type(event)
    if not (body or given):
        return
    if accepted is not None and given not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type {given or '(none)'} is not accepted here; send {' or '.join(sorted(accepted))}."
        )
    # The id routes that take JSON (PATCH, PUT) are not in BODY_TYPES; the resolver parses their body
    # whatever its Content-Type, so it is checked here too.
    if given == JSON or (accepted is None and body):
        try:
            text = raw_body(event).decode("utf-8")
        except UnicodeDecodeError as exc:
            if given != JSON:
                return
            raise InvalidJson("The request body is not UTF-8 text, so it cannot be JSON.") from exc
        try:
            json.loads(text)
        except RecursionError as exc:  # the parser's stack, not a ValueError: it would surface as a 500
            raise InvalidJson("The request body nests arrays or objects too deeply.") from exc
        except ValueError:
            pass  # the resolver answers malformed JSON with its own 400
