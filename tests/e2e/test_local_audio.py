"""Listening over HTTP with the local runtime (``make dev``), as the studio and the CLI do: a GAN
composition's WAV lasts its MIDI plus the release tail, sounds in every bar with notes and is louder
than its melody alone wherever the accompaniment plays; the MP3 is valid frames of the same length;
the second request comes from the S3 cache (the cached object is untouched); a render too large for
a Lambda response is a presigned redirect that downloads; others' ids are 404, a bad format 422;
`composer play` and `compose --audio` write the files."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import httpx
import pretty_midi
import pytest

from local.lambda_context import LOCAL_CREDENTIALS, LOCAL_REGION
from local.launcher import REPO_ROOT, RunningRuntime
from shared.music.audio import RELEASE_TAIL_SECONDS
from tests.e2e.test_local_backend import ALICE, BOB, SHIPPED_MODEL, get_json, poll
from tests.support.audio import bar_rms, decode_wav, mp3_frames

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

MELODY = "sample-ode-to-joy"
SOUND_FLOOR = 0.01


def composed(client: httpx.Client) -> str:
    r = client.post("/compositions", json={"melodyId": MELODY, "modelId": SHIPPED_MODEL, "seed": 11}, headers=ALICE)
    assert r.status_code == 202, r.text
    final = poll(
        lambda: get_json(client, f"/compositions/{r.json()['id']}"),
        lambda c: c["status"] in ("COMPLETED", "FAILED"),
        timeout=600,
    )
    assert final["status"] == "COMPLETED", final
    return str(final["id"])


def s3_through(location: str) -> tuple[object, str]:
    """An S3 client on the local AWS endpoint a presigned URL points at, and the URL's bucket."""
    parts = urlsplit(location)
    client = boto3.client(
        "s3", endpoint_url=f"{parts.scheme}://{parts.netloc}", region_name=LOCAL_REGION, **_credentials()
    )
    return client, parts.path.lstrip("/").split("/", 1)[0]


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def test_audio_over_http(runtime: RunningRuntime, tmp_path: Path) -> None:
    with httpx.Client(base_url=runtime.url, timeout=120) as client:
        composition = composed(client)
        midi = client.get(f"/compositions/{composition}/midi", headers=ALICE).content
        song = pretty_midi.PrettyMIDI(io.BytesIO(midi))
        seconds_per_bar = 4 * 60 / song.get_tempo_changes()[1][0]
        bars = int(-(-song.get_end_time() // seconds_per_bar))

        # --- WAV: duration, sound in every bar with notes, louder than the melody alone ---
        first = client.get(f"/compositions/{composition}/audio", headers={**ALICE, "Accept": "audio/wav"})
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "audio/wav" and first.headers["x-cache"] == "Miss"
        wav = decode_wav(first.content)
        assert (wav.sample_rate, wav.channels) == (44_100, 2)
        assert abs(wav.seconds - (song.get_end_time() + RELEASE_TAIL_SECONDS)) < 0.5
        levels = bar_rms(wav, seconds_per_bar, bars)
        sounding = {int(n.start // seconds_per_bar) for i in song.instruments for n in i.notes}
        assert all(levels[b] > SOUND_FLOOR for b in sounding), levels
        alone = bar_rms(
            decode_wav(client.get(f"/melodies/{MELODY}/audio", headers=ALICE).content), seconds_per_bar, bars
        )
        accompanied = {int(n.start // seconds_per_bar) for i in song.instruments[1:] for n in i.notes}
        assert accompanied and all(levels[b] > 1.2 * alone[b] for b in accompanied), (levels, alone)

        # --- the second request: from the cache, same file, same object ---
        second = client.get(f"/compositions/{composition}/audio", headers=ALICE)
        assert second.headers["x-cache"] == "Hit" and second.content == first.content
        assert (second.headers["etag"], second.headers["last-modified"]) == (
            first.headers["etag"],
            first.headers["last-modified"],
        )

        # --- MP3 ---
        mp3 = client.get(f"/compositions/{composition}/audio", params={"format": "mp3"}, headers=ALICE)
        assert mp3.status_code == 200 and mp3.headers["content-type"] == "audio/mpeg"
        frames, mp3_seconds = mp3_frames(mp3.content)
        assert frames > 100 and abs(mp3_seconds - wav.seconds) < 0.1

        # --- too large to send inline: a presigned redirect (48 s of WAV is 8.5 MB) ---
        notes = [{"pitch": 60 + (i % 8), "start": i, "duration": 1, "velocity": 90} for i in range(32)]
        slow = client.post("/melodies", json={"name": "slow", "tempo": 40, "notes": notes}, headers=ALICE)
        assert slow.status_code == 201, slow.text
        redirect = client.get(f"/melodies/{slow.json()['id']}/audio", headers=ALICE)
        assert redirect.status_code == 302, redirect.text
        location = redirect.headers["location"]
        assert "X-Amz-Expires=300" in location
        downloaded = httpx.get(location, timeout=60)  # no Authorization: the URL alone carries the right
        assert downloaded.status_code == 200
        assert abs(decode_wav(downloaded.content).seconds - (48 + RELEASE_TAIL_SECONDS)) < 0.1
        assert client.get(f"/melodies/{slow.json()['id']}/audio", headers=BOB).status_code == 404

        # --- the cached objects in the local bucket: there, and not written again by a third request ---
        s3, bucket = s3_through(location)
        prefix = f"audio/compositions/alice-e2e/{composition}/"
        before = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
        assert sorted(o["Key"].rsplit(".", 1)[1] for o in before) == ["mp3", "wav"]
        client.get(f"/compositions/{composition}/audio", headers=ALICE)
        after = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
        assert [(o["Key"], o["ETag"], o["LastModified"]) for o in after] == [
            (o["Key"], o["ETag"], o["LastModified"]) for o in before
        ]

        # --- others' ids, bad formats ---
        theirs = client.get(f"/compositions/{composition}/audio", headers=BOB)
        assert theirs.status_code == 404 and theirs.json()["error"]["code"] == "NOT_FOUND"
        bad = client.get(f"/compositions/{composition}/audio", params={"format": "ogg"}, headers=ALICE)
        assert bad.status_code == 422 and "format" in bad.json()["error"]["message"]
        wrong_method = client.post(f"/compositions/{composition}/audio", headers=ALICE)
        assert wrong_method.status_code == 404 and wrong_method.json()["error"]["code"] == "NOT_FOUND"

    # --- the CLI ---
    cli = [sys.executable, "-m", "local.cli", "--api-url", runtime.url, "--user", "alice-e2e"]
    out = tmp_path / "song.mp3"
    subprocess.run([*cli, "play", composition, "--format", "mp3", "--out", str(out)], cwd=REPO_ROOT, check=True)
    assert out.read_bytes() == mp3.content
    done = subprocess.run(
        [*cli, "compose", MELODY, "--model", SHIPPED_MODEL, "--out", str(tmp_path / "again.mid"), "--audio"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "again.wav" in done.stdout
    assert decode_wav((tmp_path / "again.wav").read_bytes()).seconds > 5
