"""Blocks, their commits and results, by height, with block-hash and tx-hash indexes.

Blocks are opaque bytes here (the codec lives with whoever builds them). Heights are contiguous
so block sync and replay can walk them; `save` writes a block and all its indexes in one fsynced
batch, so a crash never leaves a block without its commit or index.

KV layout (two-byte prefixes so the KV may be shared with a CommitStore):
    bb<height:8>   block          bc<height:8>  commit        br<height:8>  results
    bh<height:8>   block hash     bi<hash>      height        bt<tx hash>   height:8 || index:4
    bn             highest saved height
"""
from __future__ import annotations

from typing import Sequence

from state.kv import KV

BLOCK = b"bb"
COMMIT = b"bc"
RESULTS = b"br"
HASH = b"bh"
HEIGHT_OF = b"bi"
TX = b"bt"
LAST_HEIGHT = b"bn"


class BlockStoreError(Exception):
    """Base of the errors raised by BlockStore."""


class HeightError(BlockStoreError):
    """A height out of sequence, or a different block for a height already saved."""


def _height_bytes(height: int) -> bytes:
    return height.to_bytes(8, "big")


class BlockStore:
    """Saved blocks initial_height..height and what the node needs to serve and replay them."""

    def __init__(self, kv: KV, initial_height: int = 1) -> None:
        """`initial_height`: the chain's first block (above 1 for a chain imported from an export);
        an empty store is at the height before it."""
        self._kv = kv
        self.initial_height = initial_height
        last = kv.get(LAST_HEIGHT)
        self.height = initial_height - 1 if last is None else int.from_bytes(last, "big")

    def save(
        self, height: int, block_hash: bytes, block: bytes, commit: bytes, tx_hashes: Sequence[bytes],
        sync: bool = True,
    ) -> None:
        """Store a block, its commit and its indexes atomically. Saving the same block at the
        current height again is a no-op, so replay after a crash may repeat the last save. Without
        `sync` the save is durable with the next synced write of this store (one log, in order)."""
        # Verify the height extends the chain (or repeats its last block exactly)
        if height == self.height and height > 0 and self.block_hash(height) == block_hash:
            return
        if height != self.height + 1:
            raise HeightError(f"cannot save block at height {height}: the next height is {self.height + 1}")
        key = _height_bytes(height)
        puts = {
            BLOCK + key: block,
            COMMIT + key: commit,
            HASH + key: block_hash,
            HEIGHT_OF + block_hash: key,
            LAST_HEIGHT: key,
        }
        for index, tx_hash in enumerate(tx_hashes):
            puts[TX + tx_hash] = key + index.to_bytes(4, "big")
        self._kv.write(puts, sync=sync)
        self.height = height

    def save_results(self, height: int, results: bytes) -> None:
        """Store the encoded execution results of a saved block."""
        # Verify the block is saved
        if not 1 <= height <= self.height:
            raise HeightError(f"cannot save results for height {height}: blocks saved up to {self.height}")
        self._kv.write({RESULTS + _height_bytes(height): results}, sync=True)

    def block(self, height: int) -> bytes | None:
        return self._kv.get(BLOCK + _height_bytes(height)) if height > 0 else None

    def block_hash(self, height: int) -> bytes | None:
        return self._kv.get(HASH + _height_bytes(height)) if height > 0 else None

    def height_of(self, block_hash: bytes) -> int | None:
        found = self._kv.get(HEIGHT_OF + block_hash)
        return None if found is None else int.from_bytes(found, "big")

    def commit(self, height: int) -> bytes | None:
        return self._kv.get(COMMIT + _height_bytes(height)) if height > 0 else None

    def results(self, height: int) -> bytes | None:
        return self._kv.get(RESULTS + _height_bytes(height)) if height > 0 else None

    def tx_location(self, tx_hash: bytes) -> tuple[int, int] | None:
        """(height, index in block) of a saved tx."""
        found = self._kv.get(TX + tx_hash)
        if found is None:
            return None
        return int.from_bytes(found[:8], "big"), int.from_bytes(found[8:], "big")
