"""An append-only file of framed records that a crash can only shorten, never corrupt.

Each record is ``length (4 bytes) | crc32 (4 bytes) | payload`` with the payload itself
``header length (4 bytes) | header JSON | body bytes``. A record is appended with one ``write``
(looped only if the kernel writes less) and made durable with ``fdatasync`` before the append
returns. A process killed mid-append leaves at most one torn record at the end; :meth:`Journal.open`
finds it by its length or checksum and cuts the file back to the last whole record, so a reader
sees a prefix of what was appended, every record of it byte for byte.

    >>> journal = Journal.open(Path(".composer/journal.log"))    # doctest: +SKIP
    >>> journal.append({"op": "put"}, b"bytes")                 # doctest: +SKIP
    >>> list(journal.records())                                  # doctest: +SKIP
    [Record(header={'op': 'put'}, body=b'bytes')]
"""

from __future__ import annotations

import json
import logging
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.persistence.files import write_atomically

log = logging.getLogger(__name__)

MAGIC = b"COMPOSER-JOURNAL 1\n"
_FRAME = struct.Struct(">II")
_HEADER_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class Record:
    header: dict[str, Any]
    body: bytes


def encode(header: dict[str, Any], body: bytes = b"") -> bytes:
    """One framed record, ready to append."""
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    payload = _HEADER_LENGTH.pack(len(head)) + head + body
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def scan(data: bytes) -> tuple[list[Record], int]:
    """The whole records at the start of ``data`` (after the magic line) and where they end."""
    if not data.startswith(MAGIC):
        raise ValueError("not a composer journal (its first line is not the journal's magic line)")
    records: list[Record] = []
    offset = len(MAGIC)
    while offset + _FRAME.size <= len(data):
        length, crc = _FRAME.unpack_from(data, offset)
        start, end = offset + _FRAME.size, offset + _FRAME.size + length
        if end > len(data) or length < _HEADER_LENGTH.size:
            break
        payload = data[start:end]
        if zlib.crc32(payload) != crc:
            break
        (head_length,) = _HEADER_LENGTH.unpack_from(payload)
        if _HEADER_LENGTH.size + head_length > len(payload):
            break
        head = payload[_HEADER_LENGTH.size : _HEADER_LENGTH.size + head_length]
        records.append(Record(json.loads(head), payload[_HEADER_LENGTH.size + head_length :]))
        offset = end
    return records, offset


class Journal:
    """The open journal: what survived the last run, and appends for this one (thread-safe)."""

    def __init__(self, path: Path, fd: int, records: list[Record]) -> None:
        self.path = path
        self._fd = fd
        self._recovered = records
        self._lock = threading.Lock()
        self.appended = 0

    @classmethod
    def open(cls, path: Path) -> Journal:
        """Open (creating) the journal, cutting a torn last record off first."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.stat().st_size < len(MAGIC):
            write_atomically(path, MAGIC)  # a new journal is never seen half-made
        data = path.read_bytes()
        records, end = scan(data)
        if end < len(data):
            log.warning("journal %s: dropping a torn last record (%d bytes) left by a crash", path, len(data) - end)
            with path.open("r+b") as handle:
                handle.truncate(end)
                handle.flush()
                os.fsync(handle.fileno())
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        return cls(path, fd, records)

    def records(self) -> Iterator[Record]:
        """The records found when the journal was opened, oldest first."""
        return iter(self._recovered)

    def forget_recovered(self) -> None:
        """Let go of the recovered records once they are replayed (they can be large)."""
        self._recovered = []

    def append(self, header: dict[str, Any], body: bytes = b"") -> None:
        frame = memoryview(encode(header, body))
        with self._lock:
            while frame:
                written = os.write(self._fd, frame)
                frame = frame[written:]
            os.fdatasync(self._fd)
            self.appended += 1

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
