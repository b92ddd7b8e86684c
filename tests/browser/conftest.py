"""The studio in a real browser: Debian's chromium, headless, driven by Playwright's Python package
against a local runtime started here (as a user starts it). Nothing is downloaded: Playwright's own
browser builds are never installed; ``executable_path`` points at the system chromium, which the
Makefile installs with apt-get when missing.

Every page a test opens collects console errors and failed requests; a test that ends with any
fails, so a broken script or a 500 behind the page cannot pass unnoticed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.launcher import RunningRuntime, launched

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE = REPO_ROOT / "studio" / "dist" / "test" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.xdist_group("browser")


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Debian's chromium is missing: `make chromium` installs it (make test does).")
    return path


@pytest.fixture(scope="session")
def studio_built() -> None:
    """The studio's bundle and samples, built by the Makefile (a no-op when up to date)."""
    subprocess.run(["make", "--no-print-directory", "-s", "studio"], cwd=REPO_ROOT, check=True)


@pytest.fixture(scope="session")
def runtime(studio_built: None) -> Iterator[RunningRuntime]:
    with launched({"LOCAL_POLL_SECONDS": "1"}, args=["--in-memory"]) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page with its console errors and failed responses collected."""

    def __init__(self, page: Any, base: str, user: str) -> None:
        self.page = page
        self.base = base
        self.user = user
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("response", self._response)
        self.expected_statuses: set[int] = set()

    def _console(self, message: Any) -> None:
        # A failed load is logged by the browser too; the response handler judges those by status.
        if message.type == "error" and not message.text.startswith("Failed to load resource: the server responded"):
            self.errors.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.status not in self.expected_statuses:
            self.errors.append(f"{response.status} {response.request.method} {response.url}")

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_selector("main h1")

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.user}"}, timeout=30)

    def audio(self) -> dict[str, Any]:
        return self.page.evaluate(
            "() => ({state: window.studioAudio.state(), time: window.studioAudio.time(), ...window.studioAudio.stats})"
        )

    def axe(self, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
        """axe-core's violations of these impacts on the page as it is now."""
        self.page.add_script_tag(path=str(AXE))
        result = self.page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result
            if v["impact"] in impacts
        ]


_users = iter(range(1, 10_000))


@pytest.fixture
def studio(browser: Any, runtime: RunningRuntime) -> Iterator[Watched]:
    """A fresh browser context as a user of its own (the local user picker's Bearer name)."""
    user = f"browser-{next(_users)}"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.add_init_script(f"localStorage.setItem('composer.user', {user!r})")
    page = context.new_page()
    page.set_default_timeout(20_000)
    watched = Watched(page, runtime.url, user)
    yield watched
    context.close()
    assert not watched.errors, "the page logged errors:\n" + "\n".join(watched.errors)
