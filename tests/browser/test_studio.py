"""The studio as a person uses it: record from the computer keyboard, edit in the piano roll,
compose with each technique and play and download the result, train a tiny model and watch its
chart grow, with no console errors, no accessibility violations, a layout that fits a tablet, and
keyboard navigation."""

from __future__ import annotations

import io
import re
from typing import Any

import mido
import pytest

from local.launcher import RunningRuntime
from tests.browser.conftest import Watched

pytestmark = pytest.mark.xdist_group("browser")
SAMPLE = "sample-ode-to-joy"


def notes_of(midi: bytes) -> list[tuple[int, int]]:
    """(pitch, onset tick) of every note-on in the file, in time order."""
    out = []
    for track in mido.MidiFile(file=io.BytesIO(midi)).tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "note_on" and message.velocity > 0:
                out.append((message.note, tick))
    return sorted(out, key=lambda n: (n[1], n[0]))


def test_record_a_melody_from_the_computer_keyboard_and_save_it(studio: Watched) -> None:
    page = studio.page
    studio.goto("/")
    page.fill("input[name=tempo]", "120")
    page.dispatch_event("input[name=tempo]", "change")
    page.fill("input[name=bars]", "1")
    page.dispatch_event("input[name=bars]", "change")
    page.uncheck("input[name=countIn]")
    page.get_by_role("button", name="● Record").click()
    for key in ("a", "d", "g"):  # C3, E3, G3, a beat apart
        page.keyboard.down(key)
        page.wait_for_timeout(300)
        page.keyboard.up(key)
        page.wait_for_timeout(200)
    page.wait_for_selector("text=Recorded 3 notes.", timeout=5000)
    labels = page.locator(".roll rect.note").evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert [label.split(" ")[0] for label in labels] == ["C3", "E3", "G3"]
    starts = [float(re.search(r"beat ([\d.]+)", label).group(1)) - 1 for label in labels]
    # ~0.5 s apart at 120 bpm: a beat (a loaded machine stretches the waits, never shrinks them)
    assert starts == sorted(starts) and 0.6 < starts[1] - starts[0] < 2.5, starts
    assert studio.audio()["nodesStarted"] >= 3 + 4  # three notes sounded, four metronome clicks
    page.fill("input[name=name]", "Keyboard take")
    page.get_by_role("button", name="Save melody").click()
    link = page.wait_for_selector("[data-melody-id]")
    melody_id = link.get_attribute("data-melody-id")
    with studio.api() as api:
        melody = api.get(f"/melodies/{melody_id}").json()
        assert (melody["name"], melody["noteCount"], melody["tempo"]) == ("Keyboard take", 3, 120)
        assert [p for p, _ in notes_of(api.get(f"/melodies/{melody_id}/midi").content)] == [48, 52, 55]


def test_edit_a_note_in_the_roll_then_undo(studio: Watched) -> None:
    page = studio.page
    studio.goto("/")
    page.select_option("select[name=sample]", SAMPLE)
    page.wait_for_selector("text=Loaded")
    notes = page.locator(".roll rect.note")
    count = notes.count()
    first = notes.first.get_attribute("aria-label")
    notes.first.focus()
    page.keyboard.press("ArrowUp")  # one semitone up
    page.keyboard.press("Shift+ArrowRight")  # a 16th longer
    edited = page.locator(".roll rect.note").first.get_attribute("aria-label")
    assert edited != first and edited.startswith("F4")  # E4 -> F4
    page.keyboard.press("Delete")
    assert page.locator(".roll rect.note").count() == count - 1
    page.get_by_role("button", name="Undo").click()
    assert page.locator(".roll rect.note").count() == count
    # a click on an empty cell adds a note
    box = page.locator(".roll svg").bounding_box()
    page.mouse.click(box["x"] + 34 + 40 * 20 + 5, box["y"] + 5)  # beat 21, two semitones above the top note
    assert page.locator(".roll rect.note").count() == count + 1
    page.get_by_role("button", name="Save melody").click()
    melody_id = page.wait_for_selector("[data-melody-id]").get_attribute("data-melody-id")
    with studio.api() as api:
        saved = notes_of(api.get(f"/melodies/{melody_id}/midi").content)
        original = notes_of(api.get(f"/melodies/{SAMPLE}/midi").content)
    assert len(saved) == len(original) + 1
    assert saved[0] == (original[0][0] + 1, original[0][1])  # the first note's edit reached the API


@pytest.mark.parametrize(
    ("technique", "knobs", "tracks"),
    [
        ("GAN", {}, 4),
        ("AR-CNN", {"mode": "harmonize", "samplingIterations": "10"}, 4),
        ("Transformer", {"extensionSeconds": "4"}, 1),
    ],
)
def test_compose_with_each_technique_play_and_download(
    studio: Watched, technique: str, knobs: dict[str, str], tracks: int
) -> None:
    page = studio.page
    studio.goto(f"/studio/generate?melody={SAMPLE}")
    page.wait_for_selector("select[name=model] option", state="attached")
    page.select_option("select[name=technique]", label=technique)
    for name, value in knobs.items():
        control = page.locator(f"[name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    page.fill("input[name=seed]", "7")
    page.get_by_role("button", name="Compose").click()
    page.wait_for_url(re.compile(r"/studio/compositions/"))
    composition_id = page.url.rsplit("/", 1)[1]
    page.wait_for_selector(".player", timeout=90_000)
    assert page.locator(".tracks li").count() == tracks
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function(
        "() => window.studioAudio.stats.nodesStarted > 0 && window.studioAudio.state() === 'running'"
    )
    t0 = studio.audio()["time"]
    page.wait_for_timeout(400)
    assert studio.audio()["time"] > t0  # the audio clock runs: the graph is playing
    assert studio.audio()["samplesLoaded"] >= 1
    page.get_by_role("button", name="■ Stop").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download MIDI").click()
    downloaded = open(download.value.path(), "rb").read()
    with studio.api() as api:
        composition = api.get(f"/compositions/{composition_id}").json()
        assert composition["status"] == "COMPLETED"
        for name, value in knobs.items():  # the knobs drawn from the schema reached the API
            assert str(composition["parameters"][name]) == value
        assert downloaded == api.get(f"/compositions/{composition_id}/midi").content
    # the composition's figures, each under its name for people
    shown = dict(page.locator("dl.metrics dt").evaluate_all("els => els.map(e => [e.dataset.figure, e.textContent])"))
    assert set(shown) == {k for k, v in composition["metrics"].items() if isinstance(v, int | float)}
    assert shown.get("chordBeats", "chord beats %") == "chord beats %"
    assert all(" " in label or label.islower() for label in shown.values()), shown  # words, not camelCase


def test_mute_and_solo_change_what_plays(studio: Watched) -> None:
    page = studio.page
    with studio.api() as api:
        created = api.post("/compositions", json={"melodyId": SAMPLE, "modelId": "bach-chorales", "seed": 3}).json()
    studio.goto(f"/studio/compositions/{created['id']}")
    page.wait_for_selector(".player", timeout=90_000)
    page.get_by_role("button", name=re.compile("^Solo Bass")).click()
    dimmed = page.locator(".roll rect.note.dimmed").count()
    lit = page.locator(".roll rect.note:not(.dimmed)").count()
    assert dimmed > 0 and lit > 0
    assert page.locator(".roll rect.note[data-track='3']:not(.dimmed)").count() == lit  # only the bass is lit


def test_an_api_error_is_shown_as_its_message(studio: Watched) -> None:
    page = studio.page
    studio.expected_statuses.add(422)
    studio.goto(f"/studio/generate?melody={SAMPLE}")
    page.wait_for_selector("select[name=model] option", state="attached")
    page.select_option("select[name=technique]", label="Transformer")
    page.fill("input[name=extensionSeconds]", "99")
    page.get_by_role("button", name="Compose").click()
    status = page.locator("#status.error")
    status.wait_for()
    assert "extensionSeconds" in status.inner_text()


# Installed before the page loads: every change to the page records how many epochs the loss chart
# shows, so a test sees the chart grow while the job trains, not only its final state.
WATCH_CHART = """
window.chartEpochs = [];
new MutationObserver(() => {
  const line = document.querySelector("figure[data-chart=losses] path.chart-line");
  const epochs = line ? line.getAttribute("d").split("L").length : 0;
  if (epochs && window.chartEpochs[window.chartEpochs.length - 1] !== epochs) window.chartEpochs.push(epochs);
}).observe(document, { childList: true, subtree: true });
"""


def test_train_a_tiny_job_and_watch_its_chart(studio: Watched) -> None:
    page = studio.page
    studio.goto("/studio/train")
    page.wait_for_selector("input[value='key:e-major']", state="attached")
    page.select_option("select[name=modelType]", "gan")
    page.fill("input[name=modelName]", "tiny-browser")
    page.check("input[value='key:e-major']")
    page.select_option("select[name=startFrom]", "scratch")  # a width-4 network cannot start from the shipped one
    for name, value in {"epochs": "2", "width": "4", "batchSize": "8", "maxWindows": "16", "updateRatio": "2"}.items():
        page.fill(f"input[name={name}]", value)
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r"/studio/jobs/"))
    page.wait_for_selector("figure[data-chart=losses] path.chart-line", timeout=150_000)
    page.wait_for_selector(".job-status[data-status=COMPLETED]", timeout=150_000)
    losses = page.locator("figure[data-chart=losses] path.chart-line")
    assert losses.count() >= 2  # generator and critic
    assert losses.first.get_attribute("d").count("L") == 1  # two epochs: one segment
    job_id = page.url.rsplit("/", 1)[1]
    with studio.api() as api:
        history = api.get(f"/training-jobs/{job_id}").json()["history"]
    assert len(history) == 2
    titles = page.locator("figure[data-chart=losses] .chart-axis-title").all_text_contents()
    assert titles == ["loss", "epoch"]
    # The similarity index (0-1) is drawn on its own right-hand axis, its points where its values are.
    metrics = page.locator("figure[data-chart=metrics]")
    assert "similarity index · right axis" in metrics.locator(".chart-legend").all_text_contents()
    left_title, right_title, x_title = metrics.locator(".chart-axis-title").all_text_contents()
    assert "%" in left_title and "similarity" in right_title and x_title == "epoch"
    right_ticks = metrics.locator(".chart-tick[data-axis=right]")
    assert right_ticks.all_text_contents() == ["0.00", "0.25", "0.50", "0.75", "1.00"]
    zero, one = (float(right_ticks.nth(i).get_attribute("y")) - 4 for i in (0, 4))
    similarity = metrics.locator("path.chart-line[data-series='similarity index']")
    assert similarity.get_attribute("data-axis") == "right"
    drawn = [float(y) for y in re.findall(r"[ML][\d.]+,([\d.]+)", similarity.get_attribute("d"))]
    expected = [zero + h["metrics"]["similarity"] * (one - zero) for h in history]
    assert drawn == pytest.approx(expected, abs=0.2)
    # and the percentages keep the left axis, which spans them rather than the 0-1 index
    left_ticks = [float(t) for t in metrics.locator(".chart-tick[data-axis=left]").all_text_contents()]
    percents = [v for h in history for k, v in h["metrics"].items() if k != "similarity"]
    assert left_ticks[0] <= min(percents) and left_ticks[-1] >= max(percents) > 1


@pytest.mark.parametrize("path", ["/", "/studio/generate", "/studio/train", "/studio/library"])
def test_no_accessibility_violations(studio: Watched, path: str) -> None:
    studio.goto(path)
    studio.page.wait_for_load_state("networkidle")
    assert studio.axe(("minor", "moderate", "serious", "critical")) == []


@pytest.mark.parametrize("path", ["/", "/studio/generate", "/studio/train", "/studio/library"])
def test_pages_fit_a_tablet_held_upright(browser: Any, runtime: RunningRuntime, path: str) -> None:
    """At 768 px wide (a tablet in portrait) no page scrolls sideways: wide things (the piano roll,
    tables) scroll inside their own boxes."""
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(runtime.url + path)
        page.wait_for_load_state("networkidle")
        if path == "/":
            page.select_option("select[name=sample]", SAMPLE)
            page.wait_for_selector(".roll rect.note")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 768
    finally:
        context.close()


def test_composition_page_is_accessible(studio: Watched) -> None:
    with studio.api() as api:
        created = api.post("/compositions", json={"melodyId": SAMPLE, "modelId": "bach-chorales", "seed": 1}).json()
    studio.goto(f"/studio/compositions/{created['id']}")
    studio.page.wait_for_selector(".player", timeout=90_000)
    assert studio.axe() == []


def test_keyboard_navigation_reaches_every_page(studio: Watched) -> None:
    page = studio.page
    studio.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    seen = []
    for _ in range(6):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.textContent"))
    assert {"Studio", "Generate", "Train", "Library"} <= set(seen)
    page.keyboard.press("Shift+Tab")
    while page.evaluate("document.activeElement.textContent") != "Train":
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/studio/train$"))
    assert page.locator("h1").inner_text() == "Train a model"


def test_stop_a_running_job_from_its_page(studio: Watched) -> None:
    page = studio.page
    with studio.api() as api:
        job = api.post(
            "/training-jobs",
            json={
                "modelName": "to-stop",
                "dataset": {"tags": ["key:e-major"]},
                "hyperparameters": {
                    "epochs": 500,
                    "width": 4,
                    "batchSize": 8,
                    "maxWindows": 16,
                    "startFrom": "scratch",
                },
            },
        ).json()
    page.context.add_init_script(WATCH_CHART)
    studio.goto(f"/studio/jobs/{job['id']}")
    page.wait_for_selector("figure[data-chart=losses] path.chart-line", timeout=150_000)  # an epoch is in
    assert studio.axe() == []
    # the chart grows while the job trains (the page polls; each poll redraws it)
    page.wait_for_function("() => new Set(window.chartEpochs).size >= 2", timeout=150_000)
    seen = page.evaluate("window.chartEpochs")
    assert seen == sorted(seen), seen
    page.get_by_role("button", name="Stop training").click()
    page.wait_for_selector(".job-status[data-status=STOPPED]", timeout=150_000)
    assert page.get_by_role("button", name="Stop training").is_hidden()
    with studio.api() as api:
        stopped = api.get(f"/training-jobs/{job['id']}").json()
    assert stopped["status"] == "STOPPED" and 1 <= stopped["epoch"] < 500
