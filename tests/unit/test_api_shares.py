"""Share links through the real handlers on moto: a token reads one finished composition without
signing in, re-sharing answers the same token, a revoke (or a delete) kills it, and nothing else of
the owner's is reachable from it."""

from __future__ import annotations

import io
import json

from PIL import Image

from shared.logic.shares import TOKEN_BYTES
from shared.music.midi_codec import read_midi
from shared.music.samples import SAMPLES
from tests.support.api import ALICE, BOB, BUILTIN_MODEL, call
from tests.unit.test_api_manage import assert_error, composed, melody

SAMPLE = SAMPLES[0].id


def shared(cloud, user: str = ALICE) -> tuple[dict, dict]:
    composition = composed(cloud, melody(user=user)["id"], user=user)
    reply = call("POST", f"/compositions/{composition['id']}/share", user=user)
    assert reply.status == 201, reply.body
    return composition, reply.json


def test_a_share_link_reads_the_composition_without_signing_in(cloud):
    composition, link = shared(cloud)
    token = link["token"]
    assert len(token) >= 22 and TOKEN_BYTES >= 16
    assert link["url"] == f"http://api.example.com/shared/{token}"
    summary = call("GET", f"/shared/{token}", user=None)
    assert summary.status == 200, summary.body
    assert summary.json == {
        "name": composition["name"],
        "bars": composition["bars"],
        "tracks": composition["tracks"],
        "model": "Bach chorales",
        "modelType": "gan",
        "createdAt": composition["createdAt"],
    }
    midi = call("GET", f"/shared/{token}/midi", user=None)
    assert midi.status == 200 and midi.headers["content-type"] == "audio/midi"
    assert midi.body == call("GET", f"/compositions/{composition['id']}/midi").body
    assert len(read_midi(midi.body).score.tracks) == 4
    picture = call("GET", f"/shared/{token}/pianoroll.png", user=None)
    assert picture.status == 200 and picture.headers["content-type"] == "image/png"
    width, height = Image.open(io.BytesIO(picture.body)).size
    assert width > 100 and height > 50
    # Signed in as someone else is the same as not signed in.
    assert call("GET", f"/shared/{token}", user=BOB).json == summary.json
    # The owner sees the active token on the composition.
    assert call("GET", f"/compositions/{composition['id']}").json["shareToken"] == token


def test_sharing_again_answers_the_same_token_until_revoked_then_a_new_one(cloud):
    composition, link = shared(cloud)
    path = f"/compositions/{composition['id']}/share"
    assert call("POST", path).json == link
    reply = call("DELETE", path)
    assert reply.status == 204
    for suffix in ("", "/midi", "/pianoroll.png"):
        assert_error(call("GET", f"/shared/{link['token']}{suffix}", user=None), 404, "NOT_FOUND")
    assert call("GET", f"/compositions/{composition['id']}").json.get("shareToken") is None
    assert call("DELETE", path).status == 204  # not shared: stays so
    fresh = call("POST", path).json
    assert fresh["token"] != link["token"]
    assert call("GET", f"/shared/{fresh['token']}", user=None).status == 200
    assert_error(call("GET", f"/shared/{link['token']}", user=None), 404)


def test_deleting_the_composition_kills_its_link(cloud):
    composition, link = shared(cloud)
    assert call("DELETE", f"/compositions/{composition['id']}").status == 204
    assert_error(call("GET", f"/shared/{link['token']}", user=None), 404)
    assert_error(call("GET", f"/shared/{link['token']}/midi", user=None), 404)


def test_only_the_owner_shares_or_revokes_and_only_a_finished_composition(cloud):
    composition, link = shared(cloud)
    path = f"/compositions/{composition['id']}/share"
    assert_error(call("POST", path, user=BOB), 404, "NOT_FOUND")
    assert_error(call("DELETE", path, user=BOB), 404, "NOT_FOUND")
    assert call("GET", f"/shared/{link['token']}", user=None).status == 200
    assert_error(call("POST", path, user=None), 401, "UNAUTHORIZED")
    assert_error(call("DELETE", path, user=None), 401, "UNAUTHORIZED")
    assert_error(call("POST", "/compositions/cmp-missing/share"), 404)
    cloud.endpoint.answer = None
    pending = call("POST", "/compositions", body={"melodyId": SAMPLE, "modelId": BUILTIN_MODEL}).json
    reply = call("POST", f"/compositions/{pending['id']}/share")
    assert_error(reply, 409, "NOT_COMPLETED")
    assert "COMPLETED" in reply.json["error"]["message"]


def test_unknown_and_malformed_tokens_are_404_and_share_routes_are_read_only(cloud):
    _, link = shared(cloud)
    token = link["token"]
    for bad in ("x", token[:-1] + ("A" if token[-1] != "A" else "B"), "share-" + token, "link", token.upper()):
        assert_error(call("GET", f"/shared/{bad}", user=None), 404)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        reply = call(method, f"/shared/{token}", user=None, body={"name": "x"})
        assert reply.status in (401, 405), (method, reply.status)
    assert call("GET", f"/shared/{token}", user=None).status == 200


def test_nothing_else_of_the_owners_is_reachable_through_a_token(cloud):
    composition, link = shared(cloud)
    token = link["token"]
    other = composed(cloud)
    mine = call("GET", "/melodies").json["items"]
    secrets = {ALICE, composition["id"], composition["melodyId"], other["id"], BUILTIN_MODEL}
    secrets |= {m["id"] for m in mine if not m["builtin"]}
    answers = [call("GET", f"/shared/{token}{s}", user=None) for s in ("", "/midi")]
    text = answers[0].body.decode() + answers[1].body.decode("latin-1")
    for secret in secrets:
        assert secret not in text, secret
    assert "owner" not in answers[0].json and "id" not in answers[0].json
    # Paths that try to walk from the token to the owner's other things are not routes at all.
    for suffix in (
        "/melody",
        "/../melodies",
        f"/compositions/{other['id']}",
        "/audio/../../compositions",
        f"/../../compositions/{other['id']}",
        "/owner",
    ):
        path = f"/shared/{token}{suffix}"
        reply = call("GET", path, user=None)
        assert reply.status in (401, 404), (suffix, reply.status)
        told = reply.body.decode("latin-1").replace(path, "")  # a 404 may repeat the path it was asked
        assert all(s not in told for s in secrets), (suffix, reply.body)
    # The same token used as a composition id or a melody id reaches nothing either.
    for path in (f"/compositions/{token}", f"/melodies/{token}", f"/compositions/{token}/midi"):
        assert_error(call("GET", path, user=BOB), 404)
    assert json.loads(answers[0].body)["tracks"] == composition["tracks"]
