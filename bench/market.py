"""Market state transition at scale: 1,000 providers, 10,000 open jobs.

Prints the cost of a bid, of selection when bid windows close, and of the per-block escrow work
(run-outs, pauses, completions), and shows the latter grows with the leases *due at that height*,
not with all leases: the same due counts are timed in a market of 1,000 and of 10,000 leases.
It also times a top-up of an escrow that already has 10 and 100,000 depositors (must be the same:
depositors are keyed entries) and shows the escrow record's size does not change.

Runs the handlers and the end-of-block hook over a Journal per block on an in-memory KV (no SMT,
no signatures: bench/tx_apply.py measures those), so the figures are the market's own work.
Run: .venv/bin/python -m bench.market [--jobs 10000] [--providers 1000] [--bids 3]
"""
from __future__ import annotations

import argparse
import hashlib
import time

from akechain.chain.crypto import Address
from akechain.chain.genesis import init_app_state
from akechain.chain.modules.bank.keeper import increase_balance
from akechain.chain.modules.escrow import keeper as escrow
from akechain.chain.modules.market import handlers
from akechain.chain.modules.market.endblock import process_end_block
from akechain.chain.modules.market.msgs import POLICY_NONE, MsgBid, MsgCreateJob, MsgRegisterProvider, Policy, Resources
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--providers", type=int, default=1_000)
    parser.add_argument("--bids", type=int, default=3, help="bids per job")
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
