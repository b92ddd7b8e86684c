"""Managing and sharing work on the whole local backend, over HTTP only: the Transformer extends a
melody past 24 bars, that track becomes a melody, the GAN and the AR-CNN (harmonize) accompany it
window by window; a share link plays it without sign-in until it is revoked; delete and rename."""

from __future__ import annotations

import io

import httpx
import pretty_midi
import pytest

from local.launcher import RunningRuntime
from tests.e2e.test_local_backend import ALICE, BOB, get_json, notes_of, poll

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

TEMPO = 200  # so 30 seconds of continuation is 25 bars


def compose(client: httpx.Client, body: dict) -> dict:
    r = client.post("/compositions", json={"seed": 5, **body}, headers=ALICE)
    assert r.status_code == 202, r.text
    done = poll(
        lambda: get_json(client, f"/compositions/{r.json()['id']}"),
        lambda c: c["status"] in ("COMPLETED", "FAILED"),
        timeout=600,
    )
    assert done["status"] == "COMPLETED", done
    return done


def beat_names(midi: bytes, first_bar: int, last_bar: int) -> list[str]:
    """The (highest) sounding pitch of each track at every beat of bars ``first_bar``-``last_bar``
    (1-based), to read the music beside the numbers."""
    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi))
    beat = 60 / TEMPO
    rows = []
    for instrument in pm.instruments:
        cells = []
        for b in range((first_bar - 1) * 4, last_bar * 4):
            t = b * beat + 0.01
            sounding = [n.pitch for n in instrument.notes if n.start <= t < n.end]
            cells.append(pretty_midi.note_number_to_name(max(sounding)) if sounding else "-")
        rows.append(f"{instrument.name[:12]:>12}: " + " ".join(f"{c:>4}" for c in cells))
    return rows


def test_a_continuation_becomes_a_long_melody_that_the_accompaniment_models_compose(runtime: RunningRuntime) -> None:
    with httpx.Client(base_url=runtime.url, timeout=120) as client:
        phrase = [60, 62, 64, 65, 67, 67, 69, 67, 65, 64, 62, 60, 64, 62, 60, 60]
        notes = [{"pitch": p, "start": 2 * i, "duration": 2} for i, p in enumerate(phrase)]
        seed_melody = client.post(
            "/melodies", json={"name": "Seed", "tempo": TEMPO, "notes": notes}, headers=ALICE
        ).json()
        assert seed_melody["bars"] == 8
        extended = compose(
            client,
            {
                "melodyId": seed_melody["id"],
                "modelId": "transformer-folk",
                "parameters": {"extensionSeconds": 30},
            },
        )
        assert extended["bars"] >= 24, extended

        r = client.post("/melodies", json={"fromComposition": extended["id"], "track": 0}, headers=ALICE)
        assert r.status_code == 201, r.text
        long = r.json()
        assert long["bars"] >= 24 and long["maxBars"] == 48
        assert long["source"] == {"compositionId": extended["id"], "track": 0}
        melody_midi = client.get(f"/melodies/{long['id']}/midi", headers=ALICE).content
        track0 = client.get(f"/compositions/{extended['id']}/midi", headers=ALICE).content
        assert notes_of(melody_midi) == notes_of(track0, 0)
        # Another user can neither take the track nor see the new melody.
        stolen = client.post("/melodies", json={"fromComposition": extended["id"], "track": 0}, headers=BOB)
        assert stolen.status_code == 404 and stolen.json()["error"]["code"] == "NOT_FOUND"
        assert client.get(f"/melodies/{long['id']}", headers=BOB).status_code == 404

        for body in (
            {"modelId": "bach-chorales"},
            {"modelId": "ar-cnn-bach", "parameters": {"mode": "harmonize"}},
        ):
            done = compose(client, {"melodyId": long["id"], **body})
            assert done["bars"] == long["bars"], done
            assert [t["index"] for t in done["tracks"]] == [0, 1, 2, 3]
            song = client.get(f"/compositions/{done['id']}/midi", headers=ALICE).content
            assert notes_of(song, 0) == notes_of(melody_midi), "track 0 must be the melody exactly"
            pm = pretty_midi.PrettyMIDI(io.BytesIO(song))
            length = long["bars"] * 4 * 60 / TEMPO
            for voice in pm.instruments[1:]:
                # Accompanied throughout, not only in the first 8 bars: notes in every third of the piece.
                starts = [n.start for n in voice.notes]
                assert all(any(k * length / 3 <= s < (k + 1) * length / 3 for s in starts) for k in range(3)), (
                    body,
                    voice.name,
                )
            print(f"\n{body['modelId']}, bars 21-24 of {long['bars']}, one column per beat:")
            print("\n".join(beat_names(song, 21, 24)))

        # The melody keeps its 48-bar limit when its notes are edited.
        edit = [{"pitch": 60 + i % 8, "start": i, "duration": 1} for i in range(4 * 30)]
        r = client.put(f"/melodies/{long['id']}/notes", json={"notes": edit}, headers=ALICE)
        assert r.status_code == 200 and r.json()["bars"] == 30 and r.json()["version"] == 2, r.text
        too_long = [{"pitch": 60, "start": i, "duration": 1} for i in range(4 * 49)]
        r = client.put(f"/melodies/{long['id']}/notes", json={"notes": too_long}, headers=ALICE)
        assert r.status_code == 422 and r.json()["error"]["code"] == "TOO_MANY_BARS", r.text
        assert "48 bars" in r.json()["error"]["message"]


def test_a_share_link_works_without_sign_in_until_revoked(runtime: RunningRuntime) -> None:
    with httpx.Client(base_url=runtime.url, timeout=120) as client:
        done = compose(client, {"melodyId": "sample-ode-to-joy", "modelId": "bach-chorales"})
        r = client.patch(f"/compositions/{done['id']}", json={"name": "For the choir"}, headers=ALICE)
        assert r.status_code == 200 and r.json()["name"] == "For the choir"
        r = client.post(f"/compositions/{done['id']}/share", headers=ALICE)
        assert r.status_code == 201, r.text
        link = r.json()
        assert link["url"] == f"{runtime.url}/shared/{link['token']}"
        with httpx.Client(timeout=60) as anonymous:
            # No identity at all, and an Authorization header the local authorizer would refuse elsewhere.
            for headers in ({}, {"Authorization": "Bearer not a user!"}):
                summary = anonymous.get(link["url"], headers=headers)
                assert summary.status_code == 200, summary.text
                assert summary.json()["name"] == "For the choir" and summary.json()["model"] == "Bach chorales"
            midi = anonymous.get(f"{link['url']}/midi")
            assert midi.status_code == 200
            assert midi.content == client.get(f"/compositions/{done['id']}/midi", headers=ALICE).content
            png = anonymous.get(f"{link['url']}/pianoroll.png")
            assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
            assert client.delete(f"/compositions/{done['id']}/share", headers=BOB).status_code == 404
            assert anonymous.get(link["url"]).status_code == 200
            assert client.delete(f"/compositions/{done['id']}/share", headers=ALICE).status_code == 204
            gone = anonymous.get(link["url"])
            assert gone.status_code == 404 and set(gone.json()["error"]) == {"code", "message"}
        assert client.delete(f"/compositions/{done['id']}", headers=ALICE).status_code == 204
        assert client.get(f"/compositions/{done['id']}", headers=ALICE).status_code == 404
        assert client.delete(f"/compositions/{done['id']}", headers=ALICE).status_code == 404
