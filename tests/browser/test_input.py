"""The other ways in: touch and mouse on the on-screen keyboard, dragging notes in the roll, the
octave shift, and a MIDI file upload, quantised."""

from __future__ import annotations

import io
from typing import Any

import mido
import pytest

from tests.browser.conftest import Watched

pytestmark = pytest.mark.xdist_group("browser")


def midi_file(pitches: list[int], ticks_per_beat: int = 480) -> bytes:
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(90), time=0)])
    for pitch in pitches:
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=ticks_per_beat))
    out = io.BytesIO()
    mido.MidiFile(tracks=[track], ticks_per_beat=ticks_per_beat).save(file=out)
    return out.getvalue()


def key(page: Any, pitch: int) -> Any:
    return page.locator(f".keys [data-pitch='{pitch}']")


def test_mouse_and_octave_shift_play_the_keyboard(studio: Watched) -> None:
    page = studio.page
    studio.goto("/")
    assert page.locator(".keys .key").count() == 72 - 41 + 1  # DeepComposer's range
    key(page, 60).click()
    page.wait_for_function("() => window.studioAudio.stats.nodesStarted >= 1")
    page.get_by_role("button", name="Octave up").click()
    assert page.locator(".keys .key").first.get_attribute("data-pitch") == "53"
    page.keyboard.press("z")  # back down
    assert page.locator(".keys .key").first.get_attribute("data-pitch") == "41"


def test_touch_plays_and_records(browser: Any, runtime: Any) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(runtime.url + "/")
    page.wait_for_selector(".keys .key")
    page.uncheck("input[name=countIn]")
    page.fill("input[name=bars]", "1")
    page.dispatch_event("input[name=bars]", "change")
    page.fill("input[name=tempo]", "240")
    page.dispatch_event("input[name=tempo]", "change")
    page.get_by_role("button", name="● Record").tap()
    key(page, 62).tap()
    page.wait_for_selector("text=Recorded 1 note.", timeout=5000)
    assert page.locator(".roll rect.note").first.get_attribute("aria-label").startswith("D4")
    context.close()
    assert errors == []


def test_drag_moves_and_resizes_a_note(studio: Watched) -> None:
    page = studio.page
    studio.goto("/")
    page.set_input_files(
        "input[name=midiFile]", files=[{"name": "two.mid", "mimeType": "audio/midi", "buffer": midi_file([60, 64])}]
    )
    page.wait_for_selector("text=Loaded two.mid: 2 notes.")
    assert page.locator("input[name=tempo]").input_value() == "90"
    note = page.locator(".roll rect.note").first
    box = note.bounding_box()
    # drag the body one beat (40 px) right: a move
    page.mouse.move(box["x"] + 10, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 50, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    labels = page.locator(".roll rect.note").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert "C4 at beat 2, 1 beats" in labels
    # drag the right edge of the E4 one beat further: a resize
    e4 = page.locator(".roll rect.note[aria-label^='E4']")
    box = e4.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] + 38, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert page.locator(".roll rect.note[aria-label^='E4']").get_attribute("aria-label") == "E4 at beat 2, 2 beats"


def test_quantise_an_uploaded_take_then_undo_then_save_it(studio: Watched) -> None:
    """Notes played off the grid snap to the chosen grid (start and end), undo restores them, and the
    saved melody has the snapped times."""
    tpb = 480
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100), time=0)])
    # C4 from 70 to 370 ticks (beat 0.146-0.771), E4 from 515 to 700 (beat 1.073-1.458)
    for message in (("note_on", 60, 70), ("note_off", 60, 300), ("note_on", 64, 145), ("note_off", 64, 185)):
        kind, pitch, delta = message
        track.append(mido.Message(kind, note=pitch, velocity=80 if kind == "note_on" else 0, time=delta))
    out = io.BytesIO()
    mido.MidiFile(tracks=[track], ticks_per_beat=tpb).save(file=out)
    page = studio.page
    studio.goto("/")
    page.set_input_files(
        "input[name=midiFile]", files=[{"name": "loose.mid", "mimeType": "audio/midi", "buffer": out.getvalue()}]
    )
    page.wait_for_selector("text=Loaded loose.mid: 2 notes.")

    def labels() -> list[str]:
        return page.locator(".roll rect.note").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")

    played = labels()
    assert played == ["C4 at beat 1.1458, 0.625 beats", "E4 at beat 2.0729, 0.3854 beats"]
    page.select_option("select[name=grid]", "0.5")  # eighths
    page.get_by_role("button", name="Quantise").click()
    assert labels() == ["C4 at beat 1, 1 beats", "E4 at beat 2, 0.5 beats"]
    page.get_by_role("button", name="Undo").click()
    assert labels() == played
    page.get_by_role("button", name="Quantise").click()
    page.get_by_role("button", name="Save melody").click()
    melody_id = page.wait_for_selector("[data-melody-id]").get_attribute("data-melody-id")
    with studio.api() as api:
        saved = mido.MidiFile(file=io.BytesIO(api.get(f"/melodies/{melody_id}/midi").content))
    tick, onsets = 0, []
    for message in saved.tracks[-1]:
        tick += message.time
        if message.type == "note_on" and message.velocity > 0:
            onsets.append((message.note, tick / saved.ticks_per_beat))
    assert onsets == [(60, 0.0), (64, 1.0)]
