"""The market's state transitions: providers and collateral, jobs and bids, selection, leases,
receipts, settlement, penalties and slashes. Handlers and the end-of-block hook call these.

Collateral: a lease locks `price x duration x collateral_ratio x reputation multiplier` of its
provider's collateral, so a provider can never hold more work than its stake covers; penalties and
slashes are taken from the collateral of the lease that earned them.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

from akechain.chain.crypto import Address
from akechain.chain.modules.bank.keeper import TREASURY, process_burn, process_transfer
from akechain.chain.modules.escrow import keeper as escrow
from akechain.chain.modules.kpi import counters as kpi
from akechain.chain.modules.market.errors import (
    BidNotFoundError,
    InsufficientCollateralError,
    JobNotFoundError,
    LeaseNotFoundError,
    ProviderNotFoundError,
)
from akechain.chain.modules.market.msgs import POLICY_REDUNDANCY, POLICY_SPOT_CHECK
from akechain.chain.modules.market.params import BPS, Params, get_params
from akechain.chain.modules.market.records import (
    ACTIVE,
    BIDDING,
    CLOSED,
    COLLATERAL_ACCOUNT,
    COMMITTED,
    COMPLETED,
    OPEN_JOB_PREFIX,
    PROVIDER_LEASE_PREFIX,
    Q_BID_CLOSE,
    Q_DEADLINE,
    Q_REVEAL_END,
    Q_SETTLE,
    Q_SPOT_DRAW,
    RUNNING,
    SEQUENCES_KEY,
    SUBMITTED,
    UNMATCHED,
    Bid,
    BidSlot,
    Job,
    Lease,
    Marker,
    Provider,
    Sequences,
    get_bid_key,
    get_bid_slot_key,
    get_job_key,
    get_lease_key,
    get_provider_key,
    get_queue_key,
    u64,
)
from akechain.chain.modules.reputation import keeper as reputation
from akechain.chain.store import BlockContext, Event, StoreView
from akechain.chain.modules.verify import keeper as verify
from akechain.chain.modules.verify.keeper import compute_majority


# -- accessors ---------------------------------------------------------------------------------


def get_provider(store: StoreView, address: bytes) -> Provider:
    provider = store.get(get_provider_key(address), Provider)
    if provider is None:
        raise ProviderNotFoundError(f"{address.hex()} is not a registered provider")
    return provider


def get_job(store: StoreView, job_id: int) -> Job:
    job = store.get(get_job_key(job_id), Job)
    if job is None:
        raise JobNotFoundError(f"job {job_id} does not exist")
    return job


def get_lease(store: StoreView, lease_id: int) -> Lease:
    lease = store.get(get_lease_key(lease_id), Lease)
    if lease is None:
        raise LeaseNotFoundError(f"lease {lease_id} does not exist")
    return lease


def get_bid(store: StoreView, job_id: int, provider: bytes) -> Bid:
    bid = store.get(get_bid_key(job_id, provider), Bid)
    if bid is None:
        raise BidNotFoundError(f"no bid from {provider.hex()} on job {job_id}")
    return bid


def get_bids(store: StoreView, job: Job) -> list[Bid]:
    """A bidding job's bids, read by key from its `bid_count` slots (no prefix scan: a journal's scan
    costs as much as all of the block's writes, which made closing thousands of windows quadratic).
    Slot order is arrival order with swaps; ranking is a total order, so it never matters."""
    slots = (store.get(get_bid_slot_key(job.id, slot), BidSlot) for slot in range(job.bid_count))
    return [get_bid(store, job.id, entry.provider) for entry in slots if entry is not None]


def add_bid(store: StoreView, job: Job, bid: Bid) -> None:
    store.set(get_bid_key(job.id, bid.provider), replace(bid, slot=job.bid_count))
    store.set(get_bid_slot_key(job.id, job.bid_count), BidSlot(bid.provider))


def withdraw_bid(store: StoreView, job: Job, bid: Bid) -> None:
    """Drop one bid; the last slot's bid moves into its slot, so slots stay 0 .. bid_count - 2."""
    last = job.bid_count - 1
    if bid.slot != last:
        moved = store.get(get_bid_slot_key(job.id, last), BidSlot).provider
        store.set(get_bid_slot_key(job.id, bid.slot), BidSlot(moved))
        store.set(get_bid_key(job.id, moved), replace(get_bid(store, job.id, moved), slot=bid.slot))
    store.delete(get_bid_slot_key(job.id, last))
    release_bid(store, job.id, bid)


def release_bid(store: StoreView, job_id: int, bid: Bid) -> None:
    """Delete a bid and release the collateral it reserved."""
    provider = get_provider(store, bid.provider)
    store.set(get_provider_key(bid.provider), replace(provider, reserved=provider.reserved - bid.reserved))
    store.delete(get_bid_key(job_id, bid.provider))


def delete_bids(store: StoreView, job: Job) -> None:
    """At the close: every bid and slot goes (the job keeps `bid_count`)."""
    for bid in get_bids(store, job):
        release_bid(store, job.id, bid)
        store.delete(get_bid_slot_key(job.id, bid.slot))


def get_sequences(store: StoreView) -> Sequences:
    return store.get(SEQUENCES_KEY, Sequences) or Sequences(1, 1, 1)


def set_job(store: StoreView, job: Job) -> None:
    store.set(get_job_key(job.id), job)
    if job.status in (BIDDING, ACTIVE):
        store.set(OPEN_JOB_PREFIX + u64(job.id), Marker())
    else:
        store.delete(OPEN_JOB_PREFIX + u64(job.id))


def set_lease(store: StoreView, lease: Lease) -> None:
    store.set(get_lease_key(lease.id), lease)


def schedule(store: StoreView, height: int, kind: int, item_id: int) -> None:
    store.set(get_queue_key(height, kind, item_id), Marker())


def unschedule(store: StoreView, height: int, kind: int, item_id: int) -> None:
    store.delete(get_queue_key(height, kind, item_id))


# -- pure maths --------------------------------------------------------------------------------


def compute_required_collateral(price: int, duration: int, score_bps: int, params: Params) -> int:
    multiplier = reputation.compute_multiplier(
        score_bps, params.reputation_multiplier_min_bps, params.reputation_multiplier_max_bps
    )
    return max(params.min_collateral, price * duration * params.collateral_ratio_bps // BPS * multiplier // BPS)


def compute_unverified_cap(lease: Lease, rate: int, accrued_blocks: int, params: Params) -> int:
    """What a lease may have been paid (gross) before its work is verified: whole checkpoints
    served, and never more than `unverified_pay_bps` of its lock, so the lock can claw it back."""
    checkpointed = accrued_blocks // params.checkpoint_blocks * params.checkpoint_blocks
    return min(rate * checkpointed, lease.locked_collateral * params.unverified_pay_bps // BPS)


def is_reputation_worthy(lease: Lease, job: Job, params: Params) -> bool:
    """Only leases worth at least `reputation_min_lease_value` earn reputation (losses always count)."""
    return lease.price * job.duration_blocks >= params.reputation_min_lease_value


def compute_latency_score(latency_ms: int, cap_ms: int) -> int:
    return max(0, cap_ms - latency_ms) * BPS // cap_ms


def compute_bid_score(bid: Bid, max_price: int, score_bps: int, params: Params) -> int:
    price_score = (max_price - bid.price) * BPS // max_price
    return (
        params.weight_price * price_score
        + params.weight_reputation * score_bps
        + params.weight_latency * compute_latency_score(bid.latency_ms, params.latency_cap_ms)
    )


def compute_tie_break(job_id: int, provider: bytes) -> bytes:
    return hashlib.sha256(u64(job_id) + provider).digest()


def rank_bids(job: Job, bids: list[Bid], scores: dict[bytes, int], params: Params) -> list[Bid]:
    """Best first: highest score, ties broken by hash(job id, provider) (ascending)."""
    return sorted(
        bids,
        key=lambda bid: (-compute_bid_score(bid, job.max_price, scores[bid.provider], params),
                         compute_tie_break(job.id, bid.provider)),
    )


def get_free_collateral(provider: Provider) -> int:
    """What is neither locked by leases nor reserved by bids."""
    return max(0, provider.collateral - provider.locked - provider.reserved)


def compute_late_withdraw_height(job: Job, params: Params) -> int:
    """The first height at which withdrawing a bid forfeits its deposit (the close height at the latest)."""
    window = job.bid_close_height - job.created_height
    return job.bid_close_height - window * params.late_withdraw_bps // BPS


def get_score(store: StoreView, provider: bytes, params: Params) -> int:
    return reputation.get_score(store, provider, params.reputation_initial_bps)


# -- collateral --------------------------------------------------------------------------------


def increase_collateral(store: StoreView, address: Address, amount: int) -> Provider:
    provider = get_provider(store, address)
    process_transfer(store, address, COLLATERAL_ACCOUNT, amount)
    provider = replace(provider, collateral=provider.collateral + amount)
    provider = replace(provider, slashed=provider.slashed and provider.collateral < provider.locked)
    store.set(get_provider_key(address), provider)
    return provider


def decrease_collateral(store: StoreView, address: Address, amount: int) -> Provider:
    provider = get_provider(store, address)
    # Verify only free collateral leaves
    free = get_free_collateral(provider)
    if amount > free:
        raise InsufficientCollateralError(f"withdrawal of {amount} uake exceeds the free collateral {free} uake")
    process_transfer(store, COLLATERAL_ACCOUNT, address, amount)
    provider = replace(provider, collateral=provider.collateral - amount)
    store.set(get_provider_key(address), provider)
    return provider


def take_collateral(store: StoreView, address: bytes, amount: int) -> int:
    """Remove up to `amount` from a provider's collateral (into the caller's hands: the collateral
    account keeps the funds until the caller pays them out). Returns what was taken."""
    provider = get_provider(store, address)
    taken = min(amount, provider.collateral)
    collateral = provider.collateral - taken
    provider = replace(provider, collateral=collateral, slashed=provider.slashed or collateral < provider.locked)
    store.set(get_provider_key(address), provider)
    return taken


def release_lock(store: StoreView, lease: Lease) -> None:
    provider = get_provider(store, lease.provider)
    locked = provider.locked - lease.locked_collateral
    provider = replace(provider, locked=locked, open_leases=provider.open_leases - 1,
                       slashed=provider.slashed and provider.collateral < locked)
    store.set(get_provider_key(lease.provider), provider)
    kpi.note_lease_released(store, lease.provider, provider.open_leases)


def get_pay_terms(store: StoreView, params: Params) -> escrow.PayTerms:
    return escrow.PayTerms(params.take_rate_bps, params.take_burn_bps, params.min_take, TREASURY)


def claw_back(store: StoreView, lease: Lease, job: Job, height: int) -> list[Event]:
    """A forfeited lease keeps nothing: what it was paid before verification (gross) comes back
    from its collateral to the consumer."""
    paid = escrow.get_stream(store, lease.job_id, lease.id, height).paid
    amount = take_collateral(store, lease.provider, paid) if paid else 0
    if not amount:
        return []
    process_transfer(store, COLLATERAL_ACCOUNT, Address(job.consumer), amount)
    return [("provider_clawed_back", (("lease_id", str(lease.id)), ("amount", str(amount))))]


# -- leases ------------------------------------------------------------------------------------


def open_lease(store: StoreView, ctx: BlockContext, job: Job, bid: Bid, required: int) -> Lease:
    sequences = get_sequences(store)
    store.set(SEQUENCES_KEY, replace(sequences, next_lease=sequences.next_lease + 1))
    provider = get_provider(store, bid.provider)
    store.set(get_provider_key(bid.provider), replace(provider, locked=provider.locked + required,
                                                       open_leases=provider.open_leases + 1))
    kpi.increase_counters(store, leases=1)
    kpi.note_lease_opened(store, bid.provider, provider.open_leases, get_score(store, bid.provider, get_params(store)))
    lease = Lease(
        id=sequences.next_lease, job_id=job.id, provider=bid.provider, price=bid.price, latency_ms=bid.latency_ms,
        locked_collateral=required, opened_height=ctx.height, status=RUNNING, receipt=None, settle_height=0,
        spot_checked=False, verifier=b"", challenge_id=0, verified=False, closed_height=0, close_reason="",
        commitment=b"", reveal_from=0, reveal_end=0,
    )
    set_lease(store, lease)
    store.set(PROVIDER_LEASE_PREFIX + bid.provider + u64(lease.id), Marker())
    return lease


def close_lease(store: StoreView, ctx: BlockContext, params: Params, lease: Lease, reason: str, pay: bool) -> list[Event]:
    """Pay (or forfeit, clawing back what was paid early) what the lease earned, unlock its
    collateral, and close the job once all its leases are closed. The caller has already taken any
    penalty."""
    if lease.status == CLOSED:
        return []
    escrow.stop_stream(store, lease.job_id, lease.id, ctx.height)
    events: list[Event] = []
    if not pay:
        events.extend(claw_back(store, lease, get_job(store, lease.job_id), ctx.height))
    else:
        payment = escrow.pay_stream(store, lease.job_id, lease.id, Address(lease.provider), ctx.height,
                                    get_pay_terms(store, params))
        if payment.gross:
            events.append(("lease_paid", (("lease_id", str(lease.id)), ("net", str(payment.net)),
                                          ("take", str(payment.take)), ("burned", str(payment.burned)))))
    forfeited = escrow.close_stream(store, lease.job_id, lease.id, ctx.height, forfeit=not pay)
    release_lock(store, lease)
    if lease.settle_height > ctx.height:
        unschedule(store, lease.settle_height, Q_SETTLE, lease.id)
    if lease.reveal_end > ctx.height:
        unschedule(store, lease.reveal_end, Q_REVEAL_END, lease.id)
    set_lease(store, replace(lease, status=CLOSED, closed_height=ctx.height, close_reason=reason))
    events.append(("lease_closed", (("lease_id", str(lease.id)), ("reason", reason), ("forfeited", str(forfeited)))))
    events.extend(maybe_close_job(store, ctx, get_job(store, lease.job_id)))
    return events


def maybe_close_job(store: StoreView, ctx: BlockContext, job: Job) -> list[Event]:
    if job.status != ACTIVE:
        return []
    if any(get_lease(store, lease_id).status != CLOSED for lease_id in job.leases):
        return []
    refunds = escrow.refund(store, job.id, ctx.height)
    if job.deadline_height > ctx.height:
        unschedule(store, job.deadline_height, Q_DEADLINE, job.id)
    set_job(store, replace(job, status=COMPLETED))
    return [("job_closed", (("job_id", str(job.id)), ("refunded", str(sum(a for _, a in refunds)))))]


def end_job_without_leases(store: StoreView, ctx: BlockContext, job: Job, status: int) -> list[Event]:
    """Bidding ended (cancelled or unmatched): drop the bids and refund the whole escrow."""
    delete_bids(store, job)
    refunds = escrow.refund(store, job.id, ctx.height)
    if job.bid_close_height > ctx.height:
        unschedule(store, job.bid_close_height, Q_BID_CLOSE, job.id)
    unschedule(store, job.deadline_height, Q_DEADLINE, job.id)
    set_job(store, replace(job, status=status))
    return [("job_closed", (("job_id", str(job.id)), ("refunded", str(sum(a for _, a in refunds)))))]


def select_winners(store: StoreView, ctx: BlockContext, params: Params, job: Job) -> list[Event]:
    """At the bid window's close: rank the bids, open leases with the best eligible ones (still
    registered and with enough free collateral now), release the rest."""
    bids = get_bids(store, job)
    delete_bids(store, job)  # every reservation is released first: a winner's lock replaces its own
    scores = {bid.provider: get_score(store, bid.provider, params) for bid in bids}
    winners: list[tuple[Bid, int]] = []
    for bid in rank_bids(job, bids, scores, params):
        if len(winners) == job.policy.n:
            break
        provider = store.get(get_provider_key(bid.provider), Provider)
        if provider is None or provider.slashed:
            continue
        required = compute_required_collateral(bid.price, job.duration_blocks, scores[bid.provider], params)
        if get_free_collateral(provider) >= required:
            winners.append((bid, required))
    if len(winners) < job.policy.n:
        return end_job_without_leases(store, ctx, job, UNMATCHED)
    leases = [open_lease(store, ctx, job, bid, required) for bid, required in winners]
    escrow.add_streams(store, job.id, [(lease.id, lease.price, job.duration_blocks) for lease in leases], ctx.height)
    set_job(store, replace(job, status=ACTIVE, leases=tuple(lease.id for lease in leases)))
    return [("lease_opened", (("lease_id", str(lease.id)), ("job_id", str(job.id)), ("provider", lease.provider.hex()),
                              ("price", str(lease.price)))) for lease in leases]


# -- outcomes ----------------------------------------------------------------------------------


def record_reputation(store: StoreView, ctx: BlockContext, params: Params, provider: bytes, kind: str,
                      sample: int, on_time: bool = False, verified: bool = False) -> None:
    reputation.record_outcome(
        store, provider, ctx.height, kind, sample, alpha_bps=params.reputation_alpha_bps,
        initial_bps=params.reputation_initial_bps, history_len=params.reputation_history_len,
        on_time=on_time, verified=verified,
    )
    kpi.note_score(store, provider, get_score(store, provider, params))


def settle_lease(store: StoreView, ctx: BlockContext, params: Params, lease: Lease) -> list[Event]:
    """After the challenge window (or a verdict): pay the provider minus the take; an uptime below
    the SLA costs a penalty to the consumer. Reputation takes the observation either way."""
    job = get_job(store, lease.job_id)
    receipt = lease.receipt
    events: list[Event] = []
    uptime = receipt.uptime_bps if receipt is not None else 0
    if uptime < params.sla_uptime_bps:
        events.extend(penalise(store, ctx, params, lease, job, "sla-missed"))
    verified = lease.verified or lease.spot_checked
    sample = reputation.compute_sample(True, verified, uptime,
                                       compute_latency_score(receipt.latency_ms if receipt else 0, params.latency_cap_ms))
    if is_reputation_worthy(lease, job, params):
        record_reputation(store, ctx, params, lease.provider, reputation.SETTLED, sample, on_time=True, verified=verified)
    events.extend(close_lease(store, ctx, params, replace(lease, verified=verified), "settled", pay=True))
    return events


def penalise(store: StoreView, ctx: BlockContext, params: Params, lease: Lease, job: Job, reason: str) -> list[Event]:
    """A missed deadline or SLA: a fraction of the lease's collateral goes to the consumer."""
    amount = take_collateral(store, lease.provider, lease.locked_collateral * params.penalty_bps // BPS)
    if amount:
        process_transfer(store, COLLATERAL_ACCOUNT, Address(job.consumer), amount)
    record_reputation(store, ctx, params, lease.provider, reputation.PENALTY, 0)
    return [("provider_penalised", (("lease_id", str(lease.id)), ("reason", reason), ("amount", str(amount))))]


def slash(store: StoreView, ctx: BlockContext, params: Params, lease: Lease, job: Job, reason: str,
          challenger: bytes = b"") -> list[Event]:
    """A proven wrong output: slash the lease's collateral share; the consumer is compensated, a
    challenger rewarded, the rest burned; the lease's unpaid earnings are forfeited (refunded)."""
    amount = take_collateral(store, lease.provider, lease.locked_collateral * params.slash_bps // BPS)
    to_consumer = amount * params.slash_consumer_bps // BPS
    to_challenger = amount * params.slash_challenger_bps // BPS if challenger else 0
    if to_consumer:
        process_transfer(store, COLLATERAL_ACCOUNT, Address(job.consumer), to_consumer)
    if to_challenger:
        process_transfer(store, COLLATERAL_ACCOUNT, Address(challenger), to_challenger)
    process_burn(store, COLLATERAL_ACCOUNT, amount - to_consumer - to_challenger)
    record_reputation(store, ctx, params, lease.provider, reputation.SLASH, 0)
    events: list[Event] = [("provider_slashed", (("lease_id", str(lease.id)), ("reason", reason), ("amount", str(amount))))]
    events.extend(close_lease(store, ctx, params, lease, reason, pay=False))
    return events


def evaluate_redundancy(store: StoreView, ctx: BlockContext, params: Params, job: Job) -> list[Event]:
    """k of n: the majority output's leases settle verified, dissenters are slashed; without a
    majority nobody is paid (the result is unusable) and nobody is slashed."""
    set_job(store, replace(job, verdict_done=True))
    leases = [get_lease(store, lease_id) for lease_id in job.leases]
    submitted = [lease for lease in leases if lease.status == SUBMITTED]
    majority = compute_majority([lease.receipt.output_hash for lease in submitted], job.policy.k)
    events: list[Event] = []
    for lease in submitted:
        lease = get_lease(store, lease.id)
        if majority is None:
            if is_reputation_worthy(lease, job, params):
                record_reputation(store, ctx, params, lease.provider, reputation.UNVERIFIED, lease.receipt.uptime_bps // 2)
            events.extend(close_lease(store, ctx, params, lease, "no-majority", pay=False))
        elif lease.receipt.output_hash == majority:
            events.extend(settle_lease(store, ctx, params, replace(lease, verified=True)))
        else:
            events.extend(slash(store, ctx, params, lease, get_job(store, job.id), "dissent"))
    return events


def schedule_settlement(store: StoreView, ctx: BlockContext, params: Params, lease: Lease) -> Lease:
    lease = replace(lease, settle_height=ctx.height + params.challenge_window_blocks)
    schedule(store, lease.settle_height, Q_SETTLE, lease.id)
    return lease


def open_reveal(store: StoreView, ctx: BlockContext, params: Params, lease: Lease) -> Lease:
    """Reveals are accepted from the next block (the commitment is on chain before any output is
    public) for `reveal_window_blocks`; a spot-check draw is made at the end of that next block,
    from a seed no one knew when the commitment was sent."""
    lease = replace(lease, reveal_from=ctx.height + 1, reveal_end=ctx.height + params.reveal_window_blocks)
    schedule(store, lease.reveal_end, Q_REVEAL_END, lease.id)
    job = get_job(store, lease.job_id)
    if job.policy.kind == POLICY_SPOT_CHECK and job.policy.spot_check_bps:
        schedule(store, lease.reveal_from, Q_SPOT_DRAW, lease.id)
    set_lease(store, lease)
    return lease


def draw_spot_check(store: StoreView, ctx: BlockContext, params: Params, lease: Lease) -> list[Event]:
    """Mark the receipt for a re-execution with the job's chance; with no verifier left to check it
    the receipt is not marked (it settles unverified)."""
    job = get_job(store, lease.job_id)
    seed = verify.get_chain_seed(store)
    if not verify.is_spot_checked(seed, lease.id, job.policy.spot_check_bps):
        return []
    candidates = [v for v in params.verifiers if v not in (lease.provider, job.consumer)]
    verifier = verify.pick_verifier(seed, b"spot-verifier", lease.id, candidates)
    if not verifier:
        return []
    set_lease(store, replace(lease, spot_checked=True, verifier=verifier))
    return [("spot_check", (("lease_id", str(lease.id)), ("verifier", verifier.hex())))]


def advance_redundancy(store: StoreView, ctx: BlockContext, params: Params, job_id: int) -> list[Event]:
    """k of n moves in phases: once no replica runs, the committed ones may reveal; once none
    awaits its reveal, the majority is evaluated."""
    job = get_job(store, job_id)
    if not is_redundant(job) or job.verdict_done or job.status != ACTIVE:
        return []
    leases = [get_lease(store, lease_id) for lease_id in job.leases]
    if any(lease.status == RUNNING for lease in leases):
        return []
    waiting = [lease for lease in leases if lease.status == COMMITTED and not lease.reveal_end]
    for lease in waiting:
        open_reveal(store, ctx, params, lease)
    if waiting or any(lease.status == COMMITTED for lease in leases):
        return []
    return evaluate_redundancy(store, ctx, params, job)


def is_redundant(job: Job) -> bool:
    return job.policy.kind == POLICY_REDUNDANCY
