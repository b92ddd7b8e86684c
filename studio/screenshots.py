"""Screenshots of each studio page for the README (docs/screenshots/), taken in headless chromium
against a local runtime started here: a sample melody in the studio, the AR-CNN's knobs, a GAN
composition and the page its share link opens, the train form, a tiny training job's charts and the
library.

    python studio/screenshots.py [docs/screenshots]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from local.launcher import launched

ROOT = Path(__file__).resolve().parent.parent
USER = "screenshots"


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["make", "--no-print-directory", "-s", "studio"], cwd=ROOT, check=True)
    with launched({"LOCAL_POLL_SECONDS": "1"}, args=["--in-memory"]) as runtime, sync_playwright() as playwright:
        api = httpx.Client(base_url=runtime.url, headers={"Authorization": f"Bearer {USER}"}, timeout=60)
        composition = api.post(
            "/compositions", json={"melodyId": "sample-ode-to-joy", "modelId": "bach-chorales", "seed": 7}
        ).json()
        job = api.post(
            "/training-jobs",
            json={
                "modelName": "tiny-bach",
                "dataset": {"tags": ["key:e-major"]},
                "hyperparameters": {
                    "epochs": 4,
                    "width": 4,
                    "batchSize": 8,
                    "maxWindows": 16,
                    "updateRatio": 2,
                    "startFrom": "scratch",
                },
            },
        ).json()
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(viewport={"width": 1200, "height": 860}, device_scale_factor=1)
        context.add_init_script(f"localStorage.setItem('composer.user', '{USER}')")
        page = context.new_page()

        def shot(path: str, name: str, ready: str) -> None:
            page.goto(runtime.url + path)
            page.wait_for_selector(ready, state="attached", timeout=300_000)
            page.wait_for_timeout(400)
            page.screenshot(path=str(out / f"{name}.png"), full_page=False)

        page.goto(runtime.url + "/")
        page.wait_for_selector("select[name=sample] option:nth-child(2)", state="attached")
        page.select_option("select[name=sample]", "sample-ode-to-joy")
        page.wait_for_selector(".roll rect.note")
        page.screenshot(path=str(out / "studio.png"))
        shot("/studio/generate?melody=sample-ode-to-joy&model=ar-cnn-bach", "generate", "[name=samplingIterations]")
        shot(f"/studio/compositions/{composition['id']}", "composition", ".player")
        token = api.post(f"/compositions/{composition['id']}/share").json()["token"]
        shot(f"/studio/shared/{token}", "shared", ".player")
        shot("/studio/train", "train", "input[value='key:e-major']")
        while api.get(f"/training-jobs/{job['id']}").json()["status"] not in ("COMPLETED", "FAILED", "STOPPED"):
            time.sleep(2)
        shot(f"/studio/jobs/{job['id']}", "training-job", "figure[data-chart=losses] path.chart-line")
        shot("/studio/library", "library", "td a")
        browser.close()
    print(f"screenshots in {out}")


if __name__ == "__main__":
    main()
