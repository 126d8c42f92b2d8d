"""Gov state over the typed store: proposals and their queues, deposits, votes, vote delegations,
grants, and the cumulative totals the invariants check."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.modules.bank.keeper import process_burn, process_transfer
from akechain.chain.modules.gov.errors import GrantNotFoundError, ProposalNotFoundError
from akechain.chain.modules.gov.records import (
    COUNTERS_KEY,
    DEPOSIT_PREFIX,
    DEPOSITS_POOL,
    EMPTY_COUNTERS,
    EMPTY_TOTALS,
    TOTALS_KEY,
    VOTE_DELEGATORS_PREFIX,
    Counters,
    Deposit,
    Grant,
    Marker,
    Proposal,
    Totals,
    Vote,
    VoteDelegation,
    get_deposit_key,
    get_grant_key,
    get_proposal_key,
    get_vote_delegation_key,
    get_vote_delegators_key,
    get_vote_key,
    u64,
)
from akechain.chain.store import StoreView


def get_counters(store: StoreView) -> Counters:
    return store.get(COUNTERS_KEY, Counters) or EMPTY_COUNTERS


def set_counters(store: StoreView, counters: Counters) -> None:
    store.set(COUNTERS_KEY, counters)


def get_totals(store: StoreView) -> Totals:
    return store.get(TOTALS_KEY, Totals) or EMPTY_TOTALS


def increase_totals(store: StoreView, **amounts: int) -> None:
    totals = get_totals(store)
    store.set(TOTALS_KEY, replace(totals, **{name: getattr(totals, name) + n for name, n in amounts.items()}))


def get_proposal(store: StoreView, proposal_id: int) -> Proposal | None:
    return store.get(get_proposal_key(proposal_id), Proposal)


def require_proposal(store: StoreView, proposal_id: int) -> Proposal:
    proposal = get_proposal(store, proposal_id)
    if proposal is None:
        raise ProposalNotFoundError(f"no proposal {proposal_id}")
    return proposal


def set_proposal(store: StoreView, proposal: Proposal) -> None:
    store.set(get_proposal_key(proposal.id), proposal)


def set_marker(store: StoreView, key: bytes) -> None:
    store.set(key, Marker())


# -- deposits -----------------------------------------------------------------------------------


def add_deposit(store: StoreView, proposal: Proposal, depositor: bytes, amount: int) -> Proposal:
    """Move `amount` from the depositor into the deposits pool and onto the proposal."""
    process_transfer(store, depositor, DEPOSITS_POOL, amount)
    key = get_deposit_key(proposal.id, depositor)
    deposit = store.get(key, Deposit)
    store.set(key, Deposit((0 if deposit is None else deposit.amount) + amount))
    increase_totals(store, deposited=amount)
    proposal = replace(proposal, total_deposit=proposal.total_deposit + amount)
    set_proposal(store, proposal)
    return proposal


def settle_deposits(store: StoreView, proposal_id: int, burn: bool) -> int:
    """Refund (or burn) every deposit of the proposal once: each record is deleted as it is settled."""
    settled = [(key, deposit) for key, deposit in store.iterate(DEPOSIT_PREFIX + u64(proposal_id), Deposit)]
    total = 0
    for key, deposit in settled:
        if burn:
            process_burn(store, DEPOSITS_POOL, deposit.amount)
        else:
            process_transfer(store, DEPOSITS_POOL, key[-20:], deposit.amount)
        store.delete(key)
        total += deposit.amount
    increase_totals(store, **{"burned" if burn else "refunded": total})
    return total


# -- votes and vote delegations ----------------------------------------------------------------------


def get_vote(store: StoreView, proposal_id: int, voter: bytes) -> Vote | None:
    return store.get(get_vote_key(proposal_id, voter), Vote)


def get_vote_delegate(store: StoreView, delegator: bytes) -> bytes | None:
    record = store.get(get_vote_delegation_key(delegator), VoteDelegation)
    return None if record is None else record.delegate


def has_vote_delegators(store: StoreView, delegate: bytes) -> bool:
    return next(store.iterate(VOTE_DELEGATORS_PREFIX + delegate, Marker), None) is not None


def get_vote_delegators(store: StoreView, delegate: bytes) -> list[bytes]:
    return [key[-20:] for key, _ in store.iterate(VOTE_DELEGATORS_PREFIX + delegate, Marker)]


def set_vote_delegate(store: StoreView, delegator: bytes, delegate: bytes) -> None:
    remove_vote_delegate(store, delegator)
    store.set(get_vote_delegation_key(delegator), VoteDelegation(delegate))
    set_marker(store, get_vote_delegators_key(delegate, delegator))


def remove_vote_delegate(store: StoreView, delegator: bytes) -> bytes | None:
    delegate = get_vote_delegate(store, delegator)
    if delegate is not None:
        store.delete(get_vote_delegation_key(delegator))
        store.delete(get_vote_delegators_key(delegate, delegator))
    return delegate


# -- grants -------------------------------------------------------------------------------------------


def get_grant(store: StoreView, grant_id: int) -> Grant | None:
    return store.get(get_grant_key(grant_id), Grant)


def require_grant(store: StoreView, grant_id: int) -> Grant:
    grant = get_grant(store, grant_id)
    if grant is None:
        raise GrantNotFoundError(f"no active grant {grant_id}")
    return grant
