"""/melodies through the real handler on moto: the three upload forms, the samples, owner scoping,
pagination and every error path."""

from __future__ import annotations

import base64
import io

import mido
import pytest

from shared.music.midi_codec import read_midi, write_midi
from shared.music.samples import SAMPLES
from shared.music.score import Note, Score, Track
from tests.support.api import BOB, call


def midi_file(pitches: list[int], tempo_bpm: float = 100, tracks: int = 1) -> bytes:
    score = Score(
        tracks=[
            Track(notes=[Note(i * 480, p + 12 * t, 480, 90) for i, p in enumerate(pitches)]) for t in range(tracks)
        ],
        tempo_us=round(60_000_000 / tempo_bpm),
    )
    return write_midi(score)


SCALE = [60, 62, 64, 65, 67, 69, 71, 72]


def test_raw_midi_upload_is_stored_and_described(cloud):
    reply = call("POST", "/melodies", body=midi_file(SCALE), content_type="audio/midi", query={"name": "Scale"})
    assert reply.status == 201, reply.body
    melody = reply.json
    assert melody["name"] == "Scale" and melody["builtin"] is False
    assert melody["bars"] == 2 and melody["noteCount"] == 8
    assert melody["pitchRange"] == {"low": 60, "high": 72}
    assert melody["tempo"] == pytest.approx(100) and melody["timeSignature"] == "4/4"
    assert melody["durationSeconds"] == pytest.approx(8 * 0.6)
    assert "owner" not in melody

    got = call("GET", f"/melodies/{melody['id']}")
    assert got.status == 200 and got.json == melody
    midi = call("GET", f"/melodies/{melody['id']}/midi")
    assert midi.status == 200 and midi.headers["content-type"] == "audio/midi"
    assert [n.pitch for n in read_midi(midi.body).score.tracks[0].notes] == SCALE


def test_base64_json_upload(cloud):
    body = {"name": "Scale b64", "midi": base64.b64encode(midi_file(SCALE[:4])).decode()}
    reply = call("POST", "/melodies", body=body)
    assert reply.status == 201, reply.body
    assert reply.json["noteCount"] == 4 and reply.json["name"] == "Scale b64"


def test_note_json_upload_with_beats(cloud):
    notes = [{"pitch": 60, "start": 0, "duration": 1.5, "velocity": 80}, {"pitch": 67, "start": 2, "duration": 2}]
    reply = call("POST", "/melodies", body={"name": "Two notes", "tempo": 90, "timeSignature": "3/4", "notes": notes})
    assert reply.status == 201, reply.body
    melody = reply.json
    assert melody["bars"] == 2 and melody["timeSignature"] == "3/4" and melody["tempo"] == pytest.approx(90)
    score = read_midi(call("GET", f"/melodies/{melody['id']}/midi").body).score
    assert [(n.pitch, n.start, n.duration, n.velocity) for n in score.tracks[0].notes] == [
        (60, 0, 720, 80),
        (67, 960, 960, 100),
    ]


def test_samples_are_listed_first_and_readable_by_anyone(cloud):
    call("POST", "/melodies", body=midi_file(SCALE), content_type="audio/midi")
    listed = call("GET", "/melodies", user=BOB).json
    assert [m["id"] for m in listed["items"]] == [s.id for s in SAMPLES]
    assert all(m["builtin"] for m in listed["items"]) and listed.get("nextToken") is None
    sample = call("GET", f"/melodies/{SAMPLES[1].id}", user=BOB).json
    assert sample["name"] == SAMPLES[1].name and sample["builtin"] is True
    midi = call("GET", f"/melodies/{SAMPLES[1].id}/midi", user=BOB)
    assert [n.pitch for n in read_midi(midi.body).score.tracks[0].notes] == [p for p, _ in SAMPLES[1].phrase if p]


def test_pagination_walks_samples_then_own_items_without_repeats(cloud):
    own = [
        call("POST", "/melodies", body=midi_file(SCALE[: i + 1]), content_type="audio/midi").json["id"]
        for i in range(4)
    ]
    seen, token, pages = [], None, 0
    while True:
        query = {"limit": "3"} | ({"nextToken": token} if token else {})
        page = call("GET", "/melodies", query=query)
        assert page.status == 200, page.body
        assert len(page.json["items"]) <= 3
        seen += [m["id"] for m in page.json["items"]]
        pages += 1
        token = page.json.get("nextToken")
        if not token:
            break
    assert seen == [s.id for s in SAMPLES] + own
    assert pages >= 3


def test_bad_next_token_and_limit_are_4xx(cloud):
    assert call("GET", "/melodies", query={"nextToken": "not-a-token!"}).error_code == "INVALID_NEXT_TOKEN"
    forged = base64.urlsafe_b64encode(b'{"s":1,"k":{"owner":"user-bob-0002","id":"mel-x"}}').decode()
    reply = call("GET", "/melodies", query={"nextToken": forged})
    assert reply.status == 400 and reply.error_code == "INVALID_NEXT_TOKEN"
    reply = call("GET", "/melodies", query={"limit": "0"})
    assert reply.status == 422 and "limit" in reply.json["error"]["message"]


def test_other_users_melody_is_404_for_read_midi_and_delete(cloud):
    melody_id = call("POST", "/melodies", body=midi_file(SCALE), content_type="audio/midi").json["id"]
    for method, path in [
        ("GET", f"/melodies/{melody_id}"),
        ("GET", f"/melodies/{melody_id}/midi"),
        ("DELETE", f"/melodies/{melody_id}"),
    ]:
        reply = call(method, path, user=BOB)
        assert reply.status == 404 and reply.error_code == "NOT_FOUND", (method, path)
    assert melody_id not in [m["id"] for m in call("GET", "/melodies", user=BOB).json["items"]]
    assert call("GET", f"/melodies/{melody_id}").status == 200


def test_delete_own_melody_removes_record_and_file(cloud):
    melody_id = call("POST", "/melodies", body=midi_file(SCALE), content_type="audio/midi").json["id"]
    assert call("DELETE", f"/melodies/{melody_id}").status == 204
    assert call("GET", f"/melodies/{melody_id}").status == 404
    assert call("GET", f"/melodies/{melody_id}/midi").status == 404
    assert call("DELETE", f"/melodies/{melody_id}").status == 404
    assert call("DELETE", f"/melodies/{SAMPLES[0].id}").error_code == "BUILTIN"


def test_missing_identity_is_401(cloud):
    reply = call("GET", "/melodies", user=None)
    assert reply.status == 401 and reply.error_code == "UNAUTHORIZED"
    assert call("GET", "/health", user=None).status == 200


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"RIFF....WAVEfmt ", "audio/midi", 400, "INVALID_MIDI"),
        (b"", "audio/midi", 400, "INVALID_MIDI"),
        ("{not json", "application/json", 400, "INVALID_JSON"),
        ({"name": "x"}, None, 422, "MELODY_FORM"),
        ({"name": "x", "midi": "@@@notbase64@@@"}, None, 400, "INVALID_MIDI"),
        (
            {"name": "x", "tempo": 300, "notes": [{"pitch": 60, "start": 0, "duration": 1}]},
            None,
            422,
            "VALIDATION_ERROR",
        ),
        ({"name": "x", "notes": [{"pitch": 128, "start": 0, "duration": 1}]}, None, 422, "VALIDATION_ERROR"),
        ({"name": "x", "notes": [{"pitch": 60, "start": 40, "duration": 1}]}, None, 422, "TOO_MANY_BARS"),
        ({"name": "x", "notes": [{"pitch": 60, "start": 0, "duration": 1}], "extra": 1}, None, 422, "VALIDATION_ERROR"),
        ("hello", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_bad_uploads_are_clear_4xx(cloud, body, content_type, status, code):
    reply = call("POST", "/melodies", body=body, content_type=content_type)
    assert reply.status == status, reply.body
    assert reply.error_code == code
    assert reply.json["error"]["message"]
    assert [m for m in call("GET", "/melodies").json["items"] if not m["builtin"]] == []


def test_rule_violations_in_midi_files_name_the_rule(cloud):
    two_tracks = midi_file(SCALE[:3], tracks=2)
    reply = call("POST", "/melodies", body=two_tracks, content_type="audio/midi")
    assert (reply.status, reply.error_code) == (422, "TOO_MANY_TRACKS")
    assert "one track" in reply.json["error"]["message"]
    slow = midi_file(SCALE, tempo_bpm=20)
    assert call("POST", "/melodies", body=slow, content_type="audio/midi").error_code == "TEMPO_RANGE"


def test_oversize_bodies_are_413(cloud):
    huge = b"MThd" + bytes(70 * 1024)
    reply = call("POST", "/melodies", body=huge, content_type="audio/midi")
    assert (reply.status, reply.error_code) == (413, "PAYLOAD_TOO_LARGE")
    reply = call("POST", "/melodies", body={"name": "x", "midi": base64.b64encode(huge).decode()})
    assert reply.status == 413
    reply = call("POST", "/melodies", body={"name": "x", "midi": "A" * 300_000})
    assert reply.status == 413


def test_idempotency_key_creates_one_melody(cloud):
    body = {"name": "Once", "notes": [{"pitch": 60, "start": 0, "duration": 1}]}
    first = call("POST", "/melodies", body=body, headers={"Idempotency-Key": "k-123"})
    second = call("POST", "/melodies", body=body, headers={"Idempotency-Key": "k-123"})
    assert first.status == second.status == 201
    assert first.json["id"] == second.json["id"]
    own = [m for m in call("GET", "/melodies").json["items"] if not m["builtin"]]
    assert [m["id"] for m in own] == [first.json["id"]]
    other = call("POST", "/melodies", body=body, headers={"Idempotency-Key": "k-123"}, user=BOB)
    assert other.status == 201 and other.json["id"] != first.json["id"]
    changed = call("POST", "/melodies", body={**body, "name": "Twice"}, headers={"Idempotency-Key": "k-123"})
    assert (changed.status, changed.error_code) == (422, "IDEMPOTENCY_KEY_REUSED")


def test_unknown_route_is_404_json(cloud):
    reply = call("GET", "/nothing-here")
    assert (reply.status, reply.error_code) == (404, "ROUTE_NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/melodies", "GET, POST"),
        ("POST", "/melodies/mel-123", "DELETE, GET, PATCH"),
        ("POST", "/compositions/cmp-1/midi", "GET"),
        ("GET", "/training-jobs/tj-1/stop", "POST"),
        ("DELETE", "/health/", "GET"),
    ],
)
def test_a_known_path_with_the_wrong_method_is_405_with_allow(cloud, method, path, allowed):
    reply = call(method, path)
    assert (reply.status, reply.error_code) == (405, "METHOD_NOT_ALLOWED")
    assert reply.headers["allow"] == allowed and allowed in reply.json["error"]["message"]


def test_a_near_miss_path_is_still_404(cloud):
    for path in ("/melodies/a/b/c", "/healthz", "/compositionsx"):
        assert call("GET", path).status == 404, path


def test_type0_file_with_one_channel_is_accepted(cloud):
    midi = mido.MidiFile(type=0, ticks_per_beat=96)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=600_000)])
    for p in (60, 64, 67):
        track += [mido.Message("note_on", note=p, velocity=70, time=0), mido.Message("note_off", note=p, time=96)]
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    reply = call("POST", "/melodies", body=buffer.getvalue(), content_type="audio/midi; charset=binary")
    assert reply.status == 201 and reply.json["noteCount"] == 3


def test_raw_upload_without_name_takes_the_track_name(cloud):
    named = Score(tracks=[Track(notes=[Note(0, 60, 480, 90)], name="Recorded riff")])
    assert call("POST", "/melodies", body=write_midi(named), content_type="audio/midi").json["name"] == "Recorded riff"
    unnamed = Score(tracks=[Track(notes=[Note(0, 60, 480, 90)])])
    assert (
        call("POST", "/melodies", body=write_midi(unnamed), content_type="audio/midi").json["name"] == "Untitled melody"
    )
