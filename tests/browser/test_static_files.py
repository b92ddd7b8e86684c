"""The local runtime serves the studio at / and under /studio/ only, with the right types, client-side
routes answered by the page, and no way out of the build folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.studio_files import StudioFiles


@pytest.fixture
def files(tmp_path: Path) -> StudioFiles:
    root = tmp_path / "dist"
    (root / "samples").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>studio</title>")
    (root / "app.js").write_text("console.log(1)")
    (root / "app.js.map").write_text('{"version": 3}')
    (root / "samples" / "p0-60.wav").write_bytes(b"RIFF....WAVE")
    (tmp_path / "secret.txt").write_text("not for the web")
    (root / "escape").symlink_to(tmp_path / "secret.txt")
    return StudioFiles(root, {"apiBaseUrl": "", "auth": None})


def test_api_paths_are_left_to_the_api(files: StudioFiles) -> None:
    for path in ("/health", "/melodies", "/compositions/x/midi", "/studiox", "/openapi.json"):
        assert files.answer("GET", path) is None


@pytest.mark.parametrize(
    ("path", "kind", "start"),
    [
        ("/", "text/html; charset=utf-8", b"<!doctype"),
        ("/studio/", "text/html; charset=utf-8", b"<!doctype"),
        ("/studio/train", "text/html; charset=utf-8", b"<!doctype"),  # a client-side route
        ("/studio/jobs/abc", "text/html; charset=utf-8", b"<!doctype"),
        ("/studio/app.js", "text/javascript; charset=utf-8", b"console"),
        ("/studio/samples/p0-60.wav", "audio/wav", b"RIFF"),
    ],
)
def test_files_and_routes(files: StudioFiles, path: str, kind: str, start: bytes) -> None:
    status, headers, body = files.answer("GET", path)
    assert status == 200
    assert dict(headers)["Content-Type"] == kind
    assert body.startswith(start)


def test_the_bundle_is_linked_to_its_source_map_by_header_locally(files: StudioFiles) -> None:
    """The build writes the map without linking it (the deployed site has none); locally the header links it."""
    _, headers, _ = files.answer("GET", "/studio/app.js")
    assert dict(headers)["SourceMap"] == "app.js.map"
    status, headers, body = files.answer("GET", "/studio/app.js.map")
    assert status == 200 and dict(headers)["Content-Type"] == "application/json" and json.loads(body)["version"] == 3
    _, headers, _ = files.answer("GET", "/studio/samples/p0-60.wav")
    assert "SourceMap" not in dict(headers)


def test_config_names_the_api_and_no_sign_in_locally(files: StudioFiles) -> None:
    status, headers, body = files.answer("GET", "/studio/config.json")
    assert status == 200 and dict(headers)["Cache-Control"] == "no-store"
    assert json.loads(body) == {"apiBaseUrl": "", "auth": None}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/studio/../secret.txt", 400),
        ("/studio/samples/../../secret.txt", 400),
        ("/studio/..\\secret.txt", 400),
        ("/studio/escape", 404),  # a symlink out of the folder
        ("/studio/missing.js", 404),  # a missing asset is not the page
    ],
)
def test_no_way_out_of_the_build_folder(files: StudioFiles, path: str, status: int) -> None:
    code, headers, body = files.answer("GET", path)
    assert code == status
    assert b"not for the web" not in body
    assert set(json.loads(body)["error"]) == {"code", "message"}


def test_only_reads(files: StudioFiles) -> None:
    status, _, body = files.answer("POST", "/studio/app.js")
    assert status == 405 and json.loads(body)["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_an_unbuilt_studio_says_how_to_build_it(tmp_path: Path) -> None:
    status, _, body = StudioFiles(tmp_path / "nothing").answer("GET", "/")
    assert status == 404 and "make studio" in json.loads(body)["error"]["message"]
