"""The data folder of ``make dev``: where users' work lives between runs, and what else is kept there.

Layout (``.composer/`` in the checkout unless ``COMPOSER_DATA_DIR`` says otherwise)::

    FORMAT         the folder's format version
    lock           held (flock) while a runtime uses the folder: two runtimes never share one
    journal.log    every DynamoDB, S3 and SageMaker model/endpoint write, replayed at start
    streams.json   per table stream, the last record delivered to its Lambda (so none twice)
    processes/     one file per running training subprocess (pid + start time), killed at start if stale
    scratch/       working folders of local training jobs and endpoints, wiped at every start
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import threading
from pathlib import Path
from typing import Any

from local.persistence.files import write_atomically

log = logging.getLogger(__name__)

DATA_DIR_ENV = "COMPOSER_DATA_DIR"
FORMAT_VERSION = "1"


class DataDirInUse(RuntimeError):
    """Another runtime holds the folder's lock."""


def default_data_dir(repo_root: Path) -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or repo_root / ".composer").expanduser().resolve()


class DataDir:
    """One data folder, locked for the life of this object (``close`` releases it)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._lock_file = (root / "lock").open("a+")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise DataDirInUse(
                f"{root} is in use by another local runtime; stop it, or give this one its own folder "
                f"with {DATA_DIR_ENV}=/some/other/folder"
            ) from None
        version = root / "FORMAT"
        if version.exists() and version.read_text().strip() != FORMAT_VERSION:
            self.close()
            raise RuntimeError(
                f"{root} was written by a newer local runtime (format {version.read_text().strip()}, "
                f"this one reads {FORMAT_VERSION}); update the checkout or use another {DATA_DIR_ENV}"
            )
        if not version.exists():
            write_atomically(version, FORMAT_VERSION.encode())
        self.processes = ProcessRegistry(root / "processes")
        self.streams = StreamPositions(root / "streams.json")

    @property
    def journal_path(self) -> Path:
        return self.root / "journal.log"

    def fresh_scratch(self) -> Path:
        """An empty scratch folder: what a stopped run left there belongs to work that is over."""
        scratch = self.root / "scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        return scratch

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()


def reset(root: Path) -> None:
    """Delete the folder, refusing while a runtime holds it."""
    if not root.exists():
        return
    DataDir(root).close()  # raises DataDirInUse while a runtime runs
    shutil.rmtree(root)


class StreamPositions:
    """The last delivered sequence number of each table's stream, written atomically after each batch.

    Replaying the journal rebuilds every table's stream with the same sequence numbers (moto numbers
    a shard's records from a fixed start), so a poller that resumes after the saved number delivers
    the records that were never delivered, once, and none of the others again.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._positions: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._positions.get(key)

    def set(self, key: str, sequence_number: str) -> None:
        with self._lock:
            self._positions[key] = sequence_number
            write_atomically(self._path, json.dumps(self._positions, indent=1).encode())


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


class ProcessRegistry:
    """Processes the runtime started, recorded so a later start can end them if they outlived it.

    A recorded pid is only killed when its start time still matches, so a pid reused by an unrelated
    process after a reboot is left alone.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def add(self, pid: int, what: str) -> None:
        record = {"pid": pid, "startTime": _start_time(pid), "what": what}
        write_atomically(self._root / f"{pid}.json", json.dumps(record).encode())

    def remove(self, pid: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self._root / f"{pid}.json").unlink()

    def kill_stale(self) -> list[dict[str, Any]]:
        """SIGKILL the process group of every recorded process still alive; returns what was killed."""
        killed = []
        for path in sorted(self._root.glob("*.json")):
            try:
                record = json.loads(path.read_text())
            except ValueError:
                record = {}
            pid = record.get("pid")
            if isinstance(pid, int) and record.get("startTime") and _start_time(pid) == record["startTime"]:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                    log.warning("killed %s (pid %d), left running by a runtime that was killed", record["what"], pid)
                    killed.append(record)
            path.unlink(missing_ok=True)
        return killed
