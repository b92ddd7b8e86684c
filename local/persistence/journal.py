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
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from local.persistence.files import fsync_directory, write_atomically

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


def scan(handle: BinaryIO) -> Iterator[tuple[Record, int]]:
    """The whole records of an open journal, one at a time (so a large journal is never all in
    memory), each with the offset where it ends; stops at the first torn or corrupt one."""
    handle.seek(0)
    if handle.read(len(MAGIC)) != MAGIC:
        raise ValueError("not a composer journal (its first line is not the journal's magic line)")
    offset = len(MAGIC)
    while len(frame := handle.read(_FRAME.size)) == _FRAME.size:
        length, crc = _FRAME.unpack(frame)
        payload = handle.read(length)
        if len(payload) < length or length < _HEADER_LENGTH.size or zlib.crc32(payload) != crc:
            return
        (head_length,) = _HEADER_LENGTH.unpack_from(payload)
        if _HEADER_LENGTH.size + head_length > len(payload):
            return
        head = payload[_HEADER_LENGTH.size : _HEADER_LENGTH.size + head_length]
        offset += _FRAME.size + length
        yield Record(json.loads(head), payload[_HEADER_LENGTH.size + head_length :]), offset


class Journal:
    """The open journal: what survived the last run, and appends for this one (thread-safe)."""

    def __init__(self, path: Path, fd: int, recovered_end: int) -> None:
        self.path = path
        self._fd = fd
        self._recovered_end = recovered_end
        self._lock = threading.Lock()
        self.appended = 0

    @classmethod
    def open(cls, path: Path) -> Journal:
        """Open (creating) the journal, cutting a torn last record off first."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.stat().st_size < len(MAGIC):
            write_atomically(path, MAGIC)  # a new journal is never seen half-made
        with path.open("r+b") as handle:
            last = deque(scan(handle), maxlen=1)  # reads every record once, keeps only the last
            end = last[0][1] if last else len(MAGIC)
            size = handle.seek(0, os.SEEK_END)
            if end < size:
                log.warning("journal %s: dropping a torn last record (%d bytes) left by a crash", path, size - end)
                handle.truncate(end)
                handle.flush()
                os.fsync(handle.fileno())
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        return cls(path, fd, end)

    def records(self) -> Iterator[Record]:
        """The records found when the journal was opened, oldest first, read from the file as they go."""
        with self.path.open("rb") as handle:
            for record, end in scan(handle):
                if end > self._recovered_end:
                    return
                yield record

    def rewrite(self, keep: Callable[[int, Record], bool]) -> int:
        """Replace the journal with the recovered records ``keep(index, record)`` accepts, in order;
        returns the bytes saved. Written whole under a private name, fsynced and renamed over the
        journal, so a crash leaves the old journal or the new, never a mix. Only before appends start."""
        before = self.path.stat().st_size
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.rewrite")
        with temporary.open("wb") as out:
            out.write(MAGIC)
            for index, record in enumerate(self.records()):
                if keep(index, record):
                    out.write(encode(record.header, record.body))
            out.flush()
            os.fsync(out.fileno())
            end = out.tell()
        with self._lock:
            os.replace(temporary, self.path)
            fsync_directory(self.path.parent)
            os.close(self._fd)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            self._recovered_end = end
        return before - end

    def forget_recovered(self) -> None:
        """After the replay, the recovered records are the state; ``records()`` yields nothing more."""
        self._recovered_end = 0

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
