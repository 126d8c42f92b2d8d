"""Read-only gov queries for RPC, CLI and tests (committed state; none writes)."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.modules.bank.keeper import TREASURY, get_balance
from akechain.chain.modules.gov import keeper as k
from akechain.chain.modules.gov.guardian import get_guardian
from akechain.chain.modules.gov.params import Params, get_params
from akechain.chain.modules.gov.records import (
    DEPOSIT_PREFIX,
    GRANT_PREFIX,
    PROPOSAL_PREFIX,
    VOTE_PREFIX,
    VOTING_PERIOD,
    Deposit,
    Grant,
    Proposal,
    TallyResult,
    Totals,
    Vote,
    WeightedOption,
    get_proposal_key,
    u64,
)
from akechain.chain.modules.gov.tally import compute_tally
from akechain.chain.store import StoreView, take


@dataclass(frozen=True, slots=True)
class VoteView:
    voter: bytes
    options: tuple[WeightedOption, ...]


@dataclass(frozen=True, slots=True)
class DepositView:
    depositor: bytes
    amount: int


@dataclass(frozen=True, slots=True)
class TallyView:
    proposal_id: int
    live: bool  # True while voting runs (computed now), False once final
    tally: TallyResult
    bonded: int  # bonded stake now (live) or 0 once final
    voters: int


@dataclass(frozen=True, slots=True)
class VoteDelegationView:
    delegator: bytes
    delegate: bytes | None  # whom its power follows
    delegators: tuple[bytes, ...]  # who delegate their power to it


@dataclass(frozen=True, slots=True)
class TreasuryView:
    balance: int
    spent: int  # one-off spends of passed proposals since genesis
    grants_paid: int
    grants: tuple[Grant, ...]


def query_proposals(store: StoreView, start_id: int = 1, limit: int | None = None) -> list[Proposal]:
    return [p for _, p in take(store.iterate(PROPOSAL_PREFIX, Proposal, get_proposal_key(start_id)), limit)]


def query_proposal(store: StoreView, proposal_id: int) -> Proposal | None:
    return k.get_proposal(store, proposal_id)


def query_votes(store: StoreView, proposal_id: int, limit: int | None = None) -> list[VoteView]:
    return [VoteView(key[-20:], vote.options) for key, vote in take(store.iterate(VOTE_PREFIX + u64(proposal_id), Vote), limit)]


def query_deposits(store: StoreView, proposal_id: int) -> list[DepositView]:
    return [DepositView(key[-20:], d.amount) for key, d in store.iterate(DEPOSIT_PREFIX + u64(proposal_id), Deposit)]


def query_tally(store: StoreView, proposal_id: int) -> TallyView | None:
    """The live tally while voting runs, the final one afterwards (None: no such proposal)."""
    proposal = k.get_proposal(store, proposal_id)
    if proposal is None:
        return None
    if proposal.status != VOTING_PERIOD:
        return TallyView(proposal_id, False, proposal.final_tally, 0, 0)
    tally = compute_tally(store, proposal_id)
    return TallyView(proposal_id, True, tally.result, tally.bonded, tally.voters)


def query_vote_delegation(store: StoreView, account: bytes) -> VoteDelegationView:
    return VoteDelegationView(account, k.get_vote_delegate(store, account), tuple(k.get_vote_delegators(store, account)))


def query_grants(store: StoreView) -> list[Grant]:
    return [grant for _, grant in store.iterate(GRANT_PREFIX, Grant)]


def query_treasury(store: StoreView) -> TreasuryView:
    totals = k.get_totals(store)
    return TreasuryView(get_balance(store, TREASURY), totals.treasury_spent, totals.grants_paid,
                        tuple(query_grants(store)))


def query_totals(store: StoreView) -> Totals:
    return k.get_totals(store)


def query_params(store: StoreView) -> Params:
    return get_params(store)


QUERIES = {
    "guardian": get_guardian,
    "proposals": query_proposals,
    "proposal": query_proposal,
    "votes": query_votes,
    "deposits": query_deposits,
    "tally": query_tally,
    "vote_delegation": query_vote_delegation,
    "grants": query_grants,
    "treasury": query_treasury,
    "totals": query_totals,
    "params": query_params,
}
