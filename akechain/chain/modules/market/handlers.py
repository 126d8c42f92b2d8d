"""The market's and verify's message server: each handler verifies state-dependent conditions
(under `# Verify` comments, raising typed errors before any write), then calls the keepers."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.escrow import keeper as escrow
from akechain.chain.modules.market import keeper as k
from akechain.chain.modules.market.errors import (
    ChallengeExistsError,
    ChallengeNotAllowedError,
    ChallengeWindowClosedError,
    DuplicateBidError,
    DuplicateReceiptError,
    InsufficientCollateralError,
    InvalidJobError,
    JobClosedError,
    JobNotOpenError,
    LeaseStateError,
    NoRefereeError,
    NothingToWithdrawError,
    NotJobConsumerError,
    NotLeaseProviderError,
    NotRefereeError,
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
    MsgChallenge,
    MsgCreateJob,
    MsgDepositCollateral,
    MsgDeregisterProvider,
    MsgRegisterProvider,
    MsgSubmitReceipt,
    MsgTopUp,
    MsgUpdateProvider,
    MsgVerdict,
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
    Q_CHALLENGE_END,
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
from akechain.chain.modules.bank import params as bank_params
from akechain.chain.modules.bank.keeper import process_transfer
from akechain.chain.store import BlockContext, Event, StoreView
from akechain.chain.modules.verify import keeper as verify


def _event(kind: str, **attrs: object) -> Event:
    return (kind, tuple((name, value if isinstance(value, str) else str(value)) for name, value in attrs.items()))


# -- providers ---------------------------------------------------------------------------------


def process_register_provider(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgRegisterProvider) -> list[Event]:
    # Verify the provider is new
    if store.get(get_provider_key(sender), Provider) is not None:
        raise ProviderExistsError(f"{format_address(sender)} is already a registered provider")
    store.set(get_provider_key(sender), Provider(msg.hardware, msg.region, msg.attributes, msg.endpoint,
                                                 0, 0, 0, ctx.height, False))
    if msg.collateral:
        k.increase_collateral(store, sender, msg.collateral)
    return [_event("provider_registered", provider=format_address(sender), collateral=msg.collateral)]


def process_update_provider(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgUpdateProvider) -> list[Event]:
    provider = k.get_provider(store, sender)
    store.set(get_provider_key(sender), replace(provider, hardware=msg.hardware, region=msg.region,
                                                attributes=msg.attributes, endpoint=msg.endpoint))
    return [_event("provider_updated", provider=format_address(sender))]


def process_deregister_provider(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgDeregisterProvider) -> list[Event]:
    provider = k.get_provider(store, sender)
    # Verify no lease depends on its collateral
    if provider.open_leases:
        raise ProviderHasLeasesError(f"provider has {provider.open_leases} open leases; deregister after they close")
    if provider.collateral:
        process_transfer(store, COLLATERAL_ACCOUNT, sender, provider.collateral)
    store.delete(get_provider_key(sender))
    return [_event("provider_deregistered", provider=format_address(sender), refunded=provider.collateral)]


def process_deposit_collateral(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgDepositCollateral) -> list[Event]:
    provider = k.increase_collateral(store, sender, msg.amount)
    return [_event("collateral_deposited", provider=format_address(sender), collateral=provider.collateral)]


def process_withdraw_collateral(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgWithdrawCollateral) -> list[Event]:
    provider = k.decrease_collateral(store, sender, msg.amount)
    return [_event("collateral_withdrawn", provider=format_address(sender), collateral=provider.collateral)]


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
    return [_event("job_created", job_id=job.id, consumer=format_address(sender), budget=msg.budget,
                   bid_close_height=job.bid_close_height)]


def process_top_up(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgTopUp) -> list[Event]:
    job = k.get_job(store, msg.job_id)
    # Verify the job can still use funds
    if job.status not in (BIDDING, ACTIVE):
        raise JobClosedError(f"job {job.id} is closed; its escrow was refunded")
    resumed = escrow.deposit(store, job.id, sender, msg.amount, ctx.height)
    return [_event("escrow_topped_up", job_id=job.id, depositor=format_address(sender), amount=msg.amount,
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
    # Verify the bidder is a registered, eligible provider
    provider = k.get_provider(store, sender)
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
    return [_event("bid_placed", job_id=job.id, provider=format_address(sender), price=msg.price)]


def process_withdraw_bid(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgWithdrawBid) -> list[Event]:
    job = k.get_job(store, msg.job_id)
    # Verify the window is still open and the bid exists
    if job.status != BIDDING or ctx.height > job.bid_close_height:
        raise JobNotOpenError(f"job {job.id}'s bid window has closed")
    k.get_bid(store, job.id, sender)
    store.delete(get_bid_key(job.id, sender))
    k.set_job(store, replace(job, bidders=tuple(b for b in job.bidders if b != sender)))
    return [_event("bid_withdrawn", job_id=job.id, provider=format_address(sender))]


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
    events = [_event("receipt_submitted", lease_id=lease.id, output_hash=msg.output_hash.hex())]
    if k.is_redundant(job):
        k.set_lease(store, lease)
        if all(k.get_lease(store, i).status != RUNNING for i in job.leases):
            events.extend(k.evaluate_redundancy(store, ctx, params, job))
        return events
    if job.policy.kind == POLICY_SPOT_CHECK and verify.is_spot_checked(ctx.random_seed, lease.id, job.policy.spot_check_bps):
        candidates = [v for v in params.verifiers if v not in (lease.provider, job.consumer)]
        verifier = verify.pick_verifier(ctx.random_seed, b"spot-verifier", lease.id, candidates)
        lease = replace(lease, spot_checked=True, verifier=verifier)
        events.append(_event("spot_check", lease_id=lease.id, verifier=verifier.hex()))
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
    bank = bank_params.get_params(store)
    payment = escrow.pay_stream(store, lease.job_id, lease.id, sender, ctx.height, params.take_rate_bps,
                                params.take_burn_bps, Address(bank.treasury))
    if payment.gross == 0:
        raise NothingToWithdrawError(f"lease {lease.id} has earned nothing since the last withdrawal")
    return [_event("lease_paid", lease_id=lease.id, net=payment.net, take=payment.take, burned=payment.burned)]


# -- verification ------------------------------------------------------------------------------


def process_challenge(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgChallenge) -> list[Event]:
    params = get_params(store)
    lease = k.get_lease(store, msg.lease_id)
    job = k.get_job(store, lease.job_id)
    # Verify the lease can be challenged, by this sender, now
    if k.is_redundant(job):
        raise ChallengeNotAllowedError("redundancy jobs are judged by their majority, not by challenges")
    if sender != job.consumer and sender not in params.verifiers:
        raise ChallengeNotAllowedError("only the consumer or a verifier may challenge")
    if lease.status != SUBMITTED or ctx.height > lease.settle_height:
        raise ChallengeWindowClosedError(f"lease {lease.id} is not within its challenge window")
    if lease.challenge_id:
        raise ChallengeExistsError(f"lease {lease.id} is already challenged (challenge {lease.challenge_id})")
    if msg.claimed_hash == lease.receipt.output_hash:
        raise ChallengeNotAllowedError("the claimed output equals the receipt's; nothing to challenge")
    candidates = [v for v in params.verifiers if v not in (lease.provider, sender, job.consumer)]
    sequences = k.get_sequences(store)
    referee = verify.pick_verifier(ctx.random_seed, b"referee", sequences.next_challenge, candidates)
    if not referee:
        raise NoRefereeError("no verifier is available to referee this challenge")
    store.set(SEQUENCES_KEY, replace(sequences, next_challenge=sequences.next_challenge + 1))
    challenge = verify.Challenge(
        id=sequences.next_challenge, lease_id=lease.id, challenger=sender, bond=params.challenge_bond,
        claimed_hash=msg.claimed_hash, referee=referee, opened_height=ctx.height,
        end_height=ctx.height + params.challenge_window_blocks, status=verify.OPEN, verdict_hash=b"",
    )
    verify.open_challenge(store, challenge)
    k.schedule(store, challenge.end_height, Q_CHALLENGE_END, challenge.id)
    k.set_lease(store, replace(lease, challenge_id=challenge.id))
    return [_event("challenge_opened", challenge_id=challenge.id, lease_id=lease.id, referee=referee.hex(),
                   end_height=challenge.end_height)]


def process_verdict(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgVerdict) -> list[Event]:
    challenge = verify.get_challenge(store, msg.challenge_id)
    # Verify the referee judges an open challenge in time
    if sender != challenge.referee:
        raise NotRefereeError(f"only the assigned referee may judge challenge {challenge.id}")
    if challenge.status != verify.OPEN or ctx.height > challenge.end_height:
        raise ChallengeWindowClosedError(f"challenge {challenge.id} is no longer open")
    return resolve_challenge(store, ctx, challenge, msg.output_hash)


def resolve_challenge(store: StoreView, ctx: BlockContext, challenge: verify.Challenge, verdict: bytes) -> list[Event]:
    """Referee output = receipt: false challenge, bond to the provider, lease settles verified.
    Referee output = claim: proven mismatch, bond back, slash. Otherwise (or no verdict): bond back."""
    params = get_params(store)
    lease = k.get_lease(store, challenge.lease_id)
    job = k.get_job(store, lease.job_id)
    if challenge.end_height > ctx.height:
        k.unschedule(store, challenge.end_height, Q_CHALLENGE_END, challenge.id)
    if verdict and verdict == lease.receipt.output_hash:
        verify.close_challenge(store, challenge, verify.REJECTED, verdict, lease.provider)
        events = [_event("challenge_rejected", challenge_id=challenge.id, bond=challenge.bond)]
        events.extend(k.settle_lease(store, ctx, params, replace(lease, verified=True)))
    elif verdict and verdict == challenge.claimed_hash:
        verify.close_challenge(store, challenge, verify.UPHELD, verdict, challenge.challenger)
        events = [_event("challenge_upheld", challenge_id=challenge.id)]
        events.extend(k.slash(store, ctx, params, lease, job, "slashed", challenge.challenger))
    else:
        verify.close_challenge(store, challenge, verify.INCONCLUSIVE, verdict, challenge.challenger)
        events = [_event("challenge_inconclusive", challenge_id=challenge.id)]
        events.extend(k.settle_lease(store, ctx, params, replace(lease, spot_checked=False)))
    return events


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
    MsgChallenge: process_challenge,
    MsgVerdict: process_verdict,
}
