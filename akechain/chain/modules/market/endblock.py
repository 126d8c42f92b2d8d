"""End-of-block work: only what is due at this height, found through height-ordered queue keys
(escrow run-outs, completions and grace ends; bid windows closing; challenge windows ending;
settlements; deadlines). Nothing here scans all jobs or leases."""
from __future__ import annotations

from akechain.chain.crypto import format_address
from akechain.chain.modules.escrow import keeper as escrow
from akechain.chain.modules.market import keeper as k
from akechain.chain.modules.market.leases import LEASES
from akechain.chain.modules.market.params import Params, get_params
from akechain.chain.modules.market.records import (
    ACTIVE,
    BIDDING,
    CLOSED,
    COMMITTED,
    Q_BID_CLOSE,
    Q_CHALLENGE_END,
    Q_DEADLINE,
    Q_REVEAL_END,
    Q_SETTLE,
    Q_SPOT_DRAW,
    QUEUE_PREFIX,
    RUNNING,
    SUBMITTED,
    Job,
    Lease,
    Marker,
    get_job_key,
    get_lease_key,
    u64,
)
from akechain.chain.store import BlockContext, Event, StoreView, make_event
from akechain.chain.modules.verify import keeper as verify
from akechain.chain.modules.verify.handlers import resolve_challenge


def process_end_block(store: StoreView, ctx: BlockContext) -> list[Event]:
    params = get_params(store)
    events = process_escrow_events(store, ctx, params)
    for key, _ in store.iterate(QUEUE_PREFIX + u64(ctx.height), Marker):
        store.delete(key)
        kind, item_id = key[9], int.from_bytes(key[10:18], "big")
        events.extend(PROCESSORS[kind](store, ctx, params, item_id))
    # Market work may move escrow events to this very height (e.g. a lease opened without the funds
    # for one block); run them until none is left here
    while True:
        more = process_escrow_events(store, ctx, params)
        if not more:
            return events + warn_running_out(store, ctx, params)
        events.extend(more)


def process_escrow_events(store: StoreView, ctx: BlockContext, params: Params) -> list[Event]:
    events: list[Event] = []
    for event in escrow.process_escrow_queue(store, ctx.height, params.grace_blocks):
        events.append((f"lease_{event.kind}", (("lease_id", str(event.lease_id)), ("job_id", str(event.job_id)))))
        if event.kind == "expired":
            lease = k.get_lease(store, event.lease_id)
            if lease.status == RUNNING:
                events.extend(k.close_lease(store, ctx, params, lease, "out-of-funds", pay=True))
    return events


def warn_running_out(store: StoreView, ctx: BlockContext, params: Params) -> list[Event]:
    """`lease_running_out` for the leases whose escrow pauses `run_out_warning_blocks` from now,
    after this block's top-ups moved their run-outs (read from the due queue: O(escrows due))."""
    if not params.run_out_warning_blocks:
        return []
    run_out = ctx.height + params.run_out_warning_blocks
    return [make_event("lease_running_out", lease_id=e.lease_id, job_id=e.job_id, run_out_height=run_out,
                       consumer=format_address(k.get_job(store, e.job_id).consumer))
            for e in escrow.find_running_out(store, ctx.height, run_out)]


def process_bid_close(store: StoreView, ctx: BlockContext, params: Params, job_id: int) -> list[Event]:
    job = store.get(get_job_key(job_id), Job)
    if job is None or job.status != BIDDING or job.bid_close_height != ctx.height:
        return []
    return k.select_winners(store, ctx, params, job)


def process_challenge_end(store: StoreView, ctx: BlockContext, params: Params, challenge_id: int) -> list[Event]:
    challenge = verify.get_challenge(store, challenge_id)
    if challenge.status != verify.OPEN:
        return []
    return resolve_challenge(LEASES, store, ctx, challenge, b"")


def process_settle(store: StoreView, ctx: BlockContext, params: Params, lease_id: int) -> list[Event]:
    lease = store.get(get_lease_key(lease_id), Lease)
    if lease is None or lease.status != SUBMITTED or lease.settle_height != ctx.height:
        return []
    if lease.challenge_id and verify.get_challenge(store, lease.challenge_id).status == verify.OPEN:
        return []  # the challenge's resolution settles it
    return k.settle_lease(store, ctx, params, lease)


def process_deadline(store: StoreView, ctx: BlockContext, params: Params, job_id: int) -> list[Event]:
    job = store.get(get_job_key(job_id), Job)
    if job is None or job.status != ACTIVE:
        return []
    events: list[Event] = []
    for lease_id in job.leases:
        lease = k.get_lease(store, lease_id)
        if lease.status == RUNNING:
            events.extend(k.penalise(store, ctx, params, lease, job, "deadline-missed"))
            events.extend(k.close_lease(store, ctx, params, k.get_lease(store, lease_id), "deadline-missed", pay=False))
    return events + k.advance_redundancy(store, ctx, params, job_id)


def process_spot_draw(store: StoreView, ctx: BlockContext, params: Params, lease_id: int) -> list[Event]:
    lease = store.get(get_lease_key(lease_id), Lease)
    if lease is None or lease.status == CLOSED or lease.reveal_from != ctx.height:
        return []
    return k.draw_spot_check(store, ctx, params, lease)


def process_reveal_end(store: StoreView, ctx: BlockContext, params: Params, lease_id: int) -> list[Event]:
    """A commitment never opened is slashed: withholding must cost as much as lying."""
    lease = store.get(get_lease_key(lease_id), Lease)
    if lease is None or lease.status != COMMITTED or lease.reveal_end != ctx.height:
        return []
    events = k.slash(store, ctx, params, lease, k.get_job(store, lease.job_id), "no-reveal")
    return events + k.advance_redundancy(store, ctx, params, lease.job_id)


PROCESSORS = {
    Q_BID_CLOSE: process_bid_close,
    Q_CHALLENGE_END: process_challenge_end,
    Q_SETTLE: process_settle,
    Q_DEADLINE: process_deadline,
    Q_SPOT_DRAW: process_spot_draw,
    Q_REVEAL_END: process_reveal_end,
}
