"""The gov message server: holders' messages (submit, deposit, vote, delegate votes) and the
messages only a passed proposal sends (param change, treasury spend, grants)."""
from __future__ import annotations

import json
from dataclasses import replace

from akechain.chain.codec import GenesisError
from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.bank.keeper import TREASURY, process_transfer
from akechain.chain.modules.gov import keeper as k
from akechain.chain.modules.gov.errors import (
    DelegationLoopError,
    GrantNotFoundError,
    InitialDepositTooLowError,
    NotAuthorityError,
    NotInDepositPeriodError,
    NotInVotingPeriodError,
    NoVoteDelegationError,
    NoVotingPowerError,
    ParamChangeError,
    ProposalTooLargeError,
    TooManyGrantsError,
    TreasuryRecipientError,
)
from akechain.chain.modules.gov.msgs import (
    MsgCancelGrant,
    MsgCreateGrant,
    MsgDelegateVotes,
    MsgDeposit,
    MsgSubmitProposal,
    MsgTreasurySpend,
    MsgUndelegateVotes,
    MsgUpdateParams,
    MsgVote,
    MsgWeightedVote,
)
from akechain.chain.modules.gov.params import BPS, Params, get_params
from akechain.chain.modules.gov.records import (
    DEPOSIT_PERIOD,
    EMPTY_TALLY,
    GOV_AUTHORITY,
    VOTING_PERIOD,
    Grant,
    Proposal,
    Vote,
    WeightedOption,
    get_deposit_queue_key,
    get_grant_key,
    get_grant_queue_key,
    get_vote_key,
    get_voting_queue_key,
)
from akechain.chain.modules.gov.tally import has_voting_power
from akechain.chain.modules.kpi.counters import increase_counters
from akechain.chain.params import ParamSet
from akechain.chain.store import BlockContext, Event, StoreView, make_event
from state.codec import encode


def compute_proposal_bytes(msg: MsgSubmitProposal) -> int:
    return len(msg.title.encode()) + len(msg.summary.encode()) + sum(len(encode(m)) for m in msg.messages)


def get_min_deposit(params: Params, expedited: bool) -> int:
    return params.expedited_min_deposit if expedited else params.min_deposit


def compute_param_change(ctx: BlockContext, store: StoreView, msg: MsgUpdateParams) -> tuple[ParamSet, object]:
    """The module's params record with the change applied, checked against every declared bound."""
    param_set = ctx.params.get(msg.module)
    if param_set is None:
        raise ParamChangeError(f"module {msg.module!r} has no params; these do: {', '.join(sorted(ctx.params))}")
    try:
        record = param_set.from_json({**param_set.to_json(param_set.get(store)), **json.loads(msg.changes)})
    except (ValueError, GenesisError) as exc:
        raise ParamChangeError(f"{msg.module} params: {exc}") from exc
    return param_set, record


def start_voting(store: StoreView, proposal: Proposal, time_ms: int, params: Params) -> Proposal:
    """Move a proposal whose deposits reached the minimum from the deposit queue to the voting queue."""
    store.delete(get_deposit_queue_key(proposal.deposit_end_ms, proposal.id))
    period = params.expedited_voting_period_ms if proposal.expedited else params.voting_period_ms
    proposal = replace(proposal, status=VOTING_PERIOD, voting_start_ms=time_ms, voting_end_ms=time_ms + period)
    k.set_proposal(store, proposal)
    k.set_marker(store, get_voting_queue_key(proposal.voting_end_ms, proposal.id))
    return proposal


def process_submit_proposal(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgSubmitProposal) -> list[Event]:
    params = get_params(store)
    # Verify the proposal fits its bounds
    if len(msg.messages) > params.max_messages:
        raise ProposalTooLargeError(f"{len(msg.messages)} messages, at most {params.max_messages} per proposal")
    size = compute_proposal_bytes(msg)
    if size > params.max_proposal_bytes:
        raise ProposalTooLargeError(f"proposal of {size} bytes, at most {params.max_proposal_bytes}")
    # Verify the initial deposit is the required share of the minimum deposit
    required = get_min_deposit(params, msg.expedited) * params.min_initial_deposit_bps // BPS
    if msg.initial_deposit < required:
        raise InitialDepositTooLowError(f"initial deposit {msg.initial_deposit} uake is below {required} uake")
    # Verify every param change is within its module's declared bounds now, not at execution
    for message in msg.messages:
        if isinstance(message, MsgUpdateParams):
            compute_param_change(ctx, store, message)
        elif isinstance(message, (MsgTreasurySpend, MsgCreateGrant)):
            require_plain_recipient(ctx, message.recipient)
    counters = k.get_counters(store)
    proposal = Proposal(id=counters.next_proposal_id, proposer=sender, messages=msg.messages, title=msg.title,
                        summary=msg.summary, expedited=msg.expedited, status=DEPOSIT_PERIOD,
                        submit_time_ms=ctx.time_ms, deposit_end_ms=ctx.time_ms + params.deposit_period_ms,
                        voting_start_ms=0, voting_end_ms=0, total_deposit=0, final_tally=EMPTY_TALLY, failure="")
    k.set_counters(store, replace(counters, next_proposal_id=proposal.id + 1))
    increase_counters(store, proposals=1)
    k.set_proposal(store, proposal)
    k.set_marker(store, get_deposit_queue_key(proposal.deposit_end_ms, proposal.id))
    if msg.initial_deposit:
        proposal = k.add_deposit(store, proposal, sender, msg.initial_deposit)
    if proposal.total_deposit >= get_min_deposit(params, proposal.expedited):
        proposal = start_voting(store, proposal, ctx.time_ms, params)
    return [make_event("submit_proposal", proposal_id=proposal.id, proposer=format_address(sender),
                       status=proposal.status, messages=len(msg.messages))]


def process_deposit(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgDeposit) -> list[Event]:
    proposal = k.require_proposal(store, msg.proposal_id)
    # Verify the proposal still takes deposits (its deposit or voting period runs)
    if proposal.status not in (DEPOSIT_PERIOD, VOTING_PERIOD):
        raise NotInDepositPeriodError(f"proposal {proposal.id} is closed")
    params = get_params(store)
    proposal = k.add_deposit(store, proposal, sender, msg.amount)
    if proposal.status == DEPOSIT_PERIOD and proposal.total_deposit >= get_min_deposit(params, proposal.expedited):
        proposal = start_voting(store, proposal, ctx.time_ms, params)
    return [make_event("deposit", proposal_id=proposal.id, depositor=format_address(sender), amount=msg.amount,
                       total=proposal.total_deposit)]


def record_vote(store: StoreView, ctx: BlockContext, voter: Address, proposal_id: int,
                options: tuple[WeightedOption, ...]) -> list[Event]:
    proposal = k.require_proposal(store, proposal_id)
    # Verify voting is open (a vote may be changed until the period ends) and the voter has power
    if proposal.status != VOTING_PERIOD or ctx.time_ms >= proposal.voting_end_ms:
        raise NotInVotingPeriodError(f"proposal {proposal_id} is not in its voting period")
    if not has_voting_power(store, voter):
        raise NoVotingPowerError(f"{format_address(voter)} has no bonded stake, validator or vote delegators")
    store.set(get_vote_key(proposal_id, voter), Vote(options))
    return [make_event("vote", proposal_id=proposal_id, voter=format_address(voter),
                       options=",".join(f"{o.option}:{o.weight_bps}" for o in options))]


def process_vote(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgVote) -> list[Event]:
    return record_vote(store, ctx, sender, msg.proposal_id, (WeightedOption(msg.option, BPS),))


def process_weighted_vote(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgWeightedVote) -> list[Event]:
    return record_vote(store, ctx, sender, msg.proposal_id, msg.options)


def process_delegate_votes(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgDelegateVotes) -> list[Event]:
    # Verify the power moves one hop: not to oneself, not to an account that delegates its own onward
    if msg.delegate == sender:
        raise DelegationLoopError("an account cannot delegate its voting power to itself")
    onward = k.get_vote_delegate(store, msg.delegate)
    if onward is not None:
        raise DelegationLoopError(f"{format_address(msg.delegate)} delegates its own voting power to "
                                  f"{format_address(onward)}; delegate to an account that votes itself")
    k.set_vote_delegate(store, sender, msg.delegate)
    return [make_event("delegate_votes", delegator=format_address(sender), delegate=format_address(msg.delegate))]


def process_undelegate_votes(store: StoreView, ctx: BlockContext, sender: Address,
                             msg: MsgUndelegateVotes) -> list[Event]:
    delegate = k.remove_vote_delegate(store, sender)
    # Verify there was a delegation to take back
    if delegate is None:
        raise NoVoteDelegationError(f"{format_address(sender)} does not delegate its voting power")
    return [make_event("undelegate_votes", delegator=format_address(sender), delegate=format_address(delegate))]


# -- sent by the gov authority (a passed proposal) only ---------------------------------------------


def require_authority(sender: Address, msg: object) -> None:
    if sender != GOV_AUTHORITY:
        raise NotAuthorityError(f"{type(msg).__name__} is executed only by a passed proposal")


def process_update_params(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgUpdateParams) -> list[Event]:
    require_authority(sender, msg)
    param_set, record = compute_param_change(ctx, store, msg)
    param_set.set(store, record)
    return [make_event("update_params", module=msg.module, changes=msg.changes)]


def require_plain_recipient(ctx: BlockContext, recipient: bytes) -> None:
    """Module accounts receive funds only through their module's logic (their invariants stay exact)."""
    if recipient in ctx.module_accounts:
        raise TreasuryRecipientError(f"{format_address(recipient)} is a module account")


def process_treasury_spend(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgTreasurySpend) -> list[Event]:
    require_authority(sender, msg)
    require_plain_recipient(ctx, msg.recipient)
    process_transfer(store, TREASURY, msg.recipient, msg.amount)
    k.increase_totals(store, treasury_spent=msg.amount)
    increase_counters(store, treasury_outflows=msg.amount)
    return [make_event("treasury_spend", recipient=format_address(msg.recipient), amount=msg.amount)]


def process_create_grant(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgCreateGrant) -> list[Event]:
    require_authority(sender, msg)
    require_plain_recipient(ctx, msg.recipient)
    params = get_params(store)
    counters = k.get_counters(store)
    # Verify the grant is still to pay and the treasury's per-block work stays bounded
    if msg.end_height <= ctx.height:
        raise GrantNotFoundError(f"grant end height {msg.end_height} is not after height {ctx.height}")
    if counters.active_grants >= params.max_active_grants:
        raise TooManyGrantsError(f"{counters.active_grants} grants are active, at most {params.max_active_grants}")
    grant = Grant(id=counters.next_grant_id, recipient=msg.recipient,
                  amount_per_block=msg.amount_per_block, start_height=ctx.height + 1, end_height=msg.end_height,
                  paid=0)
    k.set_counters(store, replace(counters, next_grant_id=grant.id + 1, active_grants=counters.active_grants + 1))
    store.set(get_grant_key(grant.id), grant)
    k.set_marker(store, get_grant_queue_key(grant.start_height, grant.id))
    return [make_event("create_grant", grant_id=grant.id, recipient=format_address(grant.recipient),
                       amount_per_block=grant.amount_per_block, end_height=grant.end_height)]


def process_cancel_grant(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgCancelGrant) -> list[Event]:
    require_authority(sender, msg)
    grant = k.require_grant(store, msg.grant_id)
    end_grant(store, grant, ctx.height + 1)
    return [make_event("cancel_grant", grant_id=grant.id, paid=grant.paid)]


def end_grant(store: StoreView, grant: Grant, queued_height: int) -> None:
    """Forget a grant and its queue entry (it is queued at the next height it would pay)."""
    store.delete(get_grant_key(grant.id))
    store.delete(get_grant_queue_key(queued_height, grant.id))
    counters = k.get_counters(store)
    k.set_counters(store, replace(counters, active_grants=counters.active_grants - 1))


HANDLERS = {
    MsgSubmitProposal: process_submit_proposal,
    MsgDeposit: process_deposit,
    MsgVote: process_vote,
    MsgWeightedVote: process_weighted_vote,
    MsgDelegateVotes: process_delegate_votes,
    MsgUndelegateVotes: process_undelegate_votes,
    MsgUpdateParams: process_update_params,
    MsgTreasurySpend: process_treasury_spend,
    MsgCreateGrant: process_create_grant,
    MsgCancelGrant: process_cancel_grant,
}
