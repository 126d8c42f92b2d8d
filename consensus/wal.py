"""Consensus write-ahead log: the inputs the engine acted on, own messages before they are sent.

Framing per record: 4-byte big-endian payload length, 4-byte CRC32 of the payload, payload (the
codec bytes of a `WALRecord`). On open, a torn last record (the node died mid-write) is cut off
and reported in `repaired_bytes`; damage anywhere else raises WALCorruptError, because records
after it may have been acted on and silently dropping them could lead to a double sign.
"""
from __future__ import annotations

import os
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from consensus.types import Message
from state.codec import CodecError, Tagged, decode, encode, tagged

_HEADER = struct.Struct(">II")
MAX_RECORD_BYTES = 64 * 1024 * 1024
ROTATE_BYTES = 64 * 1024 * 1024


class WALCorruptError(Exception):
    """A damaged record before the end of the log."""

    def __init__(self, path: Path, offset: int, reason: str) -> None:
        super().__init__(f"{path}: corrupt WAL record at byte offset {offset}: {reason}")
        self.path = path
        self.offset = offset


class WALRecord(Tagged):
    """One WAL entry."""


@tagged(WALRecord, "msg")
@dataclass(frozen=True, slots=True)
class MessageRecord(WALRecord):
    message: Message
    peer: str  # "" for the node's own signed messages


@tagged(WALRecord, "timeout")
@dataclass(frozen=True, slots=True)
class TimeoutRecord(WALRecord):
    height: int
    round: int
    step: int


@tagged(WALRecord, "end_height")
@dataclass(frozen=True, slots=True)
class EndHeightRecord(WALRecord):
    """Height `height` is committed: records before this marker are never replayed."""

    height: int


@dataclass(frozen=True, slots=True)
class _Entry:
    record: WALRecord


class WAL:
    def __init__(self, path: str | Path, rotate_bytes: int = ROTATE_BYTES,
                 on_fsync: Callable[[float], None] | None = None) -> None:
        """Open (creating) the log, repair a torn tail, and load its records. `on_fsync` hears how
        long each synced write's fsync took, in seconds (the node's metrics)."""
        self.path = Path(path)
        self.rotate_bytes = rotate_bytes
        self.on_fsync = on_fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        self.records, end, marker_end = self._scan()
        self.height_bytes = end - marker_end  # written since the last end-height marker
        size = os.fstat(self._fd).st_size
        self.repaired_bytes = size - end
        if self.repaired_bytes:
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)

    def _scan(self) -> tuple[list[WALRecord], int, int]:
        """(records, end of the last whole record, end of the last end-height marker)."""
        data = Path(self.path).read_bytes()
        records: list[WALRecord] = []
        offset = marker_end = 0
        while offset < len(data):
            if len(data) - offset < _HEADER.size:
                break  # torn header
            length, crc = _HEADER.unpack_from(data, offset)
            if length > MAX_RECORD_BYTES:
                raise WALCorruptError(self.path, offset, f"record length {length} exceeds {MAX_RECORD_BYTES}")
            end = offset + _HEADER.size + length
            if end > len(data):
                break  # torn payload
            payload = data[offset + _HEADER.size:end]
            if zlib.crc32(payload) != crc:
                if end == len(data):
                    break  # a last record whose write did not complete
                raise WALCorruptError(self.path, offset, "CRC mismatch")
            try:
                records.append(decode(_Entry, payload, max_size=MAX_RECORD_BYTES).record)
            except CodecError as exc:
                raise WALCorruptError(self.path, offset, f"undecodable record: {exc}") from exc
            offset = end
            if isinstance(records[-1], EndHeightRecord):
                marker_end = end
        return records, offset, marker_end

    def write(self, record: WALRecord, sync: bool = False) -> None:
        """Append `record`; with sync, it and everything before it are on disk on return.

        An end-height marker in a log over `rotate_bytes` starts a fresh log holding only that
        marker: nothing before a marker is ever replayed, so the log stays bounded."""
        frame = _frame(record)
        os.write(self._fd, frame)
        self.height_bytes = 0 if isinstance(record, EndHeightRecord) else self.height_bytes + len(frame)
        if sync:
            started = time.perf_counter()
            os.fsync(self._fd)
            if self.on_fsync is not None:
                self.on_fsync(time.perf_counter() - started)
        if isinstance(record, EndHeightRecord) and os.fstat(self._fd).st_size > self.rotate_bytes:
            self._rotate(record)

    def _rotate(self, marker: EndHeightRecord) -> None:
        """Replace the log with one holding just `marker`, atomically (write, fsync, rename)."""
        fresh = self.path.with_name(self.path.name + ".new")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, _frame(marker))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(fresh, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        self.records = [marker]

    def replay_records(self) -> list[WALRecord]:
        """Records after the last end-height marker: the inputs of the unfinished height."""
        for i in range(len(self.records) - 1, -1, -1):
            if isinstance(self.records[i], EndHeightRecord):
                return self.records[i + 1:]
        return list(self.records)

    def close(self) -> None:
        os.close(self._fd)


def _frame(record: WALRecord) -> bytes:
    payload = encode(_Entry(record))
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload
