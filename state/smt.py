"""Sparse Merkle tree with compressed paths (Diem/Jellyfish style); its root is the app hash.

A key sits at the path sha256(key) (256 bits, most significant first). A subtree that holds one
leaf is replaced by that leaf, an empty subtree hashes to `EMPTY_ROOT`, so the tree is ~log2(n)
deep and its shape (hence its root) depends only on the key->value set, never on history:

    leaf hash     = sha256(0x00 || key_hash || value_hash)
    internal hash = sha256(0x01 || left || right)

Nodes are immutable and stored by their hash, so every past root stays readable. A stored node is
its 65-byte hash preimage, a leaf followed by its value: decoding is slicing, no serializer.
"""
from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from typing import MutableMapping, Sequence

from state.kv import KV

EMPTY_ROOT = bytes(32)
HASH_SIZE = 32
KEY_BITS = 256
LEAF = 0x00
INTERNAL = 0x01
_LEAF_TAG = bytes([LEAF])
_INTERNAL_TAG = bytes([INTERNAL])
_PREIMAGE_SIZE = 1 + 2 * HASH_SIZE

_sha256 = hashlib.sha256


class MissingNodeError(LookupError):
    """A node the tree refers to is not in the store (pruned version or a damaged database)."""


@dataclass(frozen=True, slots=True)
class ProofLeaf:
    """The leaf found where the proven key's path ends."""

    key_hash: bytes
    value_hash: bytes


@dataclass(frozen=True, slots=True)
class Proof:
    """Siblings from the root down to where the key's path ends, and the leaf found there.

    Membership: `leaf` is the key's own leaf. Non-membership: `leaf` is None (the path ends in an
    empty subtree) or another key's leaf occupying the path.
    """

    siblings: tuple[bytes, ...]
    leaf: ProofLeaf | None


def hash_key(key: bytes) -> bytes:
    """The key's 256-bit path in the tree."""
    return _sha256(key).digest()


def hash_leaf(key_hash: bytes, value_hash: bytes) -> bytes:
    return _sha256(_LEAF_TAG + key_hash + value_hash).digest()


def hash_internal(left: bytes, right: bytes) -> bytes:
    return _sha256(_INTERNAL_TAG + left + right).digest()


def _bit(key_hash: bytes, depth: int) -> int:
    return (key_hash[depth >> 3] >> (7 - (depth & 7))) & 1


def _right_start(key_hashes: Sequence[bytes], depth: int, lo: int, hi: int) -> int:
    """Index of the first key in sorted [lo, hi) whose bit `depth` is 1 (all share the bits above)."""
    if hi - lo == 1:  # the common case below the top levels
        return lo if _bit(key_hashes[lo], depth) else hi
    shift = KEY_BITS - 1 - depth
    boundary = (((int.from_bytes(key_hashes[lo], "big") >> shift) | 1) << shift).to_bytes(HASH_SIZE, "big")
    return bisect.bisect_left(key_hashes, boundary, lo, hi)


def verify_proof(root: bytes, key: bytes, value: bytes | None, proof: Proof) -> bool:
    """Whether `proof` shows that `key` maps to `value` (None: is absent) under `root`."""
    siblings = proof.siblings
    if len(siblings) > KEY_BITS or any(len(s) != HASH_SIZE for s in siblings):
        return False
    key_hash = hash_key(key)
    leaf = proof.leaf
    if leaf is None:
        if value is not None:
            return False
        node = EMPTY_ROOT
    else:
        if len(leaf.key_hash) != HASH_SIZE or len(leaf.value_hash) != HASH_SIZE:
            return False
        if value is None:
            # Another key's leaf can only sit on our path if it shares the path so far.
            if leaf.key_hash == key_hash or not _same_prefix(leaf.key_hash, key_hash, len(siblings)):
                return False
        elif leaf.key_hash != key_hash or leaf.value_hash != _sha256(value).digest():
            return False
        node = hash_leaf(leaf.key_hash, leaf.value_hash)
    for depth in range(len(siblings) - 1, -1, -1):
        if _bit(key_hash, depth):
            node = hash_internal(siblings[depth], node)
        else:
            node = hash_internal(node, siblings[depth])
    return node == root


def _same_prefix(a: bytes, b: bytes, bits: int) -> bool:
    shift = KEY_BITS - bits
    return int.from_bytes(a, "big") >> shift == int.from_bytes(b, "big") >> shift


class Tree:
    """Reads and updates over content-addressed nodes stored in `kv` under `prefix`; knows
    nothing of versions.

    The internal nodes of the latest tree above depth `cache_levels` stay in memory (at most
    2**cache_levels of them, ~200 bytes each; the default caps it near 200 MiB): node reads
    dominate commit time, and each cached level saves one read per changed key, upper levels
    for fewer nodes. Updates fill the cache and drop the nodes they replace, so it holds the
    latest tree only and needs no eviction. Reads of any version go through it but add nothing.
    """

    def __init__(self, kv: KV, prefix: bytes, cache_levels: int = 20) -> None:
        self._kv = kv
        self._prefix = prefix
        self._cache: dict[bytes, bytes] = {}
        self._cache_levels = cache_levels

    def _load(self, node_hash: bytes) -> bytes:
        stored = self._cache.get(node_hash)
        if stored is None:
            stored = self._kv.get(self._prefix + node_hash)
            if stored is None:
                raise MissingNodeError(f"tree node {node_hash.hex()} is not in the store")
        return stored

    def get(self, root: bytes, key_hash: bytes) -> bytes | None:
        """The value at `key_hash` under `root`, or None."""
        node, depth = root, 0
        while node != EMPTY_ROOT:
            stored = self._load(node)
            if stored[0] == LEAF:
                return stored[_PREIMAGE_SIZE:] if stored[1:33] == key_hash else None
            node = stored[33:65] if _bit(key_hash, depth) else stored[1:33]
            depth += 1
        return None

    def prove(self, root: bytes, key_hash: bytes) -> Proof:
        """A membership or non-membership proof for `key_hash` under `root`."""
        siblings: list[bytes] = []
        node = root
        while node != EMPTY_ROOT:
            stored = self._load(node)
            if stored[0] == LEAF:
                return Proof(tuple(siblings), ProofLeaf(stored[1:33], stored[33:65]))
            if _bit(key_hash, len(siblings)):
                siblings.append(stored[1:33])
                node = stored[33:65]
            else:
                siblings.append(stored[33:65])
                node = stored[1:33]
        return Proof(tuple(siblings), None)

    def update(
        self, root: bytes, changes: Sequence[tuple[bytes, bytes | None]], puts: MutableMapping[bytes, bytes]
    ) -> bytes:
        """The root after setting each (key hash, value) of `changes`, sorted by key hash
        (value None deletes), starting from the latest root. Every new node goes into `puts`
        (KV key -> stored) for the caller to write in its batch. One recursive pass, so shared
        upper nodes are built once. If that write fails, the cache stays correct: nodes are
        addressed by content, and the next update rewrites any node it creates."""
        if not changes:
            return root
        key_hashes = [key_hash for key_hash, _ in changes]
        leaf_hashes = [None if value is None else self._put_leaf(key_hash, value, puts) for key_hash, value in changes]
        return _Update(self, key_hashes, leaf_hashes, puts).run(root, 0, 0, len(changes))[0]

    def _put_leaf(self, key_hash: bytes, value: bytes, puts: MutableMapping[bytes, bytes]) -> bytes:
        stored = _LEAF_TAG + key_hash + _sha256(value).digest() + value
        leaf_hash = _sha256(stored[:_PREIMAGE_SIZE]).digest()
        puts[self._prefix + leaf_hash] = stored
        return leaf_hash


class _Update:
    """One batch update: the sorted changes and the batch for new nodes, shared by the recursion."""

    def __init__(
        self,
        tree: Tree,
        key_hashes: Sequence[bytes],
        leaf_hashes: Sequence[bytes | None],
        puts: MutableMapping[bytes, bytes],
    ) -> None:
        self.tree = tree
        self.cache = tree._cache
        self.cache_levels = tree._cache_levels
        self.key_hashes = key_hashes
        self.leaf_hashes = leaf_hashes
        self.puts = puts

    def run(self, node: bytes, depth: int, lo: int, hi: int) -> tuple[bytes, bool | None]:
        """(new hash, is it a leaf) of `node` at `depth` after the changes [lo, hi); None = unknown."""
        if hi - lo == 1:
            return self._run_one(node, depth, lo)
        if node == EMPTY_ROOT:
            keys, leaves = self._survivors(lo, hi, None)
            return self._build(keys, leaves, depth, 0, len(keys))
        stored = self.cache.get(node)
        if stored is None:
            stored = self.tree._load(node)
            if stored[0] == LEAF:
                keys, leaves = self._survivors(lo, hi, (stored[1:33], node))
                return self._build(keys, leaves, depth, 0, len(keys))
        old_left, old_right = stored[1:33], stored[33:65]
        mid = _right_start(self.key_hashes, depth, lo, hi)
        left, left_leaf = self.run(old_left, depth + 1, lo, mid) if lo < mid else (old_left, None)
        right, right_leaf = self.run(old_right, depth + 1, mid, hi) if mid < hi else (old_right, None)
        if left == old_left and right == old_right:
            if depth < self.cache_levels:
                self.cache[node] = stored
            return node, False
        self.cache.pop(node, None)
        return self._join(left, left_leaf, right, right_leaf, depth)

    def _run_one(self, node: bytes, depth: int, at: int) -> tuple[bytes, bool | None]:
        """`run` for a single change, which is most of the tree below the top levels: walk
        down without recursion, then rehash the path bottom-up."""
        key_hash, cache = self.key_hashes[at], self.cache
        path: list[tuple[bytes, bytes, int]] = []  # (node, stored, went right)
        existing = None
        while node != EMPTY_ROOT:
            stored = cache.get(node)
            if stored is None:
                stored = self.tree._load(node)
                if stored[0] == LEAF:
                    existing = (stored[1:33], node)
                    break
            went_right = _bit(key_hash, depth)
            path.append((node, stored, went_right))
            node = stored[33:65] if went_right else stored[1:33]
            depth += 1
        keys, leaves = self._survivors(at, at + 1, existing)
        new, is_leaf = self._build(keys, leaves, depth, 0, len(keys))
        if new == node:  # a no-op change: the path stays as it is
            for depth, (node, stored, _) in enumerate(path, depth - len(path)):
                if depth < self.cache_levels:
                    cache[node] = stored
            return (path[0][0], False) if path else (new, is_leaf)
        for node, stored, went_right in reversed(path):
            depth -= 1
            cache.pop(node, None)
            if went_right:
                new, is_leaf = self._join(stored[1:33], None, new, is_leaf, depth)
            else:
                new, is_leaf = self._join(new, is_leaf, stored[33:65], None, depth)
        return new, is_leaf

    def _survivors(
        self, lo: int, hi: int, existing: tuple[bytes, bytes] | None
    ) -> tuple[list[bytes], list[bytes]]:
        """The sorted leaves of a subtree that was empty or the single leaf `existing`."""
        keys = [self.key_hashes[i] for i in range(lo, hi) if self.leaf_hashes[i] is not None]
        leaves = [h for h in self.leaf_hashes[lo:hi] if h is not None]
        if existing is not None:
            key_hash = existing[0]
            at = bisect.bisect_left(self.key_hashes, key_hash, lo, hi)
            if at == hi or self.key_hashes[at] != key_hash:  # neither replaced nor deleted
                pos = bisect.bisect_left(keys, key_hash)
                keys.insert(pos, key_hash)
                leaves.insert(pos, existing[1])
        return keys, leaves

    def _build(
        self, keys: list[bytes], leaves: list[bytes], depth: int, lo: int, hi: int
    ) -> tuple[bytes, bool]:
        """The subtree at `depth` holding exactly the sorted leaves [lo, hi)."""
        if hi - lo <= 1:
            return (leaves[lo], True) if hi > lo else (EMPTY_ROOT, False)
        mid = _right_start(keys, depth, lo, hi)
        left = self._build(keys, leaves, depth + 1, lo, mid)[0]
        right = self._build(keys, leaves, depth + 1, mid, hi)[0]
        return self._internal(left, right, depth), False

    def _join(
        self, left: bytes, left_leaf: bool | None, right: bytes, right_leaf: bool | None, depth: int
    ) -> tuple[bytes, bool]:
        """The parent of two children, collapsing to a lone leaf so the shape stays canonical."""
        if right == EMPTY_ROOT:
            if left == EMPTY_ROOT:
                return EMPTY_ROOT, False
            if self._is_leaf(left, left_leaf):
                return left, True
        elif left == EMPTY_ROOT and self._is_leaf(right, right_leaf):
            return right, True
        return self._internal(left, right, depth), False

    def _is_leaf(self, node: bytes, known: bool | None) -> bool:
        return known if known is not None else self.tree._load(node)[0] == LEAF

    def _internal(self, left: bytes, right: bytes, depth: int) -> bytes:
        stored = _INTERNAL_TAG + left + right
        node = _sha256(stored).digest()
        self.puts[self.tree._prefix + node] = stored
        if depth < self.cache_levels:
            self.cache[node] = stored
        return node
