"""The golden vector: a fixed genesis and fixed blocks of bank and market txs replay to the same
result codes, events and app hash at every height. Refactors must leave it passing unchanged;
only a deliberate state-machine change regenerates it (tests/golden_vector_gen.py)."""
from __future__ import annotations

import json
from pathlib import Path

from akechain.chain.app import App
from akechain.chain.genesis import encode_app_state
from consensus.abci import BlockRequest, GenesisRequest
from golden_vector_gen import compute_events_digest
from state.kv import MemoryKV
from state.store import CommitStore

VECTOR = json.loads((Path(__file__).resolve().parent / "golden" / "chain.json").read_text())


def test_blocks_replay_to_the_recorded_codes_events_and_app_hashes() -> None:
    app = App(CommitStore(MemoryKV()))
    genesis = app.init_chain(GenesisRequest(VECTOR["chain_id"], 0, 1, encode_app_state(VECTOR["app_state"]), ()))
    assert genesis.app_hash.hex() == VECTOR["genesis_app_hash"]
    for block in VECTOR["blocks"]:
        request = BlockRequest(height=block["height"], time_ms=block["time_ms"], hash=bytes(32),
                               proposer_address=bytes(20), txs=tuple(bytes.fromhex(tx) for tx in block["txs"]),
                               last_commit_hash=bytes.fromhex(block["last_commit_hash"]),
                               seed=bytes.fromhex(block["seed"]))
        result = app.finalize_block(request)
        assert [r.code for r in result.tx_results] == block["codes"], f"height {block['height']}"
        assert compute_events_digest(result) == block["events"], f"height {block['height']}"
        assert app.commit().hex() == block["app_hash"], f"height {block['height']}"
    app.check_invariants()
