"""`akechain simulate`'s speed: simulated blocks/s and tx/s for a mixed workload over every module
(txs drawn from each module's strategies, valid and invalid, every invariant checked after every
block, the determinism replay at the end), beside the in-process transfer apply rate of this run.
Run: .venv/bin/python -m bench.simulate [--blocks 300] [--txs-per-block 20]
"""
from __future__ import annotations

import argparse
import time

from akechain.chain.crypto import get_address, signing_key_from_seed
from akechain.testing import Setup, make_sim_app_state, make_sim_keys
from akechain.testing.simulate import simulate
from bench.tx_apply import ACCOUNTS, make_app, make_txs
from consensus.abci import BlockRequest


def measure_transfer_rate(count: int = 10_000, block: int = 2_000) -> float:
    """Transfers decoded, verified and applied per second through finalize_block (as bench.tx_apply)."""
    keys = [signing_key_from_seed(i.to_bytes(32, "big")) for i in range(1, ACCOUNTS + 1)]
    txs = make_txs(keys, count)
    app = make_app(keys)
    seconds = 0.0
    for height, start in enumerate(range(0, count, block), start=1):
        request = BlockRequest(height, height * 1000, bytes(32), bytes(20), tuple(txs[start:start + block]), bytes(32))
        started = time.perf_counter()
        app.finalize_block(request)
        seconds += time.perf_counter() - started
        app.commit()
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=300)
    parser.add_argument("--txs-per-block", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    keys = make_sim_keys(12)
    setup = Setup(make_sim_app_state([get_address(k) for k in keys]))
    started = time.perf_counter()
    report = simulate(setup, keys, args.blocks, args.seed, args.txs_per_block)
    seconds = time.perf_counter() - started
    txs = sum(ok + failed for _, ok, failed in report.outcomes)
    ok = sum(ok for _, ok, _ in report.outcomes)
    kinds = len({kind for kind, _, _ in report.outcomes if not kind.startswith("fault/")})
    transfer_rate = measure_transfer_rate()
    print(f"simulated blocks:                   {args.blocks / seconds:9.1f} blocks/s  ({args.blocks} blocks in {seconds:.1f} s)")
    print(f"simulated txs:                      {txs / seconds:9.0f} tx/s      ({txs} txs, {ok} ok, {kinds} msg kinds)")
    print(f"transfers via finalize_block:       {transfer_rate:9.0f} tx/s      (same process, bench.tx_apply's workload)")
    print(f"ratio simulated / transfer apply:   {txs / seconds / transfer_rate:9.2f}")


if __name__ == "__main__":
    main()
