"""Market state transition at scale: 1,000 providers, 10,000 open jobs.

Prints the cost of a bid, of selection when bid windows close, and of the per-block escrow work
(run-outs, pauses, completions), and shows the latter grows with the leases *due at that height*,
not with all leases: the same due counts are timed in a market of 1,000 and of 10,000 leases.
It also times a top-up of an escrow that already has 10 and 100,000 depositors (must be the same:
depositors are keyed entries) and shows the escrow record's size does not change. Last, it runs
blocks of signed 32-message txs of the heaviest market kinds (top-ups, bids, job creations) through
`App.finalize_block` and `commit` (signatures checked ahead, as at admission), the time to compare with
the block interval (`timeout_commit_ms`): each kind filled to the work cap (`auth.max_block_work`,
as `prepare_proposal` cuts), then, as the same run's baseline, to the block size alone (what one
block held before the cap), and a capped block of one-transfer txs (the cap's tx throughput).

Runs the handlers and the end-of-block hook over a Journal per block on an in-memory KV (no SMT,
no signatures: bench/tx_apply.py measures those), so the figures are the market's own work.
Run: .venv/bin/python -m bench.market [--jobs 10000] [--providers 1000] [--bids 3] [--blocks-only]
"""
from __future__ import annotations

import argparse
import hashlib
import time

from akechain.chain.app import App
from akechain.chain.crypto import Address, get_address, signing_key_from_seed
from akechain.chain.genesis import build_genesis, encode_app_state
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.registry import DEFAULT_REGISTRY
from akechain.chain.tx import MAX_MSGS, build_tx_paying_fee
from consensus.abci import BlockRequest, GenesisRequest
from consensus.config import Config
from state.store import CommitStore
from akechain.chain.genesis import init_app_state
from akechain.chain.modules.bank.keeper import increase_balance
from akechain.chain.modules.escrow import keeper as escrow
from akechain.chain.modules.market import handlers
from akechain.chain.modules.market.endblock import process_end_block
from akechain.chain.modules.market.msgs import (
    POLICY_NONE,
    MsgBid,
    MsgCreateJob,
    MsgRegisterProvider,
    MsgTopUp,
    Policy,
    Resources,
)
from akechain.chain.modules.market.params import DEFAULT_PARAMS, PARAMS as MARKET_PARAM_SET
from akechain.chain.store import BlockContext, Journal
from akechain.chain.modules.auth.params import DEFAULT_PARAMS as AUTH_PARAMS
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAM_SET
from akechain.chain.crypto import format_address
from state.kv import MemoryKV

HARDWARE = Resources(64, "h100", 8, 512_000, 8_000, 10_000)
SPEC = Resources(4, "", 0, 8_000, 100, 100)
PRICE = 100
OPEN_HEIGHT = 5  # every bid window closes here
DUE = {30: 1_000, 60: 100, 90: 10}  # run-out height -> leases that run out (and pause) there
GRACE = DEFAULT_PARAMS.grace_blocks  # ... and close, paid and refunded, this many blocks later
FAR = 100_000  # the other leases run out far away


def address(kind: bytes, i: int) -> Address:
    return Address(hashlib.sha256(kind + i.to_bytes(4, "big")).digest()[:20])


class Chain:
    def __init__(self, providers: int, consumers: int) -> None:
        self.kv = MemoryKV()
        self.height = 0
        balances = [{"address": format_address(address(b"p", i)), "amount": 10**15} for i in range(providers)]
        balances += [{"address": format_address(address(b"c", i)), "amount": 10**15} for i in range(consumers)]
        app_state = {
            "auth": {"params": AUTH_PARAM_SET.to_json(AUTH_PARAMS), "accounts": []},
            "bank": {"balances": balances},
            "market": {"params": MARKET_PARAM_SET.to_json(DEFAULT_PARAMS)},
        }
        self.block(lambda store, ctx: init_app_state(store, app_state))

    def block(self, work) -> tuple[float, float]:
        """Run `work(store, ctx)` then the end-of-block hook at the next height; (work s, end-block s)."""
        self.height += 1
        kv = self.kv
        store = Journal(kv.get, lambda prefix, start: (key for key, _ in kv.iterate(prefix, start=start)))
        ctx = BlockContext(self.height, self.height * 1000, hashlib.sha256(self.height.to_bytes(8, "big")).digest())
        started = time.perf_counter()
        work(store, ctx)
        middle = time.perf_counter()
        process_end_block(store, ctx)
        finished = time.perf_counter()
        kv.write({k: v for k, v in store.changes().items() if v is not None},
                 [k for k, v in store.changes().items() if v is None], sync=False)
        list(kv.iterate(b"\xff"))  # MemoryKV re-sorts its keys lazily; do it outside the timers
        return middle - started, finished - middle


def build_market(jobs: int, providers: int, bids_per_job: int) -> tuple[Chain, dict]:
    chain = Chain(providers, consumers=100)
    figures: dict = {}

    def register(store, ctx):
        for i in range(providers):
            handlers.process_register_provider(store, ctx, address(b"p", i),
                                               MsgRegisterProvider(HARDWARE, "eu", (), "https://p", 10**12))
    chain.block(register)

    def runout(i: int) -> int:
        start = 0
        for height, count in DUE.items():
            if start <= i < start + count:
                return height
            start += count
        return FAR

    def create(store, ctx):
        for i in range(jobs):
            blocks = runout(i) - OPEN_HEIGHT
            msg = MsgCreateJob(SPEC, 200_000, "", (), PRICE * blocks, PRICE, OPEN_HEIGHT - ctx.height,
                               OPEN_HEIGHT - ctx.height + 200_000, Policy(POLICY_NONE, 0, 1, 1), (), ())
            handlers.process_create_job(store, ctx, address(b"c", i % 100), msg)
    chain.block(create)

    count = 0

    def bid(store, ctx):
        nonlocal count
        for job in range(1, jobs + 1):
            for b in range(bids_per_job):
                provider = address(b"p", (job * 7 + b * 131) % providers)
                handlers.process_bid(store, ctx, provider, MsgBid(job, PRICE - (job + b) % 10, (job * b) % 500, SPEC))
                count += 1
    bid_seconds, _ = chain.block(bid)
    figures["bid"] = bid_seconds / count
    while chain.height < OPEN_HEIGHT - 1:
        chain.block(lambda store, ctx: None)
    _, figures["selection"] = chain.block(lambda store, ctx: None)  # every window closes here
    figures["selected_jobs"] = jobs
    for height in range(OPEN_HEIGHT + 1, max(DUE) + GRACE + 1):
        _, seconds = chain.block(lambda store, ctx: None)
        if chain.height in DUE:
            figures[f"pause{DUE[chain.height]}"] = seconds
        elif chain.height - GRACE in DUE:
            figures[f"close{DUE[chain.height - GRACE]}"] = seconds
        elif chain.height == max(DUE) - 1:
            figures["idle"] = seconds
    return chain, figures


def time_top_up(depositors: int, samples: int = 1_000) -> tuple[float, float, int]:
    """(seconds and keys written per top-up by a new depositor, escrow record bytes) for an escrow
    that already has `depositors` depositors (committed): one block of `samples` top-ups over that
    state. (Not a block each: MemoryKV copies its whole dict per write, which would time the cache.)"""
    kv = MemoryKV()

    def block(work) -> tuple[float, int]:
        store = Journal(kv.get, lambda prefix, start: (key for key, _ in kv.iterate(prefix, start=start)))
        started = time.perf_counter()
        work(store)
        seconds = time.perf_counter() - started
        kv.write({k: v for k, v in store.changes().items() if v is not None},
                 [k for k, v in store.changes().items() if v is None], sync=False)
        list(kv.iterate(b"\xff"))  # re-sort outside the timers
        return seconds, len(store.changes())

    def fill(store) -> None:
        for i in range(depositors + samples):
            increase_balance(store, address(b"d", i), 10**9)
        escrow.open_escrow(store, 1, address(b"d", 0), 1_000, 1)
        for i in range(1, depositors):
            escrow.deposit(store, 1, address(b"d", i), 1_000, 1)
    block(fill)
    seconds, written = block(lambda store: [escrow.deposit(store, 1, address(b"d", depositors + i), 1_000, 2)
                                   for i in range(samples)])
    return seconds / samples, written / samples, len(kv.get(escrow.get_escrow_key(1)) or b"")


class FullBlocks:
    """A real App (SMT store on an in-memory KV) and signed txs of 32 messages each, in blocks cut
    as a proposer cuts them: at the consensus block size and at `auth.max_block_work` (capped), or at
    the block size alone (the baseline of the same run: what a block could hold before the cap)."""

    CHAIN_ID = "ake-bench-market"

    def __init__(self, senders: int) -> None:
        self.keys = [signing_key_from_seed(i.to_bytes(32, "big")) for i in range(1, senders + 1)]
        self.nonces = [0] * senders
        genesis = build_genesis(self.CHAIN_ID, (), {get_address(k): 10**15 for k in self.keys})
        self.kv = MemoryKV()
        self.app = App(CommitStore(self.kv))
        self.app.init_chain(GenesisRequest(self.CHAIN_ID, 0, 1, encode_app_state(genesis["app_state"]), ()))
        self.height = 0
        self.max_bytes = Config().max_block_bytes
        self.max_work = AUTH_PARAMS.max_block_work

    def tx(self, sender: int, msgs: list) -> bytes:
        tx = build_tx_paying_fee(self.keys[sender], self.CHAIN_ID, self.nonces[sender], msgs, AUTH_PARAMS)
        self.nonces[sender] += 1
        return tx

    def run(self, txs: list[bytes]) -> tuple[float, float, float, float, int]:
        """(finalize s, its CPU s, commit s, its CPU s, txs that failed) of one block of `txs` (CPU
        time besides wall time: on a shared machine the wall clock also counts other processes).
        Signatures are checked before the timers, as a node checks them at admission."""
        self.app.verify_txs(txs)
        self.height += 1
        request = BlockRequest(self.height, self.height * 1000, bytes(32), bytes(20), tuple(txs), bytes(32),
                               seed=hashlib.sha256(self.height.to_bytes(8, "big")).digest())
        started, cpu = time.perf_counter(), time.process_time()
        result = self.app.finalize_block(request)
        finalized, finalize_cpu = time.perf_counter(), time.process_time()
        self.app.commit()
        committed = time.perf_counter(), time.process_time()
        list(self.kv.iterate(b"\xff"))  # MemoryKV re-sorts its keys lazily; do it outside the timers
        return (finalized - started, finalize_cpu - cpu, committed[0] - finalized, committed[1] - finalize_cpu,
                sum(not r.ok for r in result.tx_results))

    def fill(self, make_msgs, capped: bool) -> tuple[list[bytes], int]:
        """(txs of `make_msgs(tx index)` from senders in turn up to the block size, and to the work
        cap if `capped`; their work units)."""
        txs: list[bytes] = []
        total_bytes = total_work = 0
        while True:
            msgs = make_msgs(len(txs))
            tx, work = self.tx(len(txs) % len(self.keys), msgs), DEFAULT_REGISTRY.compute_tx_work(msgs)
            if total_bytes + len(tx) > self.max_bytes or (capped and total_work + work > self.max_work):
                self.nonces[len(txs) % len(self.keys)] -= 1
                return txs, total_work
            txs.append(tx)
            total_bytes += len(tx)
            total_work += work


def time_full_blocks(senders: int = 1_000) -> list[tuple]:
    """(kind, capped, txs, messages, work units, finalize s, finalize CPU s, commit s, commit CPU s,
    failed txs) for a block of each kind, cut at the work cap and at the block size alone."""
    chain = FullBlocks(senders)
    job = MsgCreateJob(resources=SPEC, duration_blocks=100, region="", attributes=(), budget=10**6, max_price=PRICE,
                       bid_window_blocks=50, deadline_blocks=200, policy=Policy(POLICY_NONE, 0, 1, 1), allow=(), deny=(),
                       workload=b"")
    register = MsgRegisterProvider(HARDWARE, "eu", (), "https://p", 10**9)
    chain.run([chain.tx(i, [register]) for i in range(senders)])
    figures = []

    def block(kind: str, make_msgs, capped: bool, per_tx: int = MAX_MSGS) -> int:
        txs, work = chain.fill(make_msgs, capped)
        figures.append((kind, capped, len(txs), len(txs) * per_tx, work, *chain.run(txs)))
        return len(txs)

    jobs = 0
    for capped in (True, False):
        jobs += block("create_job", lambda i: [job] * MAX_MSGS, capped) * MAX_MSGS  # creates jobs 1 ... jobs
    for capped in (True, False):
        block("top_up", lambda i: [MsgTopUp(1 + (i * MAX_MSGS + m) % jobs, 1_000) for m in range(MAX_MSGS)], capped)
    # tx i bids on the jobs of creation tx i + 1 (another sender's: no one bids on its own job)
    for capped in (True, False):
        block("bid", lambda i: [MsgBid(1 + ((i + 1) * MAX_MSGS + m) % jobs, PRICE, 10, SPEC) for m in range(MAX_MSGS)],
              capped)
    sink = get_address(chain.keys[0])
    block("send (1 msg)", lambda i: [MsgSend(sink, 1)], True, per_tx=1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--providers", type=int, default=1_000)
    parser.add_argument("--bids", type=int, default=3, help="bids per job")
    parser.add_argument("--blocks-only", action="store_true", help="only the full-block figures")
    args = parser.parse_args()
    if not args.blocks_only:
        print_market_figures(args)
    print_block_figures()


def print_market_figures(args: argparse.Namespace) -> None:
    small_jobs = max(sum(DUE.values()) + 10, args.jobs // 10)
    _, big = build_market(args.jobs, args.providers, args.bids)
    _, small = build_market(small_jobs, args.providers, args.bids)
    print(f"market: {args.providers} providers, {args.jobs} jobs, {args.bids} bids per job")
    print(f"bid (checks + write):               {big['bid'] * 1e6:9.1f} us per bid")
    print(f"selection at window close:          {big['selection'] * 1e3:9.1f} ms for {args.jobs} jobs "
          f"({big['selection'] / args.jobs * 1e6:.1f} us per job, {args.bids} bids each)")
    print(f"escrow end-of-block (open leases:   {args.jobs:>10} {small_jobs:>10})")
    print(f"  nothing due                       {big['idle'] * 1e3:7.2f} ms {small['idle'] * 1e3:7.2f} ms")
    for due in (10, 100, 1_000):
        print(f"  {due:5d} run out (pause)            {big[f'pause{due}'] * 1e3:7.2f} ms {small[f'pause{due}'] * 1e3:7.2f} ms"
              f"   ({big[f'pause{due}'] / due * 1e6:.0f} us per lease)")
    for due in (10, 100, 1_000):
        print(f"  {due:5d} grace ends (pay+refund)    {big[f'close{due}'] * 1e3:7.2f} ms {small[f'close{due}'] * 1e3:7.2f} ms"
              f"   ({big[f'close{due}'] / due * 1e6:.0f} us per lease)")
    print("top-up (new depositor)            depositors      cost  keys written  escrow record")
    for depositors in (10, 100_000):
        seconds, written, size = time_top_up(depositors)
        print(f"                                  {depositors:>10} {seconds * 1e6:7.1f} us {written:9.2f} {size:10d} bytes")


def print_block_figures() -> None:
    interval = Config().timeout_commit_ms
    print(f"blocks of 32-message txs ({Config().max_block_bytes} bytes; max_block_work {AUTH_PARAMS.max_block_work}; "
          f"block interval {interval} ms); capped = cut at the work cap, else at the block size alone")
    print("  kind          capped  txs   messages       work  finalize (CPU)          commit (CPU)          failed")
    for kind, capped, txs, msgs, work, seconds, cpu, commit, commit_cpu, failed in time_full_blocks():
        print(f"  {kind:<13} {'yes' if capped else 'no':>4} {txs:5d} {msgs:10d} {work:10d} {seconds * 1e3:7.0f} ms "
              f"({cpu * 1e3:6.0f} ms) {commit * 1e3:7.0f} ms ({commit_cpu * 1e3:6.0f} ms) {failed:6d}")


if __name__ == "__main__":
    main()
