"""Start the local runtime the way a user does (``python -m local.runtime``, what ``make dev`` runs)
in a subprocess on a free port, and stop it the way a user does (Ctrl-C, i.e. SIGINT).

The one way the end-to-end tests, the soak and the benchmarks bring up a whole backend, so that
they all exercise the same start-up path a user's ``make dev`` takes.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[1]
# The first start may synthesize the CDK app (jsii) before anything else happens.
START_TIMEOUT_SECONDS = 900
STOP_TIMEOUT_SECONDS = 120
_READY = re.compile(r"READY (http://127\.0\.0\.1:\d+)")


class RuntimeStartError(RuntimeError):
    """The runtime exited or stayed silent before printing ``READY``; the message carries its output."""


@dataclass
class RunningRuntime:
    url: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def log_tail(self, lines: int = 80) -> str:
        return "".join(self.output[-lines:])

    def stop(self) -> int:
        """Ctrl-C, then wait; killed if it does not stop in time. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def _pump(stream: IO[str], sink: list[str], lines: queue.Queue[str], keep: int | None) -> None:
    for line in stream:
        sink.append(line)
        if keep is not None:
            del sink[:-keep]
        lines.put(line)


@contextmanager
def launched(
    env: Mapping[str, str] | None = None, keep_lines: int | None = None, args: Sequence[str] = ()
) -> Iterator[RunningRuntime]:
    """A started runtime (``env`` on top of this process's environment, ``args`` after ``--port 0``);
    stopped on leaving.

    ``keep_lines`` bounds the output kept in memory, for long runs; None keeps all of it. Unless ``env``
    or ``args`` choose the persistence (``COMPOSER_DATA_DIR``, ``--data-dir``, ``--in-memory``), the
    runtime keeps its data in a fresh temporary folder, so a test or a benchmark never touches the
    checkout's ``.composer/``.
    """
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    for name in ("AWS_ENDPOINT_URL", "PORT", "MOTO_PORT"):
        child_env.pop(name, None)
    scratch = tempfile.TemporaryDirectory(prefix="composer-runtime-data-")
    if not (env and "COMPOSER_DATA_DIR" in env) and not {"--data-dir", "--in-memory"} & set(args):
        child_env["COMPOSER_DATA_DIR"] = scratch.name
    process = subprocess.Popen(
        [sys.executable, "-m", "local.runtime", "--port", "0", *args],
        cwd=REPO_ROOT,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=_pump, args=(process.stdout, output, lines, keep_lines), daemon=True).start()
    running = None
    try:
        while running is None:
            try:
                line = lines.get(timeout=START_TIMEOUT_SECONDS)
            except queue.Empty:
                raise RuntimeStartError("the local runtime did not become ready:\n" + "".join(output[-80:])) from None
            match = _READY.match(line)
            if match:
                running = RunningRuntime(url=match.group(1), process=process, output=output)
            elif process.poll() is not None:
                raise RuntimeStartError("the local runtime exited during start:\n" + "".join(output[-80:]))
        yield running
    finally:
        if process.poll() is None:
            RunningRuntime("", process, output).stop()
        scratch.cleanup()
