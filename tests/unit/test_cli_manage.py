"""The CLI's managing commands over real HTTP (the local API server in front of the real handler, on
moto): compositions, rename, delete, share/unshare, melodies rename/edit/from-composition/delete."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from local.cli import app
from local.client import ComposerClient
from tests.support.api import ALICE, BOB, BUILTIN_MODEL, serving_with_workers
from tests.unit.test_api_compositions import harmoniser


@pytest.fixture
def api(cloud) -> Iterator[str]:
    cloud.endpoint.answer = harmoniser
    with serving_with_workers(cloud) as url:
        yield url


def composer(url: str, *args: str, user: str = ALICE):
    runner = CliRunner(env={"COLUMNS": "160"})
    return runner.invoke(app, ["--api-url", url, "--user", user, *args], catch_exceptions=False)


def composed(url: str, tmp_path: Path) -> str:
    result = composer(url, "compose", "sample-ode-to-joy", "--model", BUILTIN_MODEL, "--out", str(tmp_path / "s.mid"))
    assert result.exit_code == 0, result.output
    return re.search(r"Composed (\S+):", result.output).group(1)


def test_rename_share_unshare_and_delete_a_composition(api, tmp_path):
    cid = composed(api, tmp_path)
    listed = composer(api, "compositions")
    assert cid in listed.output and "3: Bass" in listed.output
    renamed = composer(api, "rename", cid, "Evening chorale")
    assert renamed.exit_code == 0 and "Evening chorale" in renamed.output

    shared = composer(api, "share", cid)
    assert shared.exit_code == 0, shared.output
    url = re.search(r"(http://\S+/shared/[A-Za-z0-9_-]+)", shared.output).group(1)
    # The link works without any identity, over plain HTTP.
    summary = httpx.get(url).json()
    assert summary["name"] == "Evening chorale" and len(summary["tracks"]) == 4
    assert httpx.get(f"{url}/midi").content[:4] == b"MThd"
    assert "yes" in composer(api, "compositions").output
    assert composer(api, "share", cid).output.count(url) == 3  # the same link again (summary, midi, picture)

    assert composer(api, "unshare", cid).exit_code == 0
    assert httpx.get(url).status_code == 404
    other = composer(api, "delete", cid, user=BOB)
    assert other.exit_code == 1 and "NOT_FOUND (404)" in other.output
    assert composer(api, "delete", cid).exit_code == 0
    again = composer(api, "delete", cid)
    assert again.exit_code == 1 and "NOT_FOUND" in again.output
    assert cid not in composer(api, "compositions").output


def test_a_track_becomes_a_melody_which_is_edited_renamed_and_deleted(api, tmp_path):
    cid = composed(api, tmp_path)
    made = composer(api, "melodies", "from-composition", cid, "--track", "3", "--name", "Walking bass")
    assert made.exit_code == 0, made.output
    melody_id = re.search(r"Made melody (\S+) \(Walking bass\)", made.output).group(1)
    bad = composer(api, "melodies", "from-composition", cid, "--track", "7")
    assert bad.exit_code == 1 and "NO_SUCH_TRACK" in bad.output

    notes = tmp_path / "notes.json"
    notes.write_text(json.dumps([{"pitch": 48 + i, "start": i, "duration": 1} for i in range(8)]))
    edited = composer(api, "melodies", "edit", melody_id, "--notes", str(notes))
    assert edited.exit_code == 0 and "version 2" in edited.output and "8 notes" in edited.output
    notes.write_text(json.dumps({"notes": [{"pitch": 200, "start": 0, "duration": 1}]}))
    refused = composer(api, "melodies", "edit", melody_id, "--notes", str(notes))
    assert refused.exit_code == 1 and "422" in refused.output
    notes.write_text("{nope")
    assert composer(api, "melodies", "edit", melody_id, "--notes", str(notes)).exit_code == 2

    assert "Low line" in composer(api, "melodies", "rename", melody_id, "Low line").output
    builtin = composer(api, "melodies", "rename", "sample-ode-to-joy", "Mine")
    assert builtin.exit_code == 1 and "BUILTIN (409)" in builtin.output
    with ComposerClient(api, user=ALICE) as client:
        assert client.melodies()[-1]["name"] == "Low line"
    assert composer(api, "melodies", "delete", melody_id).exit_code == 0
    assert "Low line" not in composer(api, "melodies", "list").output
