"""Gov's end of block: pay the continuous grants due at this height, close the deposit periods and
voting periods that ended by this block's time (each read from the front of its queue, so the work
follows what is due, never every proposal or grant), tally, execute passed proposals atomically."""
from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from akechain.chain.crypto import format_address
from akechain.chain.modules.bank.keeper import TREASURY, get_balance, process_transfer
from akechain.chain.modules.gov import keeper as k
from akechain.chain.modules.gov.guardian import GUARDIAN_HANDLERS
from akechain.chain.modules.gov.handlers import HANDLERS, end_grant
from akechain.chain.modules.gov.msgs import PROPOSAL_MSGS
from akechain.chain.modules.gov.params import BPS, Params, get_params
from akechain.chain.modules.gov.records import (
    DEPOSIT_QUEUE_PREFIX,
    DROPPED,
    FAILED,
    GOV_AUTHORITY,
    GRANT_QUEUE_PREFIX,
    PASSED,
    REJECTED,
    STATUS_NAMES,
    VETOED,
    VOTING_QUEUE_PREFIX,
    Marker,
    Proposal,
    TallyResult,
    get_grant_key,
    get_grant_queue_key,
    get_voting_queue_key,
)
from akechain.chain.modules.gov.tally import Tally, compute_tally
from akechain.chain.modules.kpi.counters import increase_counters
from akechain.chain.modules.upgrade.handlers import HANDLERS as UPGRADE_HANDLERS
from akechain.chain.store import BlockContext, Event, StoreView, make_event


EXECUTORS = {msg_type: {**HANDLERS, **GUARDIAN_HANDLERS, **UPGRADE_HANDLERS}[msg_type] for msg_type in PROPOSAL_MSGS}


class RevertibleStore(StoreView, Protocol):
    """The block's journal, which end blocks are given: a failed proposal's writes are dropped."""

    def snapshot(self) -> int: ...

    def revert(self, snapshot: int) -> None: ...


def take_due(store: StoreView, prefix: bytes, until: int) -> list[bytes]:
    """Keys of a queue whose first 8 bytes after the prefix are at most `until`, front first."""
    due = []
    for key, _ in store.iterate(prefix, Marker):
        if int.from_bytes(key[1:9], "big") > until:
            break
        due.append(key)
    return due


def process_end_block(store: RevertibleStore, ctx: BlockContext) -> list[Event]:
    params = get_params(store)
    events = pay_grants(store, ctx)
    for key in take_due(store, DEPOSIT_QUEUE_PREFIX, ctx.time_ms):
        store.delete(key)
        events.append(drop_proposal(store, k.require_proposal(store, int.from_bytes(key[9:17], "big")), params))
    for key in take_due(store, VOTING_QUEUE_PREFIX, ctx.time_ms):
        store.delete(key)
        events.append(end_voting(store, ctx, k.require_proposal(store, int.from_bytes(key[9:17], "big")), params))
    return events


def drop_proposal(store: StoreView, proposal: Proposal, params: Params) -> Event:
    """The deposit period ended below the minimum deposit: refund or burn, by the param."""
    burn = params.burn_unmet_deposits == 1
    amount = k.settle_deposits(store, proposal.id, burn=burn)
    k.set_proposal(store, replace(proposal, status=DROPPED))
    return make_event("proposal_dropped", proposal_id=proposal.id, deposits=amount, burned=burn)


def compute_outcome(tally: Tally, params: Params, expedited: bool) -> int:
    """x/gov v1's rules: quorum of the bonded stake, then veto over all votes, then yes over the non-abstaining."""
    result = tally.result
    if result.total * BPS < params.quorum_bps * tally.bonded or result.total == 0:
        return REJECTED
    if result.no_with_veto * BPS > params.veto_threshold_bps * result.total:
        return VETOED
    threshold = params.expedited_threshold_bps if expedited else params.threshold_bps
    decisive = result.yes + result.no + result.no_with_veto
    if decisive and result.yes * BPS > threshold * decisive:
        return PASSED
    return REJECTED


def end_voting(store: RevertibleStore, ctx: BlockContext, proposal: Proposal, params: Params) -> Event:
    tally = compute_tally(store, proposal.id)
    outcome = compute_outcome(tally, params, proposal.expedited)
    if outcome != PASSED and proposal.expedited:
        # An expedited proposal that does not pass gets the rest of a regular voting period (x/gov v1)
        proposal = replace(proposal, expedited=False, voting_end_ms=proposal.voting_start_ms + params.voting_period_ms)
        k.set_proposal(store, proposal)
        k.set_marker(store, get_voting_queue_key(proposal.voting_end_ms, proposal.id))
        return make_event("proposal_expedited_to_regular", proposal_id=proposal.id,
                          voting_end_ms=proposal.voting_end_ms)
    k.settle_deposits(store, proposal.id, burn=outcome == VETOED)
    failure = ""
    if outcome == PASSED:
        failure = execute_messages(store, ctx, proposal)
    status = FAILED if failure else outcome
    turnout = tally.result.total * BPS // tally.bonded if tally.bonded else 0
    increase_counters(store, proposals_tallied=1, turnout_bps_sum=turnout)
    k.set_proposal(store, replace(proposal, status=status, final_tally=tally.result, failure=failure))
    return make_event("proposal_ended", proposal_id=proposal.id, status=STATUS_NAMES[status], failure=failure,
                      **tally_attributes(tally.result))


def tally_attributes(result: TallyResult) -> dict[str, int]:
    return {"yes": result.yes, "abstain": result.abstain, "no": result.no, "no_with_veto": result.no_with_veto}


def execute_messages(store: RevertibleStore, ctx: BlockContext, proposal: Proposal) -> str:
    """Run the messages in order as the gov authority; the first failure undoes them all. Returns
    why it failed ("" when every message applied)."""
    snapshot = store.snapshot()
    try:
        for i, msg in enumerate(proposal.messages):
            msg.validate_basic()
            EXECUTORS[type(msg)](store, ctx, GOV_AUTHORITY, msg)
    except Exception as exc:  # noqa: BLE001  whatever a message hits, the proposal fails and nothing changes
        if isinstance(exc, MemoryError):
            raise
        store.revert(snapshot)
        return f"message {i} ({type(msg).TAG}): {exc}"  # type: ignore[attr-defined]
    return ""


def pay_grants(store: StoreView, ctx: BlockContext) -> list[Event]:
    """Each grant queued at this height pays its amount (what the treasury holds, at most) and is
    queued at the next height, or ends after its end height."""
    events = []
    for key in take_due(store, GRANT_QUEUE_PREFIX, ctx.height):
        grant_id = int.from_bytes(key[9:17], "big")
        grant = k.require_grant(store, grant_id)
        store.delete(key)
        amount = min(grant.amount_per_block, get_balance(store, TREASURY))
        if amount:
            process_transfer(store, TREASURY, grant.recipient, amount)
            k.increase_totals(store, grants_paid=amount)
            increase_counters(store, treasury_outflows=amount)
        grant = replace(grant, paid=grant.paid + amount)
        store.set(get_grant_key(grant.id), grant)
        if ctx.height >= grant.end_height:
            end_grant(store, grant, ctx.height + 1)
        else:
            k.set_marker(store, get_grant_queue_key(ctx.height + 1, grant.id))
        events.append(make_event("grant_paid", grant_id=grant.id, recipient=format_address(grant.recipient),
                                 amount=amount, short=grant.amount_per_block - amount))
    return events
