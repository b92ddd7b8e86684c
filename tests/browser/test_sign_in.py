"""The deployed studio's sign-in: Cognito hosted UI's authorization-code flow with PKCE, run in the
browser against a small OIDC stub; the ID token it gets is what the API then sees."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Watched
from tests.browser.oidc_stub import OidcStub

pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture
def oidc() -> Iterator[tuple[OidcStub, str]]:
    stub = OidcStub(client_id="studio-client", user="pkce-user")
    url = stub.start()
    yield stub, url
    stub.stop()


def test_sign_in_with_pkce_then_the_api_sees_the_token_user(studio: Watched, oidc: tuple[OidcStub, str]) -> None:
    stub, url = oidc
    page = studio.page
    config = {"apiBaseUrl": "", "auth": {"domain": url, "clientId": "studio-client", "userPoolId": "local_pool"}}

    def fulfil(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(config))

    page.route("**/studio/config.json", fulfil)
    with studio.api() as api:  # a melody of the user the token will name
        mine = api.post(
            "/melodies",
            json={
                "name": "Signed-in tune",
                "tempo": 100,
                "notes": [{"pitch": 60, "start": 0, "duration": 1, "velocity": 90}],
            },
            headers={"Authorization": "Bearer pkce-user"},
        ).json()
    page.goto(studio.base + "/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("text=pkce-user@example.com")
    assert stub.refused == []
    [token_request] = stub.token_requests
    assert len(token_request["code_verifier"]) >= 43  # RFC 7636's minimum
    assert "code" not in page.url  # the code is not left in the address bar
    page.goto(studio.base + "/studio/library")
    page.wait_for_selector(f"text={mine['name']}")  # the API answered as the token's user
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for()  # back from the hosted UI's logout, signed out
    assert stub.logouts == 1
    assert page.evaluate("sessionStorage.getItem('composer.idToken')") is None


def test_a_forged_verifier_gets_no_token(oidc: tuple[OidcStub, str]) -> None:
    import httpx

    stub, url = oidc
    authorize = httpx.get(
        f"{url}/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": "studio-client",
            "redirect_uri": "http://127.0.0.1/",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
            "state": "s",
        },
    )
    code = re.search(r"code=([^&]+)", authorize.headers["location"]).group(1)
    answer = httpx.post(
        f"{url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1/",
            "code_verifier": "wrong",
        },
    )
    assert answer.status_code == 400 and stub.refused
