"""The web studio's load: first load to interactive on the local runtime, and the bundle's size.

Each page is loaded cold (a fresh browser context: empty cache) in Debian's chromium, headless, from
a local runtime started here. "Interactive" is the studio's own ``studio-interactive`` mark (config
read, the page's controls drawn and listening); "data" is when the page's first API answer is shown
too (the sample list on the studio page, the model list on the generate page). The bundle is what a
first visit downloads before any audio sample: page, script and stylesheet, gzipped. Accessibility:
axe-core's violations on each page once it shows its data, by impact (the browser tests fail on any
serious or critical one).

    python -m benchmarks.bench_studio        # table, then one JSON line
"""

from __future__ import annotations

import gzip
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from local.launcher import launched

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "studio" / "dist"
BUNDLE = ("index.html", "app.js", "app.css", "favicon.svg")
PAGES = {
    "/": "select[name=sample] option:nth-child(2)",
    "/studio/generate": "select[name=model] option",
    "/studio/train": "input[value='key:e-major']",
}
AXE = DIST / "test" / "axe.min.js"
AXE_PAGES = {**PAGES, "/studio/library": "td a"}
GOALS = {
    "studioInteractiveMs": ("<=", 1000.0),
    "studioBundleGzipKB": ("<=", 300.0),
    "studioAxeSeriousOrCritical": ("<=", 0),
}
RUNS = 7


def bundle_sizes() -> dict[str, Any]:
    gz = sum(len(gzip.compress((DIST / name).read_bytes(), 9)) for name in BUNDLE)
    raw = sum((DIST / name).stat().st_size for name in BUNDLE)
    samples = sum(p.stat().st_size for p in (DIST / "samples").glob("*.wav"))
    return {
        "studioBundleGzipKB": round(gz / 1024, 1),
        "studioBundleKB": round(raw / 1024, 1),
        "studioSamplesMB": round(samples / 2**20, 2),
    }


def _load(browser: Any, url: str, data_selector: str) -> tuple[float, float]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => performance.getEntriesByName('studio-interactive').length > 0")
    page.wait_for_selector(data_selector, state="attached")
    data_ms = page.evaluate("() => performance.now()")
    interactive = page.evaluate("() => performance.getEntriesByName('studio-interactive')[0].startTime")
    context.close()
    return interactive, data_ms


def accessibility(browser: Any, base: str) -> dict[str, Any]:
    """axe-core's violations per page (rules broken, by impact), as the browser tests run it."""
    by_page: dict[str, dict[str, int]] = {}
    for path, selector in AXE_PAGES.items():
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + path)
        page.wait_for_selector(selector, state="attached")
        page.add_script_tag(path=str(AXE))
        impacts = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => v.impact)"
        )
        context.close()
        by_page[path] = {impact: impacts.count(impact) for impact in ("critical", "serious", "moderate", "minor")}
    return {
        "studioAxeViolations": by_page,
        "studioAxeSeriousOrCritical": sum(v["critical"] + v["serious"] for v in by_page.values()),
    }


def bench_studio(runs: int = RUNS) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    subprocess.run(["make", "--no-print-directory", "-s", "studio"], cwd=ROOT, check=True)
    results: dict[str, Any] = bundle_sizes()
    chromium = shutil.which("chromium")
    if not chromium:
        raise SystemExit("Debian's chromium is missing: `make chromium` installs it.")
    with launched(args=["--in-memory"]) as runtime, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        worst = 0.0
        for path, selector in PAGES.items():
            _load(browser, runtime.url + path, selector)  # warm the server side (first API calls), not the browser
            times = [_load(browser, runtime.url + path, selector) for _ in range(runs)]
            name = "Studio" if path == "/" else path.rsplit("/", 1)[1].capitalize()
            interactive = statistics.median(t[0] for t in times)
            results[f"studio{name}InteractiveMs"] = round(interactive, 1)
            results[f"studio{name}DataMs"] = round(statistics.median(t[1] for t in times), 1)
            worst = max(worst, interactive)
        results["studioInteractiveMs"] = round(worst, 1)
        results.update(accessibility(browser, runtime.url))
        browser.close()
    return results


def verdicts(results: dict[str, Any]) -> dict[str, bool]:
    return {
        name: (results[name] <= bound if op == "<=" else results[name] >= bound)
        for name, (op, bound) in GOALS.items()
        if name in results
    }


def main() -> int:
    results = bench_studio()
    met = verdicts(results)
    for name, value in results.items():
        goal = GOALS.get(name)
        mark = "" if goal is None else f"{goal[0]} {goal[1]:g}  {'met' if met[name] else 'NOT MET'}"
        print(f"{name:<28}{value!s:>10}  {mark}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
