"""A small OAuth 2.0 authorization server with Cognito hosted UI's endpoints, for the studio's PKCE
sign-in test: ``/oauth2/authorize`` signs the user straight in and redirects back with a code;
``/oauth2/token`` gives an ID token only for the verifier whose S256 challenge came with that code;
``/logout`` redirects back to the ``logout_uri``."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_jwt(claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}.stub"


@dataclass
class OidcStub:
    client_id: str
    user: str
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    logouts: int = 0

    def start(self) -> str:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any] | None = None, location: str | None = None) -> None:
                payload = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Type", "application/json")
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/logout" and query.get("client_id") == stub.client_id:
                    stub.logouts += 1
                    return self._send(302, location=query["logout_uri"])
                if url.path != "/oauth2/authorize":
                    return self._send(404, {"error": "not_found"})
                if query.get("client_id") != stub.client_id or query.get("response_type") != "code":
                    stub.refused.append("authorize: wrong client or response type")
                    return self._send(400, {"error": "invalid_request"})
                if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                    stub.refused.append("authorize: no S256 challenge")
                    return self._send(400, {"error": "invalid_request"})
                code = secrets.token_urlsafe(16)
                stub.codes[code] = query
                back = urlencode({"code": code, "state": query.get("state", "")})
                self._send(302, location=f"{query['redirect_uri']}?{back}")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                stub.token_requests.append(form)
                asked = stub.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                if (
                    self.path != "/oauth2/token"
                    or form.get("grant_type") != "authorization_code"
                    or asked is None
                    or form.get("redirect_uri") != asked["redirect_uri"]
                    or b64url(hashlib.sha256(verifier.encode()).digest()) != asked["code_challenge"]
                ):
                    stub.refused.append("token: code, redirect or verifier does not match")
                    return self._send(400, {"error": "invalid_grant"})
                claims = {"sub": stub.user, "email": f"{stub.user}@example.com", "exp": int(time.time()) + 3600}
                self._send(200, {"id_token": unsigned_jwt(claims), "access_token": "a", "token_type": "Bearer"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
