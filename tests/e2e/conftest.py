"""Start the local runtime the way a user does (``python -m local.runtime``, what ``make dev`` runs)
in a subprocess on a free port, and stop it the way a user does (Ctrl-C, i.e. SIGINT)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The first start may synthesize the CDK app (jsii) before anything else happens.
START_TIMEOUT_SECONDS = 900


@dataclass
class RunningRuntime:
    url: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def log_tail(self, lines: int = 80) -> str:
        return "".join(self.output[-lines:])


def _pump(stream: object, sink: list[str], lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        sink.append(line)
        lines.put(line)


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRuntime]:
    env = {**os.environ, "LOCAL_POLL_SECONDS": "1", "PYTHONUNBUFFERED": "1"}
    env["COMPOSER_DATA_DIR"] = str(tmp_path_factory.mktemp("composer-data"))  # never the checkout's .composer/
    for name in ("AWS_ENDPOINT_URL", "PORT", "MOTO_PORT"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local.runtime", "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, output, lines), daemon=True).start()
    url = None
    try:
        while url is None:
            try:
                line = lines.get(timeout=START_TIMEOUT_SECONDS)
            except queue.Empty:
                raise AssertionError("the local runtime did not become ready:\n" + "".join(output[-80:])) from None
            match = re.match(r"READY (http://127\.0\.0\.1:\d+)", line)
            if match:
                url = match.group(1)
            elif process.poll() is not None:
                raise AssertionError("the local runtime exited during start:\n" + "".join(output[-80:]))
        running = RunningRuntime(url=url, process=process, output=output)
        yield running
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=120)
        assert code == 0, "Ctrl-C should stop the runtime cleanly:\n" + running.log_tail()
        assert any("Stopped." in line for line in output)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
