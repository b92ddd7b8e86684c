"""Managing one's work through the real handlers on moto: rename, delete, edit a melody's notes
(a new version; compositions keep theirs), and a composition's track as a new (longer) melody.
Share links are in test_api_shares.py."""

from __future__ import annotations

import boto3
import pytest

from shared.errors import MelodyRuleViolation
from shared.music.midi_codec import read_midi
from shared.music.samples import SAMPLES
from shared.resources import Keys
from tests.support.api import ALICE, BOB, BUILTIN_MODEL, call
from tests.unit.test_api_compositions import harmoniser

SAMPLE = SAMPLES[0].id


def notes(count: int, beats: float = 1.0, pitch: int = 60) -> list[dict]:
    return [{"pitch": pitch + (i % 5), "start": i * beats, "duration": beats, "velocity": 90} for i in range(count)]


def melody(user: str = ALICE, **body) -> dict:
    reply = call("POST", "/melodies", user=user, body={"name": "Tune", "notes": notes(8), **body})
    assert reply.status == 201, reply.body
    return reply.json


def composed(cloud, melody_id: str = SAMPLE, user: str = ALICE) -> dict:
    cloud.endpoint.answer = harmoniser
    reply = call("POST", "/compositions", user=user, body={"melodyId": melody_id, "modelId": BUILTIN_MODEL})
    assert reply.status == 202, reply.body
    [result] = cloud.invocations.deliver_all()
    assert result["status"] == "COMPLETED", result
    return call("GET", f"/compositions/{reply.json['id']}", user=user).json


def assert_error(reply, status: int, code: str | None = None) -> None:
    assert reply.status == status, (reply.status, reply.body[:300])
    error = reply.json["error"]
    assert set(error) == {"code", "message"} and len(error["message"]) > 10
    if code:
        assert error["code"] == code, error


def keys(cloud, prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=cloud.bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


# --- rename ------------------------------------------------------------------------------------


def test_a_composition_has_a_default_name_and_can_be_renamed(cloud):
    composition = composed(cloud)
    assert composition["name"] == f"{SAMPLES[0].name} (Bach chorales)"
    reply = call("PATCH", f"/compositions/{composition['id']}", body={"name": "  Evening chorale  "})
    assert reply.status == 200, reply.body
    assert reply.json["name"] == "Evening chorale"
    assert call("GET", f"/compositions/{composition['id']}").json["name"] == "Evening chorale"
    assert call("GET", "/compositions").json["items"][0]["name"] == "Evening chorale"


def test_rename_refuses_bad_names_and_others_ids(cloud):
    composition = composed(cloud)
    mine = melody()
    for path in (f"/compositions/{composition['id']}", f"/melodies/{mine['id']}"):
        for body in ({"name": ""}, {"name": "   "}, {"name": "x" * 101}, {}, {"name": "ok", "extra": 1}):
            assert_error(call("PATCH", path, body=body), 422)
        assert_error(call("PATCH", path, user=BOB, body={"name": "Mine now"}), 404, "NOT_FOUND")
    assert call("GET", f"/compositions/{composition['id']}").json["name"] == composition["name"]
    assert call("GET", f"/melodies/{mine['id']}").json["name"] == "Tune"
    assert_error(call("PATCH", "/compositions/cmp-missing", body={"name": "x"}), 404)


def test_a_melody_can_be_renamed_but_a_builtin_sample_cannot(cloud):
    mine = melody()
    reply = call("PATCH", f"/melodies/{mine['id']}", body={"name": "Better tune"})
    assert reply.status == 200 and reply.json["name"] == "Better tune"
    assert call("GET", f"/melodies/{mine['id']}").json["name"] == "Better tune"
    reply = call("PATCH", f"/melodies/{SAMPLE}", body={"name": "Mine"})
    assert_error(reply, 409, "BUILTIN")
    assert "cannot be renamed" in reply.json["error"]["message"]
    assert call("GET", f"/melodies/{SAMPLE}").json["name"] == SAMPLES[0].name


# --- delete ------------------------------------------------------------------------------------


def test_delete_removes_the_record_and_every_file_and_a_second_delete_is_404(cloud):
    composition = composed(cloud)
    other = composed(cloud)
    cid = composition["id"]
    # A cached rendering beside the MIDI goes too; another composition's files stay.
    boto3.client("s3").put_object(Bucket=cloud.bucket, Key=f"{Keys.composition_prefix(ALICE, cid)}.wav", Body=b"x")
    assert len(keys(cloud, Keys.composition_prefix(ALICE, cid))) == 2
    assert_error(call("DELETE", f"/compositions/{cid}", user=BOB), 404, "NOT_FOUND")
    assert call("GET", f"/compositions/{cid}").status == 200

    reply = call("DELETE", f"/compositions/{cid}")
    assert reply.status == 204 and reply.body == b""
    assert_error(call("GET", f"/compositions/{cid}"), 404)
    assert_error(call("GET", f"/compositions/{cid}/midi"), 404)
    assert keys(cloud, Keys.composition_prefix(ALICE, cid)) == []
    assert [c["id"] for c in call("GET", "/compositions").json["items"]] == [other["id"]]
    assert call("GET", f"/compositions/{other['id']}/midi").status == 200
    # Idempotent in effect: deleting again changes nothing and says it is not there.
    assert_error(call("DELETE", f"/compositions/{cid}"), 404, "NOT_FOUND")


def test_a_composition_deleted_while_composing_stays_deleted(cloud):
    cloud.endpoint.answer = harmoniser
    started = call("POST", "/compositions", body={"melodyId": SAMPLE, "modelId": BUILTIN_MODEL}).json
    assert call("DELETE", f"/compositions/{started['id']}").status == 204
    [result] = cloud.invocations.deliver_all()
    assert not result or result.get("status") != "COMPLETED", result
    assert_error(call("GET", f"/compositions/{started['id']}"), 404)
    assert keys(cloud, "compositions/") == []


# --- edit notes --------------------------------------------------------------------------------


def test_editing_notes_makes_a_new_version_and_compositions_keep_theirs(cloud):
    mine = melody()
    assert mine["version"] == 1 and mine["maxBars"] == 8
    before = composed(cloud, mine["id"])
    # One started before the edit but composed after it still gets the notes it was started with.
    cloud.endpoint.answer = harmoniser
    pending = call("POST", "/compositions", body={"melodyId": mine["id"], "modelId": BUILTIN_MODEL}).json

    new_notes = notes(12, beats=0.5, pitch=67)
    reply = call("PUT", f"/melodies/{mine['id']}/notes", body={"notes": new_notes})
    assert reply.status == 200, reply.body
    edited = reply.json
    assert edited["version"] == 2 and edited["noteCount"] == 12 and edited["name"] == "Tune"
    assert edited["tempo"] == mine["tempo"] and edited["timeSignature"] == "4/4"
    assert edited["pitchRange"] == {"low": 67, "high": 71}
    [result] = cloud.invocations.deliver_all()
    assert result["status"] == "COMPLETED"

    def melody_pitches(composition_id: str) -> list[int]:
        data = call("GET", f"/compositions/{composition_id}/midi").body
        return [n.pitch for n in read_midi(data).score.tracks[0].notes]

    old = [n["pitch"] for n in notes(8)]
    assert melody_pitches(before["id"]) == old
    assert melody_pitches(pending["id"]) == old
    assert call("GET", f"/compositions/{pending['id']}").json["melodyVersion"] == 1
    served = read_midi(call("GET", f"/melodies/{mine['id']}/midi").body).score.tracks[0].notes
    assert [n.pitch for n in served] == [n["pitch"] for n in new_notes]
    after = composed(cloud, mine["id"])
    assert after["melodyVersion"] == 2 and melody_pitches(after["id"]) == [n["pitch"] for n in new_notes]
    # Both versions' files exist until the melody is deleted; then none does.
    assert len(keys(cloud, f"melodies/{ALICE}/{mine['id']}")) == 2
    assert call("DELETE", f"/melodies/{mine['id']}").status == 204
    assert keys(cloud, f"melodies/{ALICE}/{mine['id']}") == []


def test_editing_notes_applies_the_melody_rules_and_changes_nothing_on_refusal(cloud):
    mine = melody()
    path = f"/melodies/{mine['id']}/notes"
    reply = call("PUT", path, body={"notes": notes(40, beats=1.0)})  # 10 bars
    assert_error(reply, 422, "TOO_MANY_BARS")
    assert "8 bars" in reply.json["error"]["message"]
    assert_error(call("PUT", path, body={"notes": [{"pitch": 130, "start": 0, "duration": 1}]}), 422)
    assert_error(call("PUT", path, body={"notes": []}), 422)
    assert_error(call("PUT", path, body={"notes": notes(4), "tempo": 300}), 422)
    assert_error(call("PUT", path, body={"name": "x"}), 422)
    assert call("GET", f"/melodies/{mine['id']}").json == mine
    assert_error(call("PUT", path, user=BOB, body={"notes": notes(4)}), 404, "NOT_FOUND")
    assert_error(call("PUT", f"/melodies/{SAMPLE}/notes", body={"notes": notes(4)}), 409, "BUILTIN")
    changed = call("PUT", path, body={"notes": notes(6), "tempo": 90, "timeSignature": "3/4"}).json
    assert changed["tempo"] == 90 and changed["timeSignature"] == "3/4" and changed["bars"] == 2


# --- from a composition ------------------------------------------------------------------------


def test_a_track_of_a_finished_composition_becomes_a_melody(cloud):
    composition = composed(cloud)
    tracks = {t["index"]: t for t in composition["tracks"]}
    reply = call("POST", "/melodies", body={"fromComposition": composition["id"], "track": 3})
    assert reply.status == 201, reply.body
    bass = reply.json
    assert bass["name"] == f"{composition['name']} - {tracks[3]['name']}"
    assert bass["noteCount"] == tracks[3]["noteCount"] and bass["maxBars"] == 48
    assert bass["source"] == {"compositionId": composition["id"], "track": 3}
    data = call("GET", f"/compositions/{composition['id']}/midi").body
    want = [(n.start, n.pitch, n.duration) for n in read_midi(data).score.tracks[3].notes]
    got = read_midi(call("GET", f"/melodies/{bass['id']}/midi").body).score
    assert len(got.tracks) == 1 and [(n.start, n.pitch, n.duration) for n in got.tracks[0].notes] == want
    named = call("POST", "/melodies", body={"fromComposition": composition["id"], "track": 0, "name": "Lead"})
    assert named.status == 201 and named.json["name"] == "Lead"
    # And it composes like any melody.
    again = composed(cloud, bass["id"])
    assert again["melodyId"] == bass["id"]


def test_from_composition_refuses_missing_unfinished_others_and_bad_tracks(cloud):
    composition = composed(cloud)
    cloud.endpoint.answer = harmoniser
    pending = call("POST", "/compositions", body={"melodyId": SAMPLE, "modelId": BUILTIN_MODEL}).json
    cases = [
        ({"fromComposition": "cmp-missing", "track": 0}, ALICE, 404, "NOT_FOUND"),
        ({"fromComposition": composition["id"], "track": 0}, BOB, 404, "NOT_FOUND"),
        ({"fromComposition": pending["id"], "track": 0}, ALICE, 409, "NOT_COMPLETED"),
        ({"fromComposition": composition["id"], "track": 4}, ALICE, 422, "NO_SUCH_TRACK"),
        ({"fromComposition": composition["id"], "track": -1}, ALICE, 422, None),
        ({"fromComposition": composition["id"], "track": "bass"}, ALICE, 422, None),
        ({"fromComposition": composition["id"]}, ALICE, 422, None),
        ({"fromComposition": composition["id"], "track": 0, "notes": notes(2)}, ALICE, 422, "MELODY_FORM"),
    ]
    for body, user, status, code in cases:
        assert_error(call("POST", "/melodies", user=user, body=body), status, code)
    message = call("POST", "/melodies", body={"fromComposition": composition["id"], "track": 9}).json["error"]
    assert "0 (Melody)" in message["message"] and "3 (Bass)" in message["message"]
    assert not [m for m in call("GET", "/melodies").json["items"] if not m["builtin"]]


@pytest.mark.parametrize("bars, accepted", [(24, True), (48, True), (49, False)])
def test_a_melody_from_a_composition_may_be_up_to_48_bars_and_keeps_that_limit_when_edited(cloud, bars, accepted):
    from shared.logic import melodies as melody_logic
    from shared.music.score import Note, Score, Track
    from shared.schemas import MelodySource

    long = Score([Track(notes=[Note(i * 1920, 60 + i % 7, 1920, 90) for i in range(bars)])])
    if not accepted:
        with pytest.raises(MelodyRuleViolation, match="limit is 48 bars"):
            melody_logic.create_from_score(ALICE, "Long", long, MelodySource(composition_id="cmp-x", track=0))
        return
    made = melody_logic.create_from_score(ALICE, "Long", long, MelodySource(composition_id="cmp-x", track=0))
    assert made.bars == bars and made.max_bars == 48
    path = f"/melodies/{made.id}/notes"
    assert call("PUT", path, body={"notes": notes(bars * 4)}).json["bars"] == bars
    assert_error(call("PUT", path, body={"notes": notes(49 * 4)}), 422, "TOO_MANY_BARS")
    # A plain upload stays at 8.
    assert_error(call("POST", "/melodies", body={"name": "x", "notes": notes(9 * 4)}), 422, "TOO_MANY_BARS")


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_deeply_nested_bodies_on_the_id_routes_are_a_400_not_a_crash(cloud, content_type):
    mine = melody()
    composition = composed(cloud)
    deep = "[" * 50_000 + "]" * 50_000
    for method, path in (
        ("PATCH", f"/melodies/{mine['id']}"),
        ("PUT", f"/melodies/{mine['id']}/notes"),
        ("PATCH", f"/compositions/{composition['id']}"),
    ):
        reply = call(method, path, body=deep, content_type=content_type)
        assert_error(reply, 400, "INVALID_JSON")
    assert call("GET", f"/melodies/{mine['id']}").json == mine
