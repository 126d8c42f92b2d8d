"""Signed transfers through the app vs raw ed25519 verification, in one process.

Prints the raw pynacl verify rate, the rate of transfers decoded, verified and applied through
`App.finalize_block` (fresh txs, so no cached signature verdicts), their ratio (target >= 0.5),
and, for information, the commit cost and the mempool admission rate.
Run: .venv/bin/python -m bench.tx_apply [--txs 20000] [--block 2000]
"""
from __future__ import annotations

import argparse
import time


from akechain.chain.app import App
from bench.baseline import measure_verify_seconds
from akechain.chain.crypto import get_address, signing_key_from_seed
from akechain.chain.genesis import build_genesis, encode_app_state
from akechain.node.mempool import Mempool
from akechain.chain.modules.auth.params import DEFAULT_PARAMS as AUTH_PARAMS
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.tx import build_tx_paying_fee
from consensus.abci import BlockRequest, GenesisRequest
from state.kv import MemoryKV
from state.store import CommitStore

CHAIN_ID = "ake-bench-1"
ACCOUNTS = 1000


def make_app(keys: list) -> App:
    genesis = build_genesis(CHAIN_ID, (), {get_address(k): 10**15 for k in keys})
    app = App(CommitStore(MemoryKV()))
    app.init_chain(GenesisRequest(CHAIN_ID, 0, 1, encode_app_state(genesis["app_state"]), ()))
    return app


def make_txs(keys: list, count: int) -> list[bytes]:
    recipients = [get_address(k) for k in keys]
    return [
        build_tx_paying_fee(keys[i % len(keys)], CHAIN_ID, i // len(keys), [MsgSend(recipients[(i + 1) % len(keys)], 1)],
                            AUTH_PARAMS)
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=20_000)
    parser.add_argument("--block", type=int, default=2_000)
    args = parser.parse_args()
    keys = [signing_key_from_seed(i.to_bytes(32, "big")) for i in range(1, ACCOUNTS + 1)]
    txs = make_txs(keys, args.txs)

    app = make_app(keys)
    verify_seconds = finalize_seconds = commit_seconds = 0.0
    for height, start in enumerate(range(0, len(txs), args.block), start=1):
        block = BlockRequest(height, height * 1000, bytes(32), bytes(20), tuple(txs[start:start + args.block]), bytes(32))
        verify_seconds += measure_verify_seconds(len(block.txs))  # interleaved, so machine load hits both alike
        started = time.perf_counter()
        result = app.finalize_block(block)
        finished = time.perf_counter()
        app.commit()
        commit_seconds += time.perf_counter() - finished
        finalize_seconds += finished - started
        if not all(r.ok for r in result.tx_results):
            raise SystemExit(f"a transfer failed at height {height}")
    apply_rate = len(txs) / finalize_seconds
    verify_rate = len(txs) / verify_seconds

    pool = Mempool(make_app(keys), max_txs=len(txs))
    started = time.perf_counter()
    for tx in txs:
        pool.add(tx)
    admit_rate = len(txs) / (time.perf_counter() - started)

    print(f"raw ed25519 verify (pynacl):        {verify_rate:9.0f} /s")
    print(f"transfers via finalize_block:       {apply_rate:9.0f} tx/s  (decode + verify + apply)")
    print(f"ratio apply / verify:               {apply_rate / verify_rate:9.2f}   (target >= 0.50)")
    print(f"with commit (SMT + KV batch):       {len(txs) / (finalize_seconds + commit_seconds):9.0f} tx/s")
    print(f"mempool admission (check_tx):       {admit_rate:9.0f} tx/s")


if __name__ == "__main__":
    main()
