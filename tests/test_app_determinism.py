"""Same genesis + same blocks => same app hash, on any KV backend; export re-imports to the same hash."""
from __future__ import annotations

import random
from pathlib import Path

from akechain.app import App
from akechain.crypto import get_address
from akechain.genesis import encode_app_state, load_genesis
from akechain.modules.bank.msgs import MsgMultiSend, MsgSend, Output
from akechain.tx import build_tx
from state.kv import LevelKV, MemoryKV
from state.store import CommitStore
from test_app_support import CHAIN_ID, make_app, make_genesis, make_keys, run_block

KEYS = make_keys(6)
ADDRESSES = [get_address(k) for k in KEYS]


def make_blocks(count: int) -> list[list[bytes]]:
    """Blocks of sends and multi-sends, some failing (overspend, stale nonce); seeded, so repeatable."""
    rng = random.Random(7)
    nonces = [0] * len(KEYS)
    blocks = []
    for _ in range(count):
        txs = []
        for _ in range(rng.randint(0, 12)):
            s = rng.randrange(len(KEYS))
            if rng.random() < 0.5:
                msg = MsgSend(rng.choice(ADDRESSES), rng.randint(1, 3 * 10**8))
            else:
                msg = MsgMultiSend(tuple(Output(rng.choice(ADDRESSES), rng.randint(1, 10**6)) for _ in range(3)))
            nonce = max(0, nonces[s] - (rng.random() < 0.1))
            txs.append(build_tx(KEYS[s], CHAIN_ID, nonce, rng.randint(10, 100), [msg]))
            nonces[s] = max(nonces[s], nonce + 1)
        blocks.append(txs)
    return blocks


def test_two_apps_agree_at_every_height(tmp_path) -> None:
    app_state = make_genesis(KEYS)["app_state"]
    level = LevelKV(tmp_path / "db")
    first, first_genesis = make_app(app_state, CommitStore(level))
    second, second_genesis = make_app(app_state, CommitStore(MemoryKV()))
    assert first_genesis == second_genesis
    for txs in make_blocks(15):
        first_result, first_hash = run_block(first, txs)
        second_result, second_hash = run_block(second, txs)
        assert first_result == second_result
        assert first_hash == second_hash
        assert first.info() == second.info()
    first.check_invariants()
    # A restarted app resumes from the store: same height, hash and chain id
    level.close()
    restarted = App(CommitStore(LevelKV(tmp_path / "db")))
    assert restarted.info() == second.info()
    assert restarted.chain_id == CHAIN_ID


def test_genesis_export_reimports_to_the_same_hash() -> None:
    app, _ = make_app(make_genesis(KEYS)["app_state"])
    for txs in make_blocks(8):
        run_block(app, txs)
    exported = app.export_app_state()
    assert exported["bank"]["supply"]["burned"] > 0
    reimported, genesis_hash = make_app(exported)
    assert genesis_hash == app.info().last_app_hash
    run_block(reimported, [])
    assert reimported.export_app_state() == exported
    assert encode_app_state(reimported.export_app_state()) == encode_app_state(exported)


def test_genesis_hash_is_the_root_committed_with_block_one() -> None:
    app, genesis_hash = make_app(make_genesis(KEYS)["app_state"])
    _, root = run_block(app, [])
    assert root == genesis_hash


def test_repo_genesis_file_starts_a_chain() -> None:
    genesis = load_genesis(Path(__file__).resolve().parent.parent / "genesis.json")
    assert genesis["chain_id"] == "ake-devnet-1"
    app, _ = make_app(genesis["app_state"])
    run_block(app, [])
    app.check_invariants()
    assert app.get_supply().total == sum(b["amount"] for b in genesis["app_state"]["bank"]["balances"])
