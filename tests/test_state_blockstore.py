"""BlockStore: contiguous heights, indexes, idempotent re-save, persistence, sharing a KV."""
from __future__ import annotations

import pytest

from state.blockstore import BlockStore, HeightError
from state.kv import LevelKV, MemoryKV
from state.store import CommitStore


def save_block(store: BlockStore, height: int, txs: int = 2) -> None:
    store.save(
        height,
        b"hash%d" % height,
        b"block%d" % height,
        b"commit%d" % height,
        [b"tx%d.%d" % (height, i) for i in range(txs)],
    )


def test_empty_store() -> None:
    store = BlockStore(MemoryKV())
    assert store.height == 0
    assert store.block(0) is None and store.block(1) is None and store.commit(-1) is None
    assert store.height_of(b"nope") is None and store.tx_location(b"nope") is None


def test_save_and_look_up() -> None:
    store = BlockStore(MemoryKV())
    for height in (1, 2, 3):
        save_block(store, height, txs=height)
    assert store.height == 3
    assert store.block(2) == b"block2" and store.commit(2) == b"commit2"
    assert store.block_hash(3) == b"hash3" and store.height_of(b"hash3") == 3
    assert store.tx_location(b"tx3.2") == (3, 2) and store.tx_location(b"tx1.0") == (1, 0)
    assert store.block(4) is None


def test_heights_must_be_contiguous() -> None:
    store = BlockStore(MemoryKV())
    with pytest.raises(HeightError, match="next height is 1"):
        save_block(store, 2)
    save_block(store, 1)
    save_block(store, 1)  # the same block again: replay after a crash
    with pytest.raises(HeightError):
        store.save(1, b"other hash", b"b", b"c", [])
    assert store.height == 1 and store.block_hash(1) == b"hash1"


def test_a_chain_imported_at_a_later_height_starts_its_store_there() -> None:
    kv = MemoryKV()
    store = BlockStore(kv, initial_height=8)
    assert store.height == 7 and store.block(7) is None
    with pytest.raises(HeightError, match="next height is 8"):
        save_block(store, 1)
    save_block(store, 8)
    save_block(store, 9)
    assert BlockStore(kv, initial_height=8).height == 9 and store.block(8) == b"block8"


def test_results() -> None:
    store = BlockStore(MemoryKV())
    with pytest.raises(HeightError):
        store.save_results(1, b"r")
    save_block(store, 1)
    store.save_results(1, b"results1")
    assert store.results(1) == b"results1" and store.results(2) is None


def test_persists_and_shares_a_kv_with_the_state(tmp_path) -> None:
    kv = LevelKV(tmp_path / "db")
    blocks, state = BlockStore(kv), CommitStore(kv)
    save_block(blocks, 1)
    state.commit(1, {b"bb": b"state key that looks like a block key"})
    kv.close()
    kv = LevelKV(tmp_path / "db")
    blocks, state = BlockStore(kv), CommitStore(kv)
    assert blocks.height == 1 and blocks.block(1) == b"block1" and blocks.tx_location(b"tx1.1") == (1, 1)
    assert list(state.iterate()) == [(b"bb", b"state key that looks like a block key")]
    kv.close()
