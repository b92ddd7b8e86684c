"""What POST /training-jobs refuses before anything is written, and what it promises: data sets too
small or empty for a useful model (422 naming the minimum, or the tags that would do), the per-user
limit on unfinished jobs (429), and the time estimate on the record (POST and GET)."""

from __future__ import annotations

import pytest

from shared.contract import Env
from shared.logic import datasets, estimates
from shared.model_types import ModelType, spec_for
from shared.statuses import TrainingStatus
from shared.store import training_jobs as store
from tests.support.api import ALICE, BOB, call


def job(tags: list[str], model_type: str = "gan", **hyperparameters: object) -> dict:
    return {"modelName": "mine", "dataset": {"tags": tags}, "modelType": model_type, "hyperparameters": hyperparameters}


def refused(body: dict, user: str = ALICE) -> tuple[int, str, str]:
    reply = call("POST", "/training-jobs", user=user, body=body)
    assert set(reply.json) == {"error"}, reply.body
    return reply.status, reply.error_code, reply.json["error"]["message"]


def test_the_smallest_tags_are_refused_with_the_minimum_and_why(cloud, catalogue):
    # key:f#-minor: 8 pieces, none held out; the job used to be accepted and then always FAILED
    status, code, message = refused(job(["key:f#-minor"]))
    assert (status, code) == (422, "FILTER_TOO_SMALL")
    assert "8 training and 0 held-out pieces" in message
    assert f"at least {datasets.MIN_TRAINING_PIECES} training pieces" in message and "held-out" in message
    # it names alternatives that would be big enough, each with its counts
    assert "+key:" in message and "held out)" in message
    assert call("GET", "/training-jobs").json["items"] == []


def test_the_neighbours_a_refusal_names_are_accepted(cloud, catalogue):
    _, _, message = refused(job(["key:f#-minor"]))
    suggested = message.split("Add one of: ")[1].split(" (")[0].lstrip("+")
    reply = call("POST", "/training-jobs", body=job(["key:f#-minor", suggested]))
    assert reply.status == 202, reply.body


def test_an_empty_combination_lists_the_tags_that_would_match(cloud, catalogue):
    # Monteverdi's madrigals and the key of E major have no piece in common
    status, code, message = refused(job(["composer:monteverdi", "key:e-major"]))
    assert (status, code) == (422, "EMPTY_FILTER")
    assert "Use instead" in message and "key:" in message and "composer:bach" in message


def test_an_unknown_tag_of_a_known_kind_lists_that_kind(cloud, catalogue):
    status, code, message = refused(job(["key:h-major"]))
    assert (status, code) == (422, "UNKNOWN_TAG")
    assert "key:e-major" in message and "composer:bach" not in message


def test_a_misspelt_tag_gets_the_closest_spelling(cloud, catalogue):
    _, code, message = refused(job(["bach-chorale"]))
    assert code == "UNKNOWN_TAG" and "Did you mean" in message and "bach-chorales" in message


def test_the_rule_matches_the_model_filter():
    from model.data import DatasetError, match

    for tags in (["key:e-major"], ["key:e-major", "key:a-major"], ["bach", "mode:minor", "meter:3/4"], ["4/4"]):
        assert datasets.select(tags).pieces == len(match(tags)), tags
    with pytest.raises(DatasetError):
        match(["composer:monteverdi", "key:e-major"])


def test_transformer_jobs_filter_on_melody_collections(cloud, catalogue):
    status, code, message = refused(job(["key:e-major"], "transformer"))
    assert (status, code) == (422, "UNKNOWN_TAG") and "collection:essen" in message
    reply = call("POST", "/training-jobs", body=job(["collection:essen"], "transformer", epochs=2))
    assert reply.status == 202 and reply.json["estimate"]["trainingPieces"] > 1000


def test_ar_cnn_jobs_get_the_same_size_check(cloud, catalogue):
    assert refused(job(["key:f#-minor"], "ar-cnn"))[1] == "FILTER_TOO_SMALL"


def test_datasets_show_held_out_pieces_windows_styles_and_the_rule(cloud, catalogue):
    body = call("GET", "/datasets").json
    tags = {t["tag"]: t for t in body["items"]}
    e_major = tags["key:e-major"]
    # 12 chorales, 2 quartet movements and a Palestrina piece are in E major: the tag spans three styles.
    assert (e_major["pieces"], e_major["heldOutPieces"]) == (15, 2)
    assert e_major["styles"] == ["bach-chorales", "classical-quartet", "renaissance-polyphony"]
    assert tags["collection:bach-chorales"]["windows"] > 100 * e_major["windows"] / 10 > 0
    assert "OR" in body["rule"] and "AND" in body["rule"]
    assert body["minimumTrainingPieces"] == datasets.MIN_TRAINING_PIECES
    assert {c["tag"] for c in body["melodyCollections"]} >= {"collection:essen", "collection:bach-chorales"}
    assert "pieces" not in body  # the per-piece table stays inside the function


def test_a_third_unfinished_job_is_429_until_one_finishes(cloud, catalogue):
    first = call("POST", "/training-jobs", body=job(["key:e-major"])).json
    second = call("POST", "/training-jobs", body=job(["key:e-major"])).json
    status, code, message = refused(job(["key:e-major"]))
    assert (status, code) == (429, "TOO_MANY_TRAINING_JOBS")
    assert "at most 2" in message and first["id"] in message and second["id"] in message
    assert call("POST", "/training-jobs", user=BOB, body=job(["key:e-major"])).status == 202  # per user
    store.move(ALICE, first["id"], TrainingStatus.STARTING, {})
    store.move(ALICE, first["id"], TrainingStatus.FAILED, {"failureReason": "x"})
    assert call("POST", "/training-jobs", body=job(["key:e-major"])).status == 202


def test_the_limit_is_the_deployments_setting(cloud, catalogue, monkeypatch):
    monkeypatch.setenv(Env.MAX_CONCURRENT_TRAINING_JOBS, "1")
    assert call("POST", "/training-jobs", body=job(["key:e-major"])).status == 202
    assert refused(job(["key:e-major"]))[:2] == (429, "TOO_MANY_TRAINING_JOBS")


def test_the_estimate_is_on_the_record_and_grows_with_data_and_epochs(cloud, catalogue):
    small = call("POST", "/training-jobs", body=job(["key:e-major"], epochs=4)).json
    assert small["estimate"]["trainingPieces"] == 13 and small["estimate"]["heldOutPieces"] == 2
    assert call("GET", f"/training-jobs/{small['id']}").json["estimate"] == small["estimate"]
    big = call("POST", "/training-jobs", body=job(["key:e-major"], epochs=8)).json
    cost = estimates.COSTS[ModelType.GAN]
    assert big["estimate"]["seconds"] - cost.setup == pytest.approx(
        2 * (small["estimate"]["seconds"] - cost.setup), abs=2
    )
    wide = datasets.select(["collection:bach-chorales"])
    defaults = spec_for("gan").validate_hyperparameters({}).to_wire()
    assert estimates.estimate("gan", wide, defaults).seconds > 3 * big["estimate"]["seconds"]  # 8192-window cap
    capped = estimates.estimate("gan", wide, {**defaults, "maxWindows": 1000})
    assert capped.windows == 1000 and "1000 windows" in capped.basis


def test_ar_cnn_and_transformer_estimates_count_their_own_units_and_stop_at_max_minutes():
    bach = datasets.select(["collection:bach-chorales"], "ar-cnn")
    arcnn = spec_for("ar-cnn").validate_hyperparameters({"epochs": 2}).to_wire()
    short = estimates.estimate("ar-cnn", bach, arcnn)
    assert short.windows == arcnn["stepsPerEpoch"] * arcnn["batchSize"]  # an epoch is a fixed number of steps
    long = estimates.estimate("ar-cnn", bach, {**arcnn, "epochs": 500})
    assert long.seconds == round(estimates.COSTS[ModelType.AR_CNN].setup + 60 * arcnn["maxMinutes"]) > short.seconds
    essen = datasets.select(["collection:essen"], "transformer")
    transformer = spec_for("transformer").validate_hyperparameters({"epochs": 4}).to_wire()
    free = estimates.estimate("transformer", essen, transformer)
    assert free.windows == 0 and f"{essen.tunes} melodies" in free.basis
    capped = estimates.estimate("transformer", essen, {**transformer, "maxMinutes": 5})
    assert capped.seconds == round(estimates.COSTS[ModelType.TRANSFORMER].setup + 300) < free.seconds
