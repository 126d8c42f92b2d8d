"""The market's message server: each handler verifies state-dependent conditions
(under `# Verify` comments, raising typed errors before any write), then calls the keepers."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.escrow import keeper as escrow
from akechain.chain.modules.escrow.errors import NothingToWithdrawError
from akechain.chain.modules.gov.guardian import verify_not_paused
from akechain.chain.modules.gov.records import PAUSE_MARKET_JOBS
from akechain.chain.modules.kpi.counters import increase_counters
from akechain.chain.modules.market import keeper as k
from akechain.chain.modules.market.errors import (
    DuplicateBidError,
    DuplicateReceiptError,
    InsufficientCollateralError,
    InvalidJobError,
    JobClosedError,
    JobNotOpenError,
    LeaseStateError,
    NotJobConsumerError,
    NotLeaseProviderError,
    PriceAboveMaxError,
    ProviderExistsError,
    ProviderHasLeasesError,
    ProviderNotEligibleError,
    RevealNotOpenError,
    TooManyBidsError,
)
from akechain.chain.modules.market.msgs import (
    POLICY_SPOT_CHECK,
    MsgBid,
    compute_commitment,
    MsgCancelJob,
    MsgCreateJob,
    MsgDepositCollateral,
    MsgDeregisterProvider,
    MsgRegisterProvider,
    MsgRevealReceipt,
    MsgSubmitReceipt,
    MsgTopUp,
    MsgUpdateProvider,
    MsgWithdrawBid,
    MsgWithdrawCollateral,
    MsgWithdrawEarnings,
)
from akechain.chain.modules.market.params import get_params
from akechain.chain.modules.market.records import (
    ACTIVE,
    BIDDING,
    CANCELLED,
    CLOSED,
    COLLATERAL_ACCOUNT,
    COMMITTED,
    Q_BID_CLOSE,
    Q_DEADLINE,
    Q_REVEAL_END,
    RUNNING,
    SEQUENCES_KEY,
    SUBMITTED,
    Bid,
    Job,
    Provider,
    Receipt,
    get_bid_key,
    get_provider_key,
)
from akechain.chain.modules.bank.keeper import process_transfer
from akechain.chain.store import BlockContext, Event, StoreView, make_event

MIN_VERIFIERS = 2  # a spot check needs a checker, and a challenge a referee who is not the challenger


# -- providers ---------------------------------------------------------------------------------


def process_register_provider(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgRegisterProvider) -> list[Event]:
    # Verify the provider is new
    if store.get(get_provider_key(sender), Provider) is not None:
        raise ProviderExistsError(f"{format_address(sender)} is already a registered provider")
    store.set(get_provider_key(sender), Provider(msg.hardware, msg.region, msg.attributes, msg.endpoint,
                                                 0, 0, 0, ctx.height, False, 0))
    increase_counters(store, providers=1)
    if msg.collateral:
        k.increase_collateral(store, sender, msg.collateral)
    return [make_event("provider_registered", provider=format_address(sender), collateral=msg.collateral)]


def process_update_provider(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgUpdateProvider) -> list[Event]:
    provider = k.get_provider(store, sender)
    store.set(get_provider_key(sender), replace(provider, hardware=msg.hardware, region=msg.region,
                                                attributes=msg.attributes, endpoint=msg.endpoint))
    return [make_event("provider_updated", provider=format_address(sender))]


def process_deregister_provider(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgDeregisterProvider) -> list[Event]:
    provider = k.get_provider(store, sender)
    # Verify no lease or bid depends on its collateral
    if provider.open_leases or provider.reserved:
        raise ProviderHasLeasesError(f"provider has {provider.open_leases} open leases and {provider.reserved} uake "
                                     "reserved by bids; deregister after they close")
    if provider.collateral:
        process_transfer(store, COLLATERAL_ACCOUNT, sender, provider.collateral)
    store.delete(get_provider_key(sender))
    increase_counters(store, providers=-1)
    return [make_event("provider_deregistered", provider=format_address(sender), refunded=provider.collateral)]


def process_deposit_collateral(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgDepositCollateral) -> list[Event]:
    provider = k.increase_collateral(store, sender, msg.amount)
    return [make_event("collateral_deposited", provider=format_address(sender), collateral=provider.collateral)]


def process_withdraw_collateral(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgWithdrawCollateral) -> list[Event]:
    provider = k.decrease_collateral(store, sender, msg.amount)
    return [make_event("collateral_withdrawn", provider=format_address(sender), collateral=provider.collateral)]


# -- jobs --------------------------------------------------------------------------------------


def process_create_job(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgCreateJob) -> list[Event]:
    verify_not_paused(store, PAUSE_MARKET_JOBS)  # the guardian's emergency stop (gov)
    params = get_params(store)
    # Verify the job stays within the params' bounds
    if msg.policy.spot_check_bps > params.spot_check_rate_cap_bps:
        raise InvalidJobError(f"spot-check rate {msg.policy.spot_check_bps} bps exceeds the cap {params.spot_check_rate_cap_bps}")
    if msg.policy.n > params.max_replicas:
        raise InvalidJobError(f"redundancy n={msg.policy.n} exceeds max_replicas {params.max_replicas}")
    if msg.bid_window_blocks > params.max_bid_window_blocks:
        raise InvalidJobError(f"bid window {msg.bid_window_blocks} exceeds {params.max_bid_window_blocks} blocks")
    if msg.duration_blocks > params.max_duration_blocks:
        raise InvalidJobError(f"duration {msg.duration_blocks} exceeds {params.max_duration_blocks} blocks")
    # Verify the chain can serve the policy: a spot check needs a checker and a referee besides them
    if msg.policy.kind == POLICY_SPOT_CHECK and msg.policy.spot_check_bps and len(params.verifiers) < MIN_VERIFIERS:
        raise InvalidJobError(f"spot checks need at least {MIN_VERIFIERS} verifiers in the market params; "
                              f"this chain has {len(params.verifiers)}")
    sequences = k.get_sequences(store)
    store.set(SEQUENCES_KEY, replace(sequences, next_job=sequences.next_job + 1))
    increase_counters(store, jobs=1)
    job = Job(
        id=sequences.next_job, consumer=sender, resources=msg.resources, duration_blocks=msg.duration_blocks,
        region=msg.region, attributes=msg.attributes, budget=msg.budget, max_price=msg.max_price,
        created_height=ctx.height, bid_close_height=ctx.height + msg.bid_window_blocks,
        deadline_height=ctx.height + msg.deadline_blocks, policy=msg.policy, allow=msg.allow, deny=msg.deny,
        workload=msg.workload, status=BIDDING, bid_count=0, leases=(), verdict_done=False,
    )
    escrow.open_escrow(store, job.id, sender, msg.budget, ctx.height)
    k.set_job(store, job)
    k.schedule(store, job.bid_close_height, Q_BID_CLOSE, job.id)
    k.schedule(store, job.deadline_height, Q_DEADLINE, job.id)
    return [make_event("job_created", job_id=job.id, consumer=format_address(sender), budget=msg.budget,
                   bid_close_height=job.bid_close_height)]


def process_top_up(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgTopUp) -> list[Event]:
    job = k.get_job(store, msg.job_id)
    # Verify the job can still use funds
    if job.status not in (BIDDING, ACTIVE):
        raise JobClosedError(f"job {job.id} is closed; its escrow was refunded")
    resumed = escrow.deposit(store, job.id, sender, msg.amount, ctx.height)
    return [make_event("escrow_topped_up", job_id=job.id, depositor=format_address(sender), amount=msg.amount,
                   resumed=",".join(map(str, resumed)))]


def process_cancel_job(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgCancelJob) -> list[Event]:
    job = k.get_job(store, msg.job_id)
    # Verify the consumer cancels an open job
    if job.consumer != sender:
        raise NotJobConsumerError(f"only the consumer may cancel job {job.id}")
    if job.status not in (BIDDING, ACTIVE):
        raise JobClosedError(f"job {job.id} is already closed")
    if job.status == BIDDING:
        return k.end_job_without_leases(store, ctx, job, CANCELLED)
    # Running leases are paid for the blocks they served; submitted ones settle as usual
    params = get_params(store)
    events: list[Event] = []
    for lease_id in job.leases:
        lease = k.get_lease(store, lease_id)
        if lease.status == RUNNING:
            events.extend(k.close_lease(store, ctx, params, lease, "cancelled", pay=True))
    return events


# -- bids --------------------------------------------------------------------------------------


def process_bid(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgBid) -> list[Event]:
    params = get_params(store)
    job = k.get_job(store, msg.job_id)
    # Verify the bid window is open
    if job.status != BIDDING or ctx.height > job.bid_close_height:
        raise JobNotOpenError(f"job {job.id} is not taking bids (window closed at {job.bid_close_height})")
    # Verify the bidder is a registered, eligible provider and not the consumer dealing with itself
    provider = k.get_provider(store, sender)
    if sender == job.consumer:
        raise ProviderNotEligibleError(f"job {job.id}'s consumer cannot bid on its own job")
    if sender in job.deny or (job.allow and sender not in job.allow):
        raise ProviderNotEligibleError(f"job {job.id}'s allow/deny list excludes this provider")
    if not msg.resources.covers(job.resources):
        raise ProviderNotEligibleError("the offered resources do not cover the job's spec")
    if not provider.hardware.covers(msg.resources):
        raise ProviderNotEligibleError("the offered resources exceed the provider's registered hardware")
    if job.region and provider.region != job.region:
        raise ProviderNotEligibleError(f"job needs region {job.region!r}, provider is in {provider.region!r}")
    missing = sorted(set(job.attributes) - set(provider.attributes))
    if missing:
        raise ProviderNotEligibleError(f"provider lacks attributes {missing}")
    # Verify the price
    if msg.price > job.max_price:
        raise PriceAboveMaxError(f"bid price {msg.price} uake/block exceeds the job's max {job.max_price}")
    # Verify one bid per provider, and room for it
    if store.get(get_bid_key(job.id, sender), Bid) is not None:
        raise DuplicateBidError(f"provider already bid on job {job.id}")
    if job.bid_count >= params.max_bids_per_job:
        raise TooManyBidsError(f"job {job.id} already has {params.max_bids_per_job} bids")
    # Verify the free collateral covers the lease this bid could win and its deposit
    required = k.compute_required_collateral(msg.price, job.duration_blocks, k.get_score(store, sender, params), params)
    reserved = required + params.bid_deposit
    free = k.get_free_collateral(provider)
    if provider.slashed or free < reserved:
        raise InsufficientCollateralError(f"bid reserves {reserved} uake of free collateral ({required} lock + "
                                          f"{params.bid_deposit} deposit), provider has {free}")
    store.set(get_provider_key(sender), replace(provider, reserved=provider.reserved + reserved))
    k.add_bid(store, job, Bid(sender, msg.price, msg.latency_ms, msg.resources, ctx.height, reserved, 0))
    k.set_job(store, replace(job, bid_count=job.bid_count + 1))
    return [make_event("bid_placed", job_id=job.id, provider=format_address(sender), price=msg.price)]


def process_withdraw_bid(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgWithdrawBid) -> list[Event]:
    """A withdrawal in the last part of the window forfeits the deposit to the consumer: filling the
    bid slots and leaving just before the close would otherwise cost nothing."""
    params = get_params(store)
    job = k.get_job(store, msg.job_id)
    # Verify the window is still open and the bid exists
    if job.status != BIDDING or ctx.height > job.bid_close_height:
        raise JobNotOpenError(f"job {job.id}'s bid window has closed")
    bid = k.get_bid(store, job.id, sender)
    k.withdraw_bid(store, job, bid)
    k.set_job(store, replace(job, bid_count=job.bid_count - 1))
    forfeited = 0
    if ctx.height >= k.compute_late_withdraw_height(job, params) and params.bid_deposit:
        forfeited = k.take_collateral(store, sender, params.bid_deposit)
        process_transfer(store, COLLATERAL_ACCOUNT, Address(job.consumer), forfeited)
    return [make_event("bid_withdrawn", job_id=job.id, provider=format_address(sender), deposit_forfeited=forfeited)]


# -- receipts and earnings ---------------------------------------------------------------------


def process_submit_receipt(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgSubmitReceipt) -> list[Event]:
    """The commitment stops accrual (payment is for blocks served); the output stays hidden until
    the reveal, so no replica can copy another's."""
    params = get_params(store)
    lease = k.get_lease(store, msg.lease_id)
    # Verify the sender holds the lease, which awaits its one receipt
    if lease.provider != sender:
        raise NotLeaseProviderError(f"lease {lease.id} belongs to another provider")
    if lease.status in (COMMITTED, SUBMITTED) or (lease.status == CLOSED and lease.receipt is not None):
        raise DuplicateReceiptError(f"lease {lease.id} already has a receipt")
    if lease.status != RUNNING:
        raise LeaseStateError(f"lease {lease.id} is closed ({lease.close_reason})")
    job = k.get_job(store, lease.job_id)
    escrow.stop_stream(store, job.id, lease.id, ctx.height)
    receipt = Receipt(b"", msg.usage, msg.uptime_bps, msg.latency_ms, ctx.height)
    lease = replace(lease, status=COMMITTED, receipt=receipt, commitment=msg.commitment)
    events = [make_event("receipt_committed", lease_id=lease.id, commitment=msg.commitment.hex())]
    if k.is_redundant(job):  # replicas reveal once none is still running
        k.set_lease(store, lease)
        return events + k.advance_redundancy(store, ctx, params, job.id)
    k.open_reveal(store, ctx, params, lease)
    return events


def process_reveal_receipt(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgRevealReceipt) -> list[Event]:
    """A reveal that does not open its commitment is slashed like a wrong output (the tx succeeds)."""
    params = get_params(store)
    lease = k.get_lease(store, msg.lease_id)
    # Verify the provider reveals a committed receipt within its reveal phase
    if lease.provider != sender:
        raise NotLeaseProviderError(f"lease {lease.id} belongs to another provider")
    if lease.status != COMMITTED:
        raise LeaseStateError(f"lease {lease.id} has no committed receipt to reveal")
    if not lease.reveal_from or not lease.reveal_from <= ctx.height <= lease.reveal_end:
        raise RevealNotOpenError(f"lease {lease.id} takes its reveal at heights {lease.reveal_from}..{lease.reveal_end} "
                                 "(0: once every replica has committed)")
    job = k.get_job(store, lease.job_id)
    if compute_commitment(msg.output_hash, msg.salt, sender, lease.id) != lease.commitment:
        return k.slash(store, ctx, params, lease, job, "bad-reveal") + k.advance_redundancy(store, ctx, params, job.id)
    k.unschedule(store, lease.reveal_end, Q_REVEAL_END, lease.id)
    lease = replace(lease, status=SUBMITTED, receipt=replace(lease.receipt, output_hash=msg.output_hash))
    events = [make_event("receipt_submitted", lease_id=lease.id, output_hash=msg.output_hash.hex())]
    if k.is_redundant(job):
        k.set_lease(store, lease)
        return events + k.advance_redundancy(store, ctx, params, job.id)
    k.set_lease(store, k.schedule_settlement(store, ctx, params, lease))
    return events


def process_withdraw_earnings(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgWithdrawEarnings) -> list[Event]:
    """Before settlement only whole checkpoints, and no more than the lock can claw back; the rest is
    paid when the work is verified or its challenge window passes."""
    params = get_params(store)
    lease = k.get_lease(store, msg.lease_id)
    # Verify the provider withdraws from its own open lease
    if lease.provider != sender:
        raise NotLeaseProviderError(f"lease {lease.id} belongs to another provider")
    if lease.status == CLOSED:
        raise LeaseStateError(f"lease {lease.id} is closed and fully settled")
    stream = escrow.get_stream(store, lease.job_id, lease.id, ctx.height)
    cap = k.compute_unverified_cap(lease, stream.rate, stream.accrued_blocks, params)
    # Verify there is released pay left
    if cap <= stream.paid:
        raise NothingToWithdrawError(f"lease {lease.id} has no released earnings: {stream.paid} uake paid of "
                                     f"{stream.earned} earned; the rest is paid once verified")
    payment = escrow.pay_stream(store, lease.job_id, lease.id, sender, ctx.height, k.get_pay_terms(store, params), cap)
    return [make_event("lease_paid", lease_id=lease.id, net=payment.net, take=payment.take, burned=payment.burned)]


HANDLERS = {
    MsgRegisterProvider: process_register_provider,
    MsgUpdateProvider: process_update_provider,
    MsgDeregisterProvider: process_deregister_provider,
    MsgDepositCollateral: process_deposit_collateral,
    MsgWithdrawCollateral: process_withdraw_collateral,
    MsgCreateJob: process_create_job,
    MsgTopUp: process_top_up,
    MsgCancelJob: process_cancel_job,
    MsgBid: process_bid,
    MsgWithdrawBid: process_withdraw_bid,
    MsgSubmitReceipt: process_submit_receipt,
    MsgRevealReceipt: process_reveal_receipt,
    MsgWithdrawEarnings: process_withdraw_earnings,
}
