"""Audio routes through the media handler on moto: a composition's and a melody's audio as WAV and
MP3, rendered once and then served from the S3 cache, large files as a short-lived presigned
redirect issued only after the owner check, and every bad request a 4xx in the error shape."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from shared.logic import media
from shared.music.audio import RELEASE_TAIL_SECONDS
from shared.music.midi_codec import read_midi, write_midi
from shared.music.samples import SAMPLES
from shared.music.score import Note, Score, Track
from shared.resources import Keys
from tests.support.api import ALICE, BOB, call
from tests.support.audio import bar_rms, decode_wav, mp3_frames
from tests.unit.test_api_compositions import harmoniser, start

SAMPLE = SAMPLES[0]


@pytest.fixture
def composition(cloud) -> str:
    cloud.endpoint.answer = harmoniser
    created = start(seed=3)
    assert cloud.invocations.deliver_all()[0]["status"] == "COMPLETED"
    return created["id"]


def cached(cloud, owner: str, composition_id: str) -> list[dict]:
    folder = Keys.audio_folder(Keys.composition_midi(owner, composition_id))
    return boto3.client("s3").list_objects_v2(Bucket=cloud.bucket, Prefix=folder).get("Contents", [])


def test_composition_wav_lasts_the_midi_plus_the_tail_and_sounds_in_every_bar(cloud, composition):
    reply = call("GET", f"/compositions/{composition}/audio")
    assert reply.status == 200, reply.body[:300]
    assert reply.headers["content-type"] == "audio/wav"
    assert reply.headers["content-disposition"] == f'attachment; filename="{composition}.wav"'
    score = read_midi(call("GET", f"/compositions/{composition}/midi").body).score
    seconds_per_bar = score.ticks_per_bar / score.ticks_per_beat * score.tempo_us / 1e6
    music = score.end_tick / score.ticks_per_beat * score.tempo_us / 1e6
    decoded = decode_wav(reply.body)
    assert abs(decoded.seconds - (music + RELEASE_TAIL_SECONDS)) < 0.5
    sounding = {n.start // score.ticks_per_bar for t in score.tracks for n in t.notes}
    levels = bar_rms(decoded, seconds_per_bar, score.bars)
    assert all(levels[bar] > 0.01 for bar in sounding), levels


def test_the_second_request_is_served_from_the_cache_without_rendering(cloud, composition, monkeypatch):
    first = call("GET", f"/compositions/{composition}/audio", query={"format": "wav"})
    assert first.status == 200 and first.headers["x-cache"] == "Miss"
    [stored] = cached(cloud, ALICE, composition)
    assert stored["Key"].endswith(".wav")

    def no_render(*args, **kwargs):
        raise AssertionError("rendered again although the file is cached")

    monkeypatch.setattr(media, "render", no_render)
    second = call("GET", f"/compositions/{composition}/audio")
    assert second.status == 200 and second.headers["x-cache"] == "Hit"
    assert second.body == first.body
    assert (second.headers["etag"], second.headers["last-modified"]) == (
        first.headers["etag"],
        first.headers["last-modified"],
    )
    assert cached(cloud, ALICE, composition) == [stored], "the cached object was not written again"


def test_mp3_is_valid_frames_of_the_same_length_cached_beside_the_wav(cloud, composition):
    wav = call("GET", f"/compositions/{composition}/audio")
    mp3 = call("GET", f"/compositions/{composition}/audio", query={"format": "mp3"})
    assert mp3.status == 200 and mp3.headers["content-type"] == "audio/mpeg"
    _, seconds = mp3_frames(mp3.body)
    assert abs(seconds - decode_wav(wav.body).seconds) < 0.1
    assert sorted(o["Key"].rsplit(".", 1)[1] for o in cached(cloud, ALICE, composition)) == ["mp3", "wav"]


def test_a_changed_midi_is_rendered_afresh(cloud, composition):
    first = call("GET", f"/compositions/{composition}/audio")
    shorter = Score(tracks=[Track(notes=[Note(0, 60, 480, 90)])])
    boto3.client("s3").put_object(
        Bucket=cloud.bucket, Key=Keys.composition_midi(ALICE, composition), Body=write_midi(shorter)
    )
    second = call("GET", f"/compositions/{composition}/audio")
    assert second.headers["x-cache"] == "Miss" and second.headers["etag"] != first.headers["etag"]
    assert decode_wav(second.body).seconds < decode_wav(first.body).seconds


def test_another_users_composition_is_404_and_nothing_is_rendered(cloud, composition):
    reply = call("GET", f"/compositions/{composition}/audio", user=BOB)
    assert (reply.status, reply.error_code) == (404, "NOT_FOUND")
    missing = call("GET", "/compositions/cmp-does-not-exist/audio", user=BOB)
    assert (missing.status, missing.error_code) == (404, "NOT_FOUND")
    assert cached(cloud, ALICE, composition) == []


@pytest.mark.parametrize("value", ["flac", "WAVE", "", "mp3;rm -rf"])
def test_a_bad_format_is_a_422_naming_the_parameter(cloud, composition, value):
    reply = call("GET", f"/compositions/{composition}/audio", query={"format": value})
    assert reply.status == 422, reply.body
    assert reply.error_code == "VALIDATION_ERROR" and "format" in reply.json["error"]["message"]
    assert cached(cloud, ALICE, composition) == []


def test_no_audio_before_the_composition_is_completed(cloud):
    created = start()
    reply = call("GET", f"/compositions/{created['id']}/audio")
    assert (reply.status, reply.error_code) == (409, "NOT_COMPLETED")


def test_no_identity_is_a_401(cloud, composition):
    reply = call("GET", f"/compositions/{composition}/audio", user=None)
    assert (reply.status, reply.error_code) == (401, "UNAUTHORIZED")


def test_a_file_over_the_inline_limit_is_a_presigned_redirect_for_the_owner_only(cloud, composition, monkeypatch):
    monkeypatch.setattr(media, "INLINE_LIMIT_BYTES", 10_000)
    assert call("GET", f"/compositions/{composition}/audio", user=BOB).status == 404
    reply = call("GET", f"/compositions/{composition}/audio")
    assert reply.status == 302 and reply.body == b""
    location = urlsplit(reply.headers["location"])
    [stored] = cached(cloud, ALICE, composition)
    assert location.path.endswith(stored["Key"])
    query = parse_qs(location.query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert query["response-content-disposition"] == [f'attachment; filename="{composition}.wav"']
    # The URL does download the cached file.
    data = boto3.client("s3").get_object(Bucket=cloud.bucket, Key=stored["Key"])["Body"].read()
    assert decode_wav(data).seconds > 5


def test_built_in_and_own_melodies_have_audio_others_melodies_do_not(cloud):
    sample = call("GET", f"/melodies/{SAMPLE.id}/audio", user=BOB)
    assert sample.status == 200 and decode_wav(sample.body).seconds > 5
    assert call("GET", f"/melodies/{SAMPLE.id}/audio", user=ALICE).headers["x-cache"] == "Hit", "one cache for all"

    upload = write_midi(Score(tracks=[Track(notes=[Note(i * 480, 60 + i, 480, 90) for i in range(8)], name="Mine")]))
    mine = call("POST", "/melodies", body=upload, content_type="audio/midi")
    assert mine.status == 201, mine.body
    melody_id = mine.json["id"]
    reply = call("GET", f"/melodies/{melody_id}/audio", query={"format": "mp3"})
    assert reply.status == 200 and reply.headers["content-type"] == "audio/mpeg"
    frames, seconds = mp3_frames(reply.body)
    assert frames > 50 and abs(seconds - (4.0 + RELEASE_TAIL_SECONDS)) < 0.1
    theirs = call("GET", f"/melodies/{melody_id}/audio", user=BOB)
    assert (theirs.status, theirs.error_code) == (404, "NOT_FOUND")


def test_the_composition_is_louder_than_its_melody_alone_in_every_bar(cloud, composition):
    """The accompaniment adds sound: bar by bar, the four tracks outweigh the melody's own render."""
    score = read_midi(call("GET", f"/compositions/{composition}/midi").body).score
    seconds_per_bar = score.ticks_per_bar / score.ticks_per_beat * score.tempo_us / 1e6
    together = bar_rms(decode_wav(call("GET", f"/compositions/{composition}/audio").body), seconds_per_bar, score.bars)
    alone = bar_rms(decode_wav(call("GET", f"/melodies/{SAMPLE.id}/audio").body), seconds_per_bar, score.bars)
    accompanied = {n.start // score.ticks_per_bar for t in score.tracks[1:] for n in t.notes}
    assert accompanied
    assert all(together[bar] > 1.2 * alone[bar] for bar in accompanied), (together, alone)
