"""The market's message server: each handler verifies state-dependent conditions
(under `# Verify` comments, raising typed errors before any write), then calls the keepers."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.escrow import keeper as escrow
from akechain.chain.modules.escrow.errors import NothingToWithdrawError
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
    TooManyBidsError,
)
from akechain.chain.modules.market.msgs import (
    POLICY_SPOT_CHECK,
    MsgBid,
    MsgCancelJob,
    MsgCreateJob,
    MsgDepositCollateral,
    MsgDeregisterProvider,
    MsgRegisterProvider,
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
    Q_BID_CLOSE,
    Q_DEADLINE,
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
from akechain.chain.modules.bank.keeper import TREASURY, process_transfer
from akechain.chain.store import BlockContext, Event, StoreView, make_event
from akechain.chain.modules.verify import keeper as verify

MIN_VERIFIERS = 2  # a spot check needs a checker, and a challenge a referee who is not the challenger


# -- providers ---------------------------------------------------------------------------------


def process_register_provider(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgRegisterProvider) -> list[Event]:
    # Verify the provider is new
    if store.get(get_provider_key(sender), Provider) is not None:
        raise ProviderExistsError(f"{format_address(sender)} is already a registered provider")
    store.set(get_provider_key(sender), Provider(msg.hardware, msg.region, msg.attributes, msg.endpoint,
                                                 0, 0, 0, ctx.height, False))
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
    # Verify no lease depends on its collateral
    if provider.open_leases:
        raise ProviderHasLeasesError(f"provider has {provider.open_leases} open leases; deregister after they close")
    if provider.collateral:
        process_transfer(store, COLLATERAL_ACCOUNT, sender, provider.collateral)
    store.delete(get_provider_key(sender))
    return [make_event("provider_deregistered", provider=format_address(sender), refunded=provider.collateral)]


def process_deposit_collateral(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgDepositCollateral) -> list[Event]:
    provider = k.increase_collateral(store, sender, msg.amount)
    return [make_event("collateral_deposited", provider=format_address(sender), collateral=provider.collateral)]


def process_withdraw_collateral(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgWithdrawCollateral) -> list[Event]:
    provider = k.decrease_collateral(store, sender, msg.amount)
    return [make_event("collateral_withdrawn", provider=format_address(sender), collateral=provider.collateral)]


# -- jobs --------------------------------------------------------------------------------------


def process_create_job(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgCreateJob) -> list[Event]:
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
    job = Job(
        id=sequences.next_job, consumer=sender, resources=msg.resources, duration_blocks=msg.duration_blocks,
        region=msg.region, attributes=msg.attributes, budget=msg.budget, max_price=msg.max_price,
        created_height=ctx.height, bid_close_height=ctx.height + msg.bid_window_blocks,
        deadline_height=ctx.height + msg.deadline_blocks, policy=msg.policy, allow=msg.allow, deny=msg.deny,
        workload=msg.workload, status=BIDDING, bidders=(), leases=(), verdict_done=False,
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
    if len(job.bidders) >= params.max_bids_per_job:
        raise TooManyBidsError(f"job {job.id} already has {params.max_bids_per_job} bids")
    # Verify the free collateral covers the lease this bid could win
    required = k.compute_required_collateral(msg.price, job.duration_blocks, k.get_score(store, sender, params), params)
    free = k.get_free_collateral(provider)
    if provider.slashed or free < required:
        raise InsufficientCollateralError(f"bid needs {required} uake of free collateral, provider has {free}")
    store.set(get_bid_key(job.id, sender), Bid(sender, msg.price, msg.latency_ms, msg.resources, ctx.height))
    k.set_job(store, replace(job, bidders=tuple(sorted(job.bidders + (sender,)))))
    return [make_event("bid_placed", job_id=job.id, provider=format_address(sender), price=msg.price)]


def process_withdraw_bid(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgWithdrawBid) -> list[Event]:
    job = k.get_job(store, msg.job_id)
    # Verify the window is still open and the bid exists
    if job.status != BIDDING or ctx.height > job.bid_close_height:
        raise JobNotOpenError(f"job {job.id}'s bid window has closed")
    k.get_bid(store, job.id, sender)
    store.delete(get_bid_key(job.id, sender))
    k.set_job(store, replace(job, bidders=tuple(b for b in job.bidders if b != sender)))
    return [make_event("bid_withdrawn", job_id=job.id, provider=format_address(sender))]


# -- receipts and earnings ---------------------------------------------------------------------


def process_submit_receipt(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgSubmitReceipt) -> list[Event]:
    params = get_params(store)
    lease = k.get_lease(store, msg.lease_id)
    # Verify the sender holds the lease, which awaits its one receipt before the deadline
    if lease.provider != sender:
        raise NotLeaseProviderError(f"lease {lease.id} belongs to another provider")
    if lease.status == SUBMITTED or (lease.status == CLOSED and lease.receipt is not None):
        raise DuplicateReceiptError(f"lease {lease.id} already has a receipt")
    if lease.status != RUNNING:
        raise LeaseStateError(f"lease {lease.id} is closed ({lease.close_reason})")
    job = k.get_job(store, lease.job_id)
    escrow.stop_stream(store, job.id, lease.id, ctx.height)
    receipt = Receipt(msg.output_hash, msg.usage, msg.uptime_bps, msg.latency_ms, ctx.height)
    lease = replace(lease, status=SUBMITTED, receipt=receipt)
    events = [make_event("receipt_submitted", lease_id=lease.id, output_hash=msg.output_hash.hex())]
    if k.is_redundant(job):
        k.set_lease(store, lease)
        if all(k.get_lease(store, i).status != RUNNING for i in job.leases):
            events.extend(k.evaluate_redundancy(store, ctx, params, job))
        return events
    if job.policy.kind == POLICY_SPOT_CHECK and verify.is_spot_checked(ctx.random_seed, lease.id, job.policy.spot_check_bps):
        candidates = [v for v in params.verifiers if v not in (lease.provider, job.consumer)]
        verifier = verify.pick_verifier(ctx.random_seed, b"spot-verifier", lease.id, candidates)
        if verifier:  # with no one to check it, the receipt is not verified (it settles unverified)
            lease = replace(lease, spot_checked=True, verifier=verifier)
            events.append(make_event("spot_check", lease_id=lease.id, verifier=verifier.hex()))
    k.set_lease(store, k.schedule_settlement(store, ctx, params, lease))
    return events


def process_withdraw_earnings(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgWithdrawEarnings) -> list[Event]:
    params = get_params(store)
    lease = k.get_lease(store, msg.lease_id)
    # Verify the provider withdraws from its own open lease
    if lease.provider != sender:
        raise NotLeaseProviderError(f"lease {lease.id} belongs to another provider")
    if lease.status == CLOSED:
        raise LeaseStateError(f"lease {lease.id} is closed and fully settled")
    payment = escrow.pay_stream(store, lease.job_id, lease.id, sender, ctx.height, params.take_rate_bps,
                                params.take_burn_bps, TREASURY)
    if payment.gross == 0:
        raise NothingToWithdrawError(f"lease {lease.id} has earned nothing since the last withdrawal")
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
    MsgWithdrawEarnings: process_withdraw_earnings,
}
