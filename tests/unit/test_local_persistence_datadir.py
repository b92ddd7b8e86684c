"""The data folder: one runtime at a time, reset refused while in use, stale training processes
killed at start (only when the recorded process is still the same one)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local.persistence.datadir import DataDir, DataDirInUse, StreamPositions, reset


def test_a_second_runtime_and_a_reset_are_refused_while_the_folder_is_in_use(tmp_path: Path) -> None:
    held = DataDir(tmp_path / "data")
    with pytest.raises(DataDirInUse, match="COMPOSER_DATA_DIR"):
        DataDir(tmp_path / "data")
    with pytest.raises(DataDirInUse):
        reset(tmp_path / "data")
    assert (tmp_path / "data" / "FORMAT").exists()
    held.close()
    reset(tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_stale_processes_are_killed_and_reused_pids_are_left_alone(tmp_path: Path) -> None:
    data = DataDir(tmp_path)
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        data.processes.add(orphan.pid, "training job a")
        data.processes.add(bystander.pid, "training job b")
        record = tmp_path / "processes" / f"{bystander.pid}.json"
        record.write_text(json.dumps({**json.loads(record.read_text()), "startTime": "1"}))  # a reused pid
        killed = data.processes.kill_stale()
        assert [k["pid"] for k in killed] == [orphan.pid]
        assert orphan.wait(timeout=10) == -9
        time.sleep(0.2)
        assert bystander.poll() is None, "a process that is not the recorded one was killed"
        assert not list((tmp_path / "processes").glob("*.json"))
    finally:
        for process in (orphan, bystander):
            process.kill()
            process.wait()
        data.close()


def test_stream_positions_survive_a_restart(tmp_path: Path) -> None:
    StreamPositions(tmp_path / "streams.json").set("table->fn/shard", "1100000000017454423011")
    assert StreamPositions(tmp_path / "streams.json").get("table->fn/shard") == "1100000000017454423011"
