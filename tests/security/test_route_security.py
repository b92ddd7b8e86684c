"""Every route of the checked-in ``openapi.json``, driven through the API handler exactly as API
Gateway delivers a request: who may reach what, what needs a signed-in caller, how big a body may
be, and what never reaches the logs.

The tables below are checked against the OpenAPI document first, so a route added to the API
without a row here fails the suite instead of going untested.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest

from lambdas.api.requests import MAX_BODY_BYTES
from shared.logic.training_progress import SAMPLES_ATTRIBUTE
from shared.music.midi_codec import write_midi
from shared.music.score import Note, Score, Track
from shared.resources import MODELS, Keys, table_name
from shared.statuses import TrainingStatus
from shared.store import aws
from shared.store import training_jobs as jobs
from tests.faults.support import failing
from tests.support.api import ALICE, BOB, BUILTIN_MODEL, call
from tests.unit.test_api_compositions import harmoniser

OPENAPI = json.loads((Path(__file__).resolve().parents[2] / "openapi.json").read_text())
# The document leaves out the route that serves it; it is part of the API all the same.
OPERATIONS = sorted(
    {(method.upper(), path) for path, item in OPENAPI["paths"].items() for method in item} | {("GET", "/openapi.json")}
)
PUBLIC = {("GET", "/health"), ("GET", "/openapi.json")}
# Share links: no identity needed; the token, not the caller, decides (tests/unit/test_api_shares.py).
SHARE_ROUTES = {
    ("GET", "/shared/{token}"),
    ("GET", "/shared/{token}/midi"),
    ("GET", "/shared/{token}/pianoroll.png"),
    ("GET", "/shared/{token}/audio"),
}

# Each id route, and which of Alice's resources its path parameter names.
ID_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/melodies/{melody_id}"): "melody",
    ("GET", "/melodies/{melody_id}/midi"): "melody",
    ("DELETE", "/melodies/{melody_id}"): "melody",
    ("GET", "/models/{model_id}"): "model",
    ("DELETE", "/models/{model_id}"): "model",
    ("GET", "/compositions/{composition_id}"): "composition",
    ("GET", "/compositions/{composition_id}/midi"): "composition",
    ("GET", "/compositions/{composition_id}/pianoroll.png"): "composition",
    ("GET", "/compositions/{composition_id}/audio"): "composition",
    ("GET", "/melodies/{melody_id}/audio"): "melody",
    ("PATCH", "/compositions/{composition_id}"): "composition",
    ("DELETE", "/compositions/{composition_id}"): "composition",
    ("POST", "/compositions/{composition_id}/share"): "composition",
    ("DELETE", "/compositions/{composition_id}/share"): "composition",
    ("PATCH", "/melodies/{melody_id}"): "melody",
    ("PUT", "/melodies/{melody_id}/notes"): "melody",
    ("GET", "/training-jobs/{job_id}"): "job",
    ("POST", "/training-jobs/{job_id}/stop"): "job",
    ("GET", "/training-jobs/{job_id}/chart.png"): "job",
    ("GET", "/training-jobs/{job_id}/samples"): "job",
    ("GET", "/training-jobs/{job_id}/samples/{epoch}"): "job",
}
# The body an id route needs (its own valid one), so the answer is about the id, not the body.
ID_BODIES: dict[tuple[str, str], dict] = {
    ("PATCH", "/compositions/{composition_id}"): {"name": "Renamed"},
    ("PATCH", "/melodies/{melody_id}"): {"name": "Renamed"},
    ("PUT", "/melodies/{melody_id}/notes"): {"notes": [{"pitch": 64, "start": 0, "duration": 2}]},
}
# Each list route, and the kind of Alice's resource it would show.
LIST_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/melodies"): "melody",
    ("GET", "/models"): "model",
    ("GET", "/compositions"): "composition",
    ("GET", "/training-jobs"): "job",
}
# Routes whose body names another resource: Bob naming Alice's must not get through.
REFERENCE_ROUTES = {("POST", "/compositions")}
# Routes with a request body: the smallest valid body and its content type.
BODY_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/melodies"): "application/json",
    ("POST", "/compositions"): "application/json",
    ("POST", "/training-jobs"): "application/json",
}
VALID_BODIES: dict[tuple[str, str], dict] = {
    ("POST", "/melodies"): {"name": "x", "notes": [{"pitch": 60, "start": 0, "duration": 1}]},
    ("POST", "/compositions"): {"melodyId": "sample-ode-to-joy", "modelId": BUILTIN_MODEL},
    ("POST", "/training-jobs"): {
        "modelName": "x",
        "dataset": {"tags": ["collection:bach-chorales"]},
        "hyperparameters": {"epochs": 1},
    },
}
# Routes that are neither of the above and carry no user data: what a signed-in caller gets.
OTHER_ROUTES = {("GET", "/datasets"), ("GET", "/model-types")}

SECRET_TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQtZm9yLWxvZy10ZXN0.U0VDUkVULVNJR05BVFVSRQ"
MARKER_TRACK = "PRIVATE-MELODY-7f3a"
JOB = {
    "modelName": "Alice chorales",
    "dataset": {"tags": ["collection:bach-chorales"]},
    "hyperparameters": {"epochs": 2},
}


def concrete(path: str, ids: dict[str, str]) -> str:
    for placeholder, kind in (
        ("{melody_id}", "melody"),
        ("{model_id}", "model"),
        ("{composition_id}", "composition"),
        ("{job_id}", "job"),
        ("{token}", "token"),
    ):
        path = path.replace(placeholder, ids.get(kind, "none"))
    return path.replace("{epoch}", "1")


def resource_of(template: str) -> str:
    """The JSON resource a sub-route (a file, a picture, an action) belongs to."""
    for tail in ("/midi", "/pianoroll", "/audio", "/stop", "/chart.png", "/samples", "/share", "/notes"):
        template = template.split(tail)[0]
    return template


def assert_error(reply, status: int | tuple[int, ...]) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert reply.status in statuses, (reply.status, reply.body[:300])
    error = reply.json["error"]
    assert set(error) == {"code", "message"} and error["code"] and len(error["message"]) > 10


def marked_melody() -> bytes:
    """A valid melody whose track name is a marker we can look for in the logs."""
    lead = Track(
        notes=[Note(i * 480, p, 480, 90) for i, p in enumerate([60, 62, 64, 65, 67, 65, 64, 62])], name=MARKER_TRACK
    )
    return write_midi(Score(tracks=[lead]))


@pytest.fixture
def alice(cloud, catalogue) -> dict[str, str]:  # noqa: F811
    """Alice's melody, finished composition, training job and custom model: one of each kind."""
    cloud.endpoint.answer = harmoniser
    melody = call("POST", "/melodies", body=marked_melody(), content_type="audio/midi", query={"name": "Mine"})
    assert melody.status == 201, melody.body
    composition = call("POST", "/compositions", body={"melodyId": melody.json["id"], "modelId": BUILTIN_MODEL})
    assert composition.status == 202, composition.body
    assert cloud.invocations.deliver_all()[0]["status"] == "COMPLETED"
    job = call("POST", "/training-jobs", body=JOB)
    assert job.status == 202, job.body
    # the sample of its first epoch, as the progress function keeps it
    boto3.client("s3").put_object(Bucket=cloud.bucket, Key=Keys.training_sample(ALICE, job.json["id"], 1), Body=b"x")
    jobs.write_keeping(
        ALICE,
        job.json["id"],
        TrainingStatus.QUEUED,
        {SAMPLES_ATTRIBUTE: [{"epoch": 1, "createdAt": "2026-11-22T10:00:00Z"}]},
    )
    boto3.resource("dynamodb").Table(table_name(MODELS)).put_item(
        Item={
            "owner": ALICE,
            "id": "mdl-alice",
            "name": "Alice's chorales",
            "status": "READY",
            "builtin": False,
            "endpointName": "composer-mdl-alice",
            "artifactUri": "s3://b/training/tj/output/model.tar.gz",
            "trainingJobId": job.json["id"],
            "createdAt": "2026-11-22T10:00:00Z",
        }
    )
    shared = call("POST", f"/compositions/{composition.json['id']}/share")
    assert shared.status == 201, shared.body
    return {
        "melody": melody.json["id"],
        "composition": composition.json["id"],
        "job": job.json["id"],
        "model": "mdl-alice",
        "token": shared.json["token"],
    }


def test_the_tables_cover_every_route_of_the_openapi_document():
    covered = set(ID_ROUTES) | set(LIST_ROUTES) | set(BODY_ROUTES) | OTHER_ROUTES | PUBLIC | SHARE_ROUTES
    assert covered == set(OPERATIONS)
    secured = {(m.upper(), p) for p, item in OPENAPI["paths"].items() for m, op in item.items() if op.get("security")}
    assert secured == set(OPERATIONS) - PUBLIC - SHARE_ROUTES


@pytest.mark.parametrize("route", sorted(ID_ROUTES), ids=" ".join)
def test_another_users_id_is_404_and_changes_nothing(alice, route):
    method, template = route
    path = concrete(template, alice)
    before = call("GET", concrete(resource_of(template), alice))
    assert before.status == 200

    body = ID_BODIES.get(route)
    reply = call(method, path, user=BOB, body=body)
    assert_error(reply, 404)
    assert reply.error_code == "NOT_FOUND"
    # The same answer as for an id that does not exist: the id's existence does not leak.
    missing = call(method, concrete(template, {k: "x" + v[1:] for k, v in alice.items()}), user=BOB, body=body)
    assert (missing.status, missing.error_code) == (404, "NOT_FOUND")

    after = call("GET", concrete(resource_of(template), alice))
    assert after.status == 200 and after.json == before.json
    # And Alice herself does reach it, so the 404 was about the owner and not the id.
    mine = call(method, path, body=body)
    assert mine.status in (200, 201, 202, 204), (mine.status, mine.body[:200])


@pytest.mark.parametrize("route", sorted(LIST_ROUTES), ids=" ".join)
def test_lists_show_only_the_callers_own_items(alice, route):
    method, path = route
    kind = LIST_ROUTES[route]
    mine = call(method, path).json["items"]
    theirs = call(method, path, user=BOB).json["items"]
    assert alice[kind] in [i["id"] for i in mine]
    assert alice[kind] not in [i["id"] for i in theirs]
    assert all(i.get("builtin") or i.get("owner") in (None, BOB) for i in theirs)
    assert not any(i.get("owner") == ALICE for i in theirs)


def test_bob_cannot_compose_with_alices_melody_or_model(alice):
    for body in (
        {"melodyId": alice["melody"], "modelId": BUILTIN_MODEL},
        {"melodyId": "sample-ode-to-joy", "modelId": alice["model"]},
    ):
        reply = call("POST", "/compositions", user=BOB, body=body)
        assert_error(reply, 404)
    assert call("GET", "/compositions", user=BOB).json["items"] == []


def test_bob_cannot_read_alices_items_through_a_page_token(alice):
    for method, path in LIST_ROUTES:
        page = call(method, path, query={"limit": "1"}).json
        if not page.get("nextToken"):
            continue
        reply = call(method, path, user=BOB, query={"limit": "100", "nextToken": page["nextToken"]})
        if reply.status == 200:
            assert not any(i.get("owner") == ALICE for i in reply.json["items"])
            assert all(i["id"] not in alice.values() for i in reply.json["items"])
        else:
            assert_error(reply, 400)


@pytest.mark.parametrize("route", OPERATIONS, ids=" ".join)
def test_no_identity_is_401_everywhere_but_health_and_openapi(cloud, route):  # noqa: F811
    method, template = route
    path = concrete(
        template, {"melody": "sample-ode-to-joy", "model": BUILTIN_MODEL, "composition": "cmp-0", "job": "tj-0"}
    )
    if route in PUBLIC:
        assert call(method, path, user=None).status == 200
        return
    if route in SHARE_ROUTES:  # no identity needed; a token that was never issued is just not there
        assert_error(call(method, path.replace("none", "never-issued-token"), user=None), 404)
        return
    # A valid body, a body the route would refuse, and one too large: identity is checked first,
    # so a caller without one learns nothing about the route's rules or the resource.
    bodies = [VALID_BODIES.get(route), {"unexpected": ["x"] * 3}, "{not json", "A" * (MAX_BODY_BYTES + 1)]
    for body in bodies:
        content_type = "application/json" if body is not None else None
        reply = call(method, path, user=None, body=body, content_type=content_type)
        assert_error(reply, 401)
        assert reply.error_code == "UNAUTHORIZED"
    # Nothing was created or deleted on anyone's behalf.
    assert call("GET", "/melodies/sample-ode-to-joy").status == 200
    assert call("GET", f"/models/{BUILTIN_MODEL}").status == 200
    assert all(call("GET", p).json["items"] == [] for p in ("/compositions", "/training-jobs"))
    assert not [m for m in call("GET", "/melodies").json["items"] if not m["builtin"]]
    assert cloud.invocations.queued == []


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"sub": ""},
        {"sub": None},
        {"sub": 42},
        {"sub": "builtin"},
        {"cognito:username": ALICE},
    ],
    ids=["empty", "blank-sub", "null-sub", "number-sub", "builtin-owner", "username-only"],
)
def test_claims_without_a_usable_sub_are_401(alice, claims):
    """Only the token's ``sub`` names the caller: not a username, and never the built-in owner
    (which would let anyone delete the shipped samples and models)."""
    from lambdas.api.handler import lambda_handler
    from local.lambda_context import LocalLambdaContext
    from tests.support.api import event

    for method, path in (
        ("GET", "/melodies"),
        ("DELETE", "/melodies/sample-ode-to-joy"),
        ("DELETE", f"/models/{BUILTIN_MODEL}"),
        ("GET", f"/melodies/{alice['melody']}"),
    ):
        request = event(method, path, user=None)
        request["requestContext"]["authorizer"] = {"claims": claims}
        reply = lambda_handler(request, LocalLambdaContext("composer-api"))
        assert reply["statusCode"] == 401, (claims, path, reply["body"])
        assert set(json.loads(reply["body"])["error"]) == {"code", "message"}
    assert call("GET", "/melodies/sample-ode-to-joy").status == 200


@pytest.mark.parametrize("route", sorted(BODY_ROUTES), ids=" ".join)
@pytest.mark.parametrize("encoding", ["text", "base64"])
def test_bodies_over_the_limit_are_413_before_anything_is_written(cloud, route, encoding):  # noqa: F811
    method, path = route
    before = {p: call("GET", p).json["items"] for _, p in LIST_ROUTES}
    oversize = json.dumps({"name": "x", "pad": "A" * (MAX_BODY_BYTES + 1)})
    body = oversize.encode() if encoding == "base64" else oversize
    reply = call(method, path, body=body, content_type=BODY_ROUTES[route])
    assert_error(reply, 413)
    assert reply.error_code == "PAYLOAD_TOO_LARGE"
    assert {p: call("GET", p).json["items"] for _, p in LIST_ROUTES} == before
    assert cloud.invocations.queued == []


def test_a_body_just_under_the_limit_is_not_refused_for_its_size(cloud):  # noqa: F811
    body = json.dumps({"melodyId": "sample-ode-to-joy", "modelId": BUILTIN_MODEL, "pad": "A" * (MAX_BODY_BYTES - 200)})
    reply = call("POST", "/compositions", body=body, content_type="application/json")
    assert reply.status != 413 and reply.status < 500


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Everything the functions log at DEBUG: the Powertools loggers (their own stream handler) and
    the standard loggers of the shared layers."""
    from lambdas.api.observability import logger as api_logger
    from lambdas.compose_worker.handler import logger as worker_logger

    sink = io.StringIO()
    saved = []
    for powertools in (api_logger, worker_logger):
        handler = powertools.registered_handler
        saved.append((powertools, handler, handler.setStream(sink), powertools.log_level))
        powertools.setLevel("DEBUG")
    for name in ("shared", "lambdas", "local"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield sink
    for powertools, handler, stream, level in saved:
        handler.setStream(stream)
        powertools.setLevel(level)
    sink.write("\n".join(caplog.messages))
    sink.write("\n".join(r.getMessage() + str(r.__dict__) for r in caplog.records))


def test_logs_never_hold_the_token_or_the_midi(cloud, captured_logs):  # noqa: F811
    midi = marked_melody()
    headers = {"Authorization": SECRET_TOKEN}
    cloud.endpoint.answer = harmoniser
    uploaded = call("POST", "/melodies", body=midi, content_type="audio/midi", headers=headers)
    as_json = call("POST", "/melodies", body={"name": "b64", "midi": base64.b64encode(midi).decode()}, headers=headers)
    assert uploaded.status == as_json.status == 201
    composed = call(
        "POST", "/compositions", body={"melodyId": uploaded.json["id"], "modelId": BUILTIN_MODEL}, headers=headers
    )
    assert cloud.invocations.deliver_all()[0]["status"] == "COMPLETED"
    assert call("GET", f"/compositions/{composed.json['id']}/midi", headers=headers).status == 200
    # Failures log too: a broken upload, an endpoint error, an unhandled exception in the resolver.
    assert call("POST", "/melodies", body=midi[:40], content_type="audio/midi", headers=headers).status == 400
    cloud.endpoint.error = (424, "ModelError", "Received server error (500) from primary")
    call("POST", "/compositions", body={"melodyId": uploaded.json["id"], "modelId": BUILTIN_MODEL}, headers=headers)
    assert cloud.invocations.deliver_all()[0]["status"] == "FAILED"
    with failing(aws.resource("dynamodb").meta.client, "GetItem", "ProvisionedThroughputExceededException"):
        assert call("GET", f"/melodies/{uploaded.json['id']}", headers=headers).status == 503
    with failing(aws.resource("dynamodb").meta.client, "GetItem", "InternalServerError", status=500):
        assert call("GET", f"/melodies/{uploaded.json['id']}", headers=headers).status == 500

    captured_logs.seek(0)
    text = captured_logs.getvalue()
    from lambdas.api.observability import logger as api_logger

    api_logger.info("log capture works")
    assert "log capture works" in captured_logs.getvalue()
    assert "unhandled error" in text and "throttled by AWS" in text and "composition failed" in text
    for secret in (
        SECRET_TOKEN,
        SECRET_TOKEN.split(".")[1],
        MARKER_TRACK,
        base64.b64encode(midi).decode()[:40],
        base64.b64encode(midi[:40]).decode()[:40],
    ):
        assert secret not in text, f"{secret[:20]}... leaked into the logs"


SIGNATURE_MARKERS = ("X-Amz-Signature", "X-Amz-Credential", "AWSAccessKeyId", "x-amz-security-token")
# The one exception: audio too large for a Lambda response is a 302 to a presigned URL of that file.
REDIRECTING_ROUTES = {("GET", "/compositions/{composition_id}/audio"), ("GET", "/melodies/{melody_id}/audio")}


def test_no_answer_hands_out_a_signed_url_or_a_credential(alice):
    """Files are served through the API after the owner check, not as presigned S3 URLs that would
    outlive it; so no answer (body or header) may carry a signature or an access key."""
    for route in OPERATIONS:
        method, template = route
        if method != "GET":
            continue
        reply = call(method, concrete(template, alice))
        assert reply.status < 300, (route, reply.status)
        text = reply.body.decode("latin-1") + json.dumps(reply.headers)
        for marker in SIGNATURE_MARKERS:
            assert marker not in text, (route, marker)


@pytest.mark.parametrize("route", sorted(REDIRECTING_ROUTES), ids=" ".join)
def test_large_audio_is_a_short_lived_presigned_redirect_only_after_the_owner_check(alice, monkeypatch, route):
    """Exactly this redirect is allowed: a 302 whose Location signs a GET of that resource's rendered
    file under audio/, valid at most 5 minutes; another user gets the same 404 as before."""
    from shared.logic import media

    monkeypatch.setattr(media, "INLINE_LIMIT_BYTES", 1000)
    method, template = route
    path = concrete(template, alice)
    theirs = call(method, path, user=BOB)
    assert_error(theirs, 404)
    assert not any(m in theirs.body.decode() + json.dumps(theirs.headers) for m in SIGNATURE_MARKERS)

    reply = call(method, path)
    assert reply.status == 302 and reply.body == b""
    location = urlsplit(reply.headers["location"])
    query = parse_qs(location.query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    kind = ID_ROUTES[route]
    midi_key = (
        Keys.composition_midi(ALICE, alice[kind]) if kind == "composition" else Keys.melody_midi(ALICE, alice[kind])
    )
    assert Keys.audio_folder(midi_key) in unquote(location.path)  # the bucket is in the host or the path
    others = {k: v for k, v in reply.headers.items() if k != "location"}
    assert not any(m in json.dumps(others) for m in SIGNATURE_MARKERS)


@pytest.mark.parametrize("route", sorted(BODY_ROUTES), ids=" ".join)
@pytest.mark.parametrize(
    "body",
    ["[" * 100_000, "[" * 60_000 + "]" * 60_000, '{"a":' * 40_000 + "1" + "}" * 40_000],
    ids=["unclosed", "deep-array", "deep-object"],
)
def test_deeply_nested_json_is_a_400_not_a_crash(cloud, route, body):  # noqa: F811
    reply = call(*route, body=body, content_type="application/json")
    assert_error(reply, 400)
    assert reply.error_code == "INVALID_JSON"
    assert not [m for m in call("GET", "/melodies").json["items"] if not m["builtin"]]
    assert cloud.invocations.queued == []
