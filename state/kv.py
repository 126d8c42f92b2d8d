"""Ordered bytes-to-bytes stores with atomic batches: LevelDB for nodes, a dict twin for tests.

Everything durable in the node (state tree, flat values, blocks) goes through `KV`, so the
atomicity of one `write` is what makes a block commit all-or-nothing after a crash.

Iteration semantics shared by both stores: keys ascend (descend when `reverse`), only keys that
start with `prefix` are yielded, and `start` is the first key that may be yielded (inclusive): keys
`>= start` going forward, keys `<= start` in reverse. Iteration sees the store as it was when
`iterate` was called, whatever is written meanwhile. In one `write`, deletes apply before puts.
"""
from __future__ import annotations

import bisect
import itertools
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Protocol

import plyvel

BLOCK_CACHE_BYTES = 256 * 1024 * 1024
WRITE_BUFFER_BYTES = 64 * 1024 * 1024
BLOOM_BITS_PER_KEY = 10


class KVError(Exception):
    """The store cannot serve the request (closed, locked by another process, unreadable)."""


class KVClosedError(KVError):
    """The store was used after `close()`."""


class KV(Protocol):
    """An ordered map of bytes with atomic multi-key writes."""

    def get(self, key: bytes) -> bytes | None:
        """The value stored at `key`, or None."""
        ...

    def iterate(
        self, prefix: bytes = b"", start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) pairs under `prefix` in key order (see the module docstring)."""
        ...

    def write(
        self, puts: Mapping[bytes, bytes], deletes: Iterable[bytes] = (), sync: bool = True
    ) -> None:
        """Apply all deletes then all puts atomically; `sync` waits until they are on disk."""
        ...

    def close(self) -> None:
        """Release the store; later calls raise KVClosedError. Closing twice is harmless."""
        ...


def prefix_end(prefix: bytes) -> bytes | None:
    """The smallest key greater than every key starting with `prefix` (None: no such key)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


def _check_start(prefix: bytes, start: bytes | None, reverse: bool) -> bool:
    """False when `start` lies outside the prefix range on the side that leaves nothing to yield."""
    if start is None or start.startswith(prefix):
        return True
    return start < prefix if not reverse else start > prefix


class LevelKV:
    """LevelDB through plyvel: bloom filters, a large block cache, no compression (hashes don't
    compress and the CPU is better spent hashing)."""

    def __init__(self, path: str | Path) -> None:
        try:
            self._db = plyvel.DB(
                str(path),
                create_if_missing=True,
                bloom_filter_bits=BLOOM_BITS_PER_KEY,
                compression=None,
                lru_cache_size=BLOCK_CACHE_BYTES,
                write_buffer_size=WRITE_BUFFER_BYTES,
            )
        except plyvel.Error as exc:
            raise KVError(f"cannot open LevelDB at {path}: {exc}") from exc
        self.path = Path(path)

    def get(self, key: bytes) -> bytes | None:
        try:
            return self._db.get(key)
        except RuntimeError as exc:  # plyvel's "Database is closed"
            raise KVClosedError(f"LevelDB at {self.path} is closed") from exc

    def iterate(
        self, prefix: bytes = b"", start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        if self._db.closed:
            raise KVClosedError(f"LevelDB at {self.path} is closed")
        if not _check_start(prefix, start, reverse):
            return iter(())
        lower: bytes = prefix
        upper = prefix_end(prefix)
        if start is not None and start.startswith(prefix):
            if reverse:
                upper = start + b"\x00"  # exclusive bound just above `start`
            else:
                lower = start
        # plyvel's iterator holds an implicit snapshot taken here, not at the first next().
        if not reverse:
            return self._db.iterator(start=lower, stop=upper)
        # plyvel 1.5 skips the lowest key of the DB when it equals a reverse iterator's `start`:
        # bound the lower end here instead.
        descending = self._db.iterator(stop=upper, reverse=True)
        return itertools.takewhile(lambda item: item[0] >= lower, descending) if lower else descending

    def write(
        self, puts: Mapping[bytes, bytes], deletes: Iterable[bytes] = (), sync: bool = True
    ) -> None:
        try:
            with self._db.write_batch(transaction=True, sync=sync) as batch:
                for key in deletes:
                    batch.delete(key)
                for key, value in puts.items():
                    batch.put(key, value)
        except RuntimeError as exc:
            raise KVClosedError(f"LevelDB at {self.path} is closed") from exc

    def close(self) -> None:
        self._db.close()


def _require_bytes(what: str, item: object) -> bytes:
    """Reject what LevelDB would reject, so tests on MemoryKV catch it too."""
    if not isinstance(item, bytes):
        raise TypeError(f"{what} must be bytes, got {type(item).__name__}")
    return item


class MemoryKV:
    """A dict with a lazily sorted key list; copy-on-write so open iterators keep their snapshot."""

    def __init__(self) -> None:
        self._data: dict[bytes, bytes] = {}
        self._sorted: list[bytes] | None = []
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise KVClosedError("MemoryKV is closed")

    def get(self, key: bytes) -> bytes | None:
        self._check_open()
        return self._data.get(key)

    def iterate(
        self, prefix: bytes = b"", start: bytes | None = None, reverse: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        self._check_open()
        if not _check_start(prefix, start, reverse):
            return iter(())
        if self._sorted is None:
            self._sorted = sorted(self._data)
        keys, data = self._sorted, self._data
        lo = bisect.bisect_left(keys, prefix)
        end = prefix_end(prefix)
        hi = len(keys) if end is None else bisect.bisect_left(keys, end, lo)
        if start is not None and start.startswith(prefix):
            if reverse:
                hi = bisect.bisect_right(keys, start, lo, hi)
            else:
                lo = bisect.bisect_left(keys, start, lo, hi)
        span = range(hi - 1, lo - 1, -1) if reverse else range(lo, hi)
        return ((keys[i], data[keys[i]]) for i in span)

    def write(
        self, puts: Mapping[bytes, bytes], deletes: Iterable[bytes] = (), sync: bool = True
    ) -> None:
        self._check_open()
        data = dict(self._data)
        keys_changed = False
        for key in deletes:
            keys_changed |= data.pop(_require_bytes("key", key), None) is not None
        for key, value in puts.items():
            keys_changed |= _require_bytes("key", key) not in data
            data[key] = _require_bytes("value", value)
        if keys_changed:
            self._sorted = None
        self._data = data

    def close(self) -> None:
        self._closed = True
