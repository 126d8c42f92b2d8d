"""Authenticated, versioned application state: flat latest values plus the Merkle tree, in one KV.

The flat copy serves `get` and sorted `iterate` without walking the tree; the tree gives the root
(app hash), past versions and proofs. `commit` writes both, the version's root and the caller's
metadata in one fsynced batch, so a crash leaves either the whole version or none of it.

KV layout (two-byte prefixes so a BlockStore may share the KV):
    sf<key>        latest value
    sn<hash>       tree node (see smt)
    sr<version:8>  root of a version
    sm<key>        metadata saved by commit (unauthenticated)
    sv             last committed version
"""
from __future__ import annotations

from operator import itemgetter
from typing import Iterator, Mapping

from state import smt
from state.kv import KV

FLAT = b"sf"
NODE = b"sn"
ROOT = b"sr"
META = b"sm"
LAST_VERSION = b"sv"


class StoreError(Exception):
    """Base of the errors raised by CommitStore."""


class VersionError(StoreError):
    """A version that is not committed (reads) or not the next one (commit)."""


def _version_bytes(version: int) -> bytes:
    return version.to_bytes(8, "big")


def _require_bytes(what: str, item: object) -> None:
    if not isinstance(item, bytes):
        raise TypeError(f"{what} must be bytes, got {type(item).__name__}")


class CommitStore:
    """Latest state for the app plus the versioned tree whose root is the app hash."""

    def __init__(self, kv: KV, cache_levels: int = 20) -> None:
        self._kv = kv
        last = kv.get(LAST_VERSION)
        version = 0 if last is None else int.from_bytes(last, "big")
        # One tuple, replaced at once: a reader in another thread never pairs a version with
        # another version's root while a commit lands.
        self._head = (version, self._stored_root(version))
        self._tree = smt.Tree(kv, NODE, cache_levels)

    @property
    def version(self) -> int:
        return self._head[0]

    def head(self) -> tuple[int, bytes]:
        """The last committed version and its root, read together."""
        return self._head

    def root(self, version: int | None = None) -> bytes:
        """The tree root after `version` (default: the last); EMPTY_ROOT for version 0."""
        last, root = self._head
        if version is None or version == last:
            return root
        self._check_readable(version)
        return self._stored_root(version)

    def _stored_root(self, version: int) -> bytes:
        if version == 0:
            return smt.EMPTY_ROOT
        root = self._kv.get(ROOT + _version_bytes(version))
        if root is None:
            raise VersionError(f"no root stored for version {version}")
        return root

    def _check_readable(self, version: int) -> None:
        if not 0 <= version <= self.version:
            raise VersionError(f"version {version} is not committed (last is {self.version})")

    def get(self, key: bytes) -> bytes | None:
        """The latest committed value of `key`."""
        return self._kv.get(FLAT + key)

    def get_at(self, key: bytes, version: int) -> bytes | None:
        """The value of `key` as of `version`, read through that version's tree."""
        return self._tree.get(self.root(version), smt.hash_key(key))

    def iterate(self, prefix: bytes = b"", start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Latest (key, value) pairs under `prefix`, sorted by key, from `start` (inclusive) on."""
        skip = len(FLAT)
        first = None if start is None else FLAT + start
        return ((key[skip:], value) for key, value in self._kv.iterate(FLAT + prefix, start=first))

    def get_meta(self, key: bytes) -> bytes | None:
        """Metadata saved by the last commit that set `key`."""
        return self._kv.get(META + key)

    def prove(self, key: bytes, version: int | None = None) -> smt.Proof:
        """A (non-)membership proof of `key` against `root(version)`."""
        return self._tree.prove(self.root(version), smt.hash_key(key))

    def commit(
        self, version: int, changes: Mapping[bytes, bytes | None], meta: Mapping[bytes, bytes] = {},
        first: bool = False,
    ) -> bytes:
        """Apply `changes` (None deletes) as `version` and persist everything in one fsynced
        batch; returns the new root. `first`: an empty store's first version may be above 1 (a chain
        imported from an export starts at its initial height)."""
        # Verify the version follows the last one
        if version != self.version + 1 and not (first and self.version == 0 and version >= 1):
            raise VersionError(f"cannot commit version {version}: the next version is {self.version + 1}")
        puts: dict[bytes, bytes] = {}
        deletes: list[bytes] = []
        tree_changes: list[tuple[bytes, bytes | None]] = []
        for key, value in changes.items():
            _require_bytes("key", key)
            if value is None:
                deletes.append(FLAT + key)
            else:
                _require_bytes(f"value of {key!r}", value)
                puts[FLAT + key] = value
            tree_changes.append((smt.hash_key(key), value))
        for key, value in meta.items():
            _require_bytes("meta key", key)
            _require_bytes(f"meta value of {key!r}", value)
            puts[META + key] = value
        tree_changes.sort(key=itemgetter(0))
        root = self._tree.update(self._head[1], tree_changes, puts)
        puts[ROOT + _version_bytes(version)] = root
        puts[LAST_VERSION] = _version_bytes(version)
        self._kv.write(puts, deletes, sync=True)
        self._head = (version, root)
        return root
