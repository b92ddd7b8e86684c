"""Keeping and sharing work from the composition page: download the audio, share a link and open
it signed out, turn a track into the next input, rename, delete."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Watched

pytestmark = pytest.mark.xdist_group("browser")
SAMPLE = "sample-ode-to-joy"


def _composed(studio: Watched) -> str:
    with studio.api() as api:
        created = api.post("/compositions", json={"melodyId": SAMPLE, "modelId": "bach-chorales", "seed": 5}).json()
    studio.goto(f"/studio/compositions/{created['id']}")
    studio.page.wait_for_selector(".player", timeout=90_000)
    return str(created["id"])


def test_download_the_audio_the_api_renders(studio: Watched) -> None:
    composition_id = _composed(studio)
    with studio.page.expect_download() as download:
        studio.page.get_by_role("button", name="Download WAV").click()
    wav = open(download.value.path(), "rb").read()
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    with studio.api() as api:
        assert wav == api.get(f"/compositions/{composition_id}/audio", params={"format": "wav"}).content


def test_share_a_link_then_open_it_signed_out(studio: Watched) -> None:
    page = studio.page
    composition_id = _composed(studio)
    page.get_by_role("button", name="Share link").click()
    link = page.locator("a[href*='/studio/shared/']")
    link.wait_for()
    href = link.get_attribute("href") or ""
    token = href.rsplit("/", 1)[1]
    with studio.api() as api:
        assert api.get(f"/compositions/{composition_id}").json()["shareToken"] == token
    # A fresh browser context: no user picked, no Authorization header.
    other = page.context.browser.new_context()
    try:
        shared = other.new_page()
        shared.goto(href)
        shared.wait_for_selector(".player", timeout=30_000)
        assert shared.locator("h1").inner_text() == "Shared composition"
        assert shared.locator(".roll rect.note").count() > 0  # the piano roll of the shared composition
        with studio.api() as api:
            summary = api.get(f"/shared/{token}").json()
        assert shared.locator("h2").inner_text() == summary["name"]
        about = (
            f"{summary['modelType']} · {summary['model']} · {summary['bars']} bars · {len(summary['tracks'])} tracks"
        )
        assert shared.locator(".shared-about").inner_text() == about
    finally:
        other.close()
    page.get_by_role("button", name="Stop sharing").click()
    page.get_by_text("The share link no longer works.").wait_for()
    with studio.api() as api:
        assert api.get(f"/shared/{token}").status_code == 404


def test_use_a_track_as_the_input_rename_and_delete(studio: Watched) -> None:
    page = studio.page
    composition_id = _composed(studio)
    page.get_by_label("Name").fill("Evening chorale")
    page.get_by_role("button", name="Rename").click()
    page.get_by_text("Renamed.").wait_for()
    with studio.api() as api:
        assert api.get(f"/compositions/{composition_id}").json()["name"] == "Evening chorale"

    page.get_by_label("Track").select_option("3")  # the bass line becomes the next melody
    page.get_by_role("button", name="Use this track as the input").click()
    page.wait_for_url(re.compile(r"/studio/generate\?melody="))
    melody_id = page.url.split("melody=", 1)[1]
    with studio.api() as api:
        melody = api.get(f"/melodies/{melody_id}").json()
        bass = api.get(f"/compositions/{composition_id}").json()["tracks"][3]
        assert melody["noteCount"] == bass["noteCount"]

    studio.goto(f"/studio/compositions/{composition_id}")
    page.wait_for_selector(".player", timeout=30_000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"/studio/library"))
    with studio.api() as api:
        assert api.get(f"/compositions/{composition_id}").status_code == 404
