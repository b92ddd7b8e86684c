"""The whole backend in a subprocess, started and stopped as a user does (``local.launcher``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.launcher import RunningRuntime, launched


@pytest.fixture(scope="session")
def runtime() -> Iterator[RunningRuntime]:
    with launched({"LOCAL_POLL_SECONDS": "1"}) as running:
        yield running
        code = running.stop()
        assert code == 0, "Ctrl-C should stop the runtime cleanly:\n" + running.log_tail()
        assert any("Stopped." in line for line in running.output)
