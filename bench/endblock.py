"""Begin+end block time with 100 validators as delegations grow: rewards (the split and the signers'
accumulators), the downtime bitmap (a few validators absent), unbonding and redelegation queues
(entries pending, so each end block reads only the front), and the cost of one reward claim.

    .venv/bin/python bench/endblock.py [--sizes 1000,10000,100000] [--blocks 20]

For each size: the state is built in a temporary LevelDB (removed after) through the staking keeper (the distribution hooks run,
so every delegation has its reward starting point), then `--blocks` empty blocks are finalized and
committed; prints the median finalize time (begin + end block, no txs), the median commit time, and
the median time and store reads of one claim (query and withdraw). Figures should stay flat in size.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from akechain.chain.app import App  # noqa: E402
from akechain.chain.crypto import get_address, get_pub_key, signing_key_from_seed  # noqa: E402
from akechain.chain.genesis import build_gentx, build_genesis, encode_app_state  # noqa: E402
from akechain.chain.modules.bank.keeper import increase_balance  # noqa: E402
from akechain.chain.modules.distribution import keeper as distribution  # noqa: E402
from akechain.chain.modules.distribution.queries import query_reward  # noqa: E402
from akechain.chain.modules.staking import keeper as staking  # noqa: E402
from akechain.chain.modules.staking.params import get_params as get_staking_params  # noqa: E402
from akechain.chain.registry import DEFAULT_REGISTRY  # noqa: E402
from akechain.chain.store import BlockContext, Journal  # noqa: E402
from consensus.abci import BlockRequest, GenesisRequest, VoteInfo  # noqa: E402
from consensus.types import address_of  # noqa: E402
from state.kv import LevelKV  # noqa: E402
from state.store import CommitStore  # noqa: E402

CHAIN_ID = "ake-bench-1"
VALIDATORS = 100
BOND = 10**9
BLOCK_MS = 1_000


class CountingJournal(Journal):
    """A journal that counts its reads (what a claim costs, independent of the machine)."""

    reads = 0

    def get(self, key, cls):  # type: ignore[no-untyped-def]
        self.reads += 1
        return super().get(key, cls)


def make_app(directory: Path) -> tuple[App, list[bytes], list[bytes]]:
    """A chain whose 100 validators bonded by gentxs; returns it, the operators and their consensus addresses."""
    keys = [signing_key_from_seed(hashlib.sha256(b"op%d" % i).digest()) for i in range(VALIDATORS)]
    consensus = [get_pub_key(signing_key_from_seed(hashlib.sha256(b"cons%d" % i).digest())) for i in range(VALIDATORS)]
    gentxs = [build_gentx(k, CHAIN_ID, c, f"v{i}", BOND) for i, (k, c) in enumerate(zip(keys, consensus))]
    genesis = build_genesis(CHAIN_ID, gentxs, {get_address(k): 2 * BOND for k in keys})
    app = App(CommitStore(LevelKV(directory)))  # as a node stores it (an in-memory KV sorts on every scan)
    app.init_chain(GenesisRequest(CHAIN_ID, 0, 1, encode_app_state(genesis["app_state"]), ()))
    return app, [get_address(k) for k in keys], [address_of(c) for c in consensus]


def add_delegations(app: App, operators: list[bytes], count: int, height: int, time_ms: int) -> None:
    """`count` delegators, each bonding to one validator; every 10th also has an unbonding entry and
    every 10th (others) a redelegation, both pending for the whole run. Written straight to the store."""
    view, _ = app.get_state_view()
    journal = Journal(view.get_bytes, view.get_keys)  # type: ignore[attr-defined]
    ctx = BlockContext(height, time_ms, b"", hooks=DEFAULT_REGISTRY.hooks)
    params = get_staking_params(journal)
    for i in range(count):
        delegator = hashlib.sha256(b"delegator%d" % i).digest()[:20]
        increase_balance(journal, delegator, 10_000_000)  # (the bench skips the supply record)
        validator = staking.require_validator(journal, operators[i % VALIDATORS])
        staking.process_delegation(journal, ctx, delegator, validator, 5_000_000, delegator)
        if i % 10 == 3:
            validator = staking.require_validator(journal, operators[i % VALIDATORS])
            _, tokens = staking.process_unbond(journal, ctx, delegator, validator, 1_000_000, params)
            staking.move_between_pools(journal, staking.get_pool(validator.status), staking.NOT_BONDED_POOL, tokens)
            staking.add_unbonding_entry(journal, delegator, validator.operator, height, time_ms + params.unbonding_time_ms,
                                        tokens, params)
        if i % 10 == 7:
            src = staking.require_validator(journal, operators[i % VALIDATORS])
            dst = staking.require_validator(journal, operators[(i + 1) % VALIDATORS])
            src, tokens = staking.process_unbond(journal, ctx, delegator, src, 1_000_000, params)
            _, shares = staking.process_delegation(journal, ctx, delegator, dst, tokens, staking.get_pool(src.status))
            staking.add_redelegation_entry(journal, delegator, src.operator, dst.operator, height,
                                           time_ms + params.unbonding_time_ms, tokens, shares, params)
    store = app._store  # the bench writes the built state as one version, as a block commit would
    store.commit(store.version + 1, journal.changes())


def run_block(app: App, height: int, addresses: list[bytes], absent: set[bytes]) -> tuple[float, float]:
    votes = tuple(VoteInfo(a, BOND // 10**6, a not in absent) for a in addresses)
    request = BlockRequest(height=height, time_ms=height * BLOCK_MS, hash=bytes(32), proposer_address=bytes(20),
                           txs=(), last_commit_hash=hashlib.sha256(b"%d" % height).digest(), misbehavior=(),
                           decided_last_commit=votes)
    started = time.perf_counter()
    app.finalize_block(request)
    middle = time.perf_counter()
    app.commit()
    return middle - started, time.perf_counter() - middle


def measure_claim(app: App, operator: bytes) -> tuple[float, int]:
    """Median seconds and store reads of one claim: the query and the withdrawal of delegator 0."""
    delegator = hashlib.sha256(b"delegator0").digest()[:20]
    times, reads = [], 0
    for _ in range(50):
        view, _ = app.get_state_view()
        journal = CountingJournal(view.get_bytes, view.get_keys)  # type: ignore[attr-defined]
        started = time.perf_counter()
        query_reward(journal, delegator, operator)
        distribution.withdraw_delegation_rewards(journal, delegator, operator)
        times.append(time.perf_counter() - started)
        reads = journal.reads
    return statistics.median(times), reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--blocks", type=int, default=20)
    args = parser.parse_args()
    print(f"{'delegations':>12} {'build s':>8} {'begin+end ms':>13} {'commit ms':>10} {'claim us':>9} {'claim reads':>11}")
    for size in (int(s) for s in args.sizes.split(",")):
        directory = Path(tempfile.mkdtemp(prefix="akechain-endblock-"))
        app, operators, addresses = make_app(directory)
        run_block(app, 1, [], set())  # genesis commits with block 1
        started = time.perf_counter()
        add_delegations(app, operators, size, 2, 2 * BLOCK_MS)
        build = time.perf_counter() - started
        height = app.info().last_height + 1
        finalize, commit = [], []
        for n in range(args.blocks):
            absent = {addresses[(n + j) % VALIDATORS] for j in range(3)}  # bitmap bits flip every block
            f, c = run_block(app, height + n, addresses, absent)
            finalize.append(f)
            commit.append(c)
        claim, reads = measure_claim(app, operators[0])
        shutil.rmtree(directory)
        print(f"{size:>12} {build:>8.1f} {statistics.median(finalize) * 1e3:>13.2f} "
              f"{statistics.median(commit) * 1e3:>10.2f} {claim * 1e6:>9.1f} {reads:>11}")


if __name__ == "__main__":
    main()
