"""Arbitrary bodies, query strings and ids never make the API answer 500, and every 4xx has the
error shape. (moto is started once for the whole run; each example is a fresh request.)"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import call

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    [
        "name",
        "midi",
        "notes",
        "tempo",
        "timeSignature",
        "melodyId",
        "modelId",
        "seed",
        "modelName",
        "dataset",
        "hyperparameters",
        "tags",
        "epochs",
        "pitch",
        "start",
        "duration",
    ]
)
OBJECTS = st.dictionaries(FIELDS, JSON_VALUES, max_size=5)
ROUTES = st.sampled_from(["/melodies", "/compositions", "/training-jobs"])
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_clean(reply) -> None:
    assert reply.status < 500, reply.body
    if reply.status >= 400:
        assert set(reply.json) == {"error"} and set(reply.json["error"]) == {"code", "message"}


@SETTINGS
@given(route=ROUTES, body=OBJECTS | JSON_VALUES)
def test_random_json_bodies(cloud, route, body):
    assert_clean(call("POST", route, body=json.dumps(body), content_type="application/json"))


@SETTINGS
@given(
    route=ROUTES,
    body=st.binary(max_size=200),
    content_type=st.sampled_from(
        ["audio/midi", "application/json", "text/plain", "application/octet-stream", "multipart/form-data", ""]
    ),
)
def test_random_bytes(cloud, route, body, content_type):
    assert_clean(call("POST", route, body=body, content_type=content_type or None))


@SETTINGS
@given(
    path=st.sampled_from(["/melodies", "/models", "/compositions", "/training-jobs"]),
    query=st.dictionaries(st.sampled_from(["limit", "nextToken", "name"]), st.text(max_size=40), max_size=3),
    item=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and "?" not in s),
)
def test_random_lists_and_ids(cloud, path, query, item):
    assert_clean(call("GET", path, query=query))
    assert_clean(call("GET", f"{path}/{item}"))
