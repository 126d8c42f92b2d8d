"""Gov's conservation laws: the deposits pool holds exactly the deposits of open proposals (each
deposit refunded or burned once), the totals agree with it, every open proposal is queued once and
only open proposals have deposit records, and the grant count matches the grants."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.gov.keeper import get_counters, get_totals
from akechain.chain.modules.gov.records import (
    DEPOSIT_PERIOD,
    DEPOSIT_PREFIX,
    DEPOSIT_QUEUE_PREFIX,
    DEPOSITS_POOL,
    GRANT_PREFIX,
    GRANT_QUEUE_PREFIX,
    PROPOSAL_PREFIX,
    VOTING_PERIOD,
    VOTING_QUEUE_PREFIX,
    Deposit,
    Grant,
    Marker,
    Proposal,
    get_deposit_queue_key,
    get_voting_queue_key,
)
from akechain.chain.store import StoreView


def check_deposits(store: StoreView) -> None:
    open_ids = {}
    for _, proposal in store.iterate(PROPOSAL_PREFIX, Proposal):
        if proposal.status in (DEPOSIT_PERIOD, VOTING_PERIOD):
            open_ids[proposal.id] = proposal
    held: dict[int, int] = {}
    for key, deposit in store.iterate(DEPOSIT_PREFIX, Deposit):
        proposal_id = int.from_bytes(key[1:9], "big")
        if proposal_id not in open_ids:
            raise InvariantBrokenError(f"a deposit of closed proposal {proposal_id} was never settled")
        held[proposal_id] = held.get(proposal_id, 0) + deposit.amount
    for proposal_id, proposal in open_ids.items():
        if held.get(proposal_id, 0) != proposal.total_deposit:
            raise InvariantBrokenError(f"proposal {proposal_id} says {proposal.total_deposit} uake deposited, "
                                       f"its deposits hold {held.get(proposal_id, 0)}")
    pool = get_balance(store, DEPOSITS_POOL)
    totals = get_totals(store)
    if pool != sum(held.values()) or totals.deposited - totals.refunded - totals.burned != pool:
        raise InvariantBrokenError(f"deposits pool holds {pool} uake, deposits {sum(held.values())}, totals {totals}")


def check_queues(store: StoreView) -> None:
    """Each proposal in a period is queued exactly at its period's end, and nothing else is queued."""
    queued = {key for prefix in (DEPOSIT_QUEUE_PREFIX, VOTING_QUEUE_PREFIX) for key, _ in store.iterate(prefix, Marker)}
    expected = set()
    for _, proposal in store.iterate(PROPOSAL_PREFIX, Proposal):
        if proposal.status == DEPOSIT_PERIOD:
            expected.add(get_deposit_queue_key(proposal.deposit_end_ms, proposal.id))
        elif proposal.status == VOTING_PERIOD:
            expected.add(get_voting_queue_key(proposal.voting_end_ms, proposal.id))
    if queued != expected:
        raise InvariantBrokenError(f"proposal queues hold {len(queued)} entries, open proposals need {len(expected)}")


def check_grants(store: StoreView) -> None:
    grants = {key[1:]: grant for key, grant in store.iterate(GRANT_PREFIX, Grant)}
    queued = [key[9:] for key, _ in store.iterate(GRANT_QUEUE_PREFIX, Marker)]
    if sorted(queued) != sorted(grants) or get_counters(store).active_grants != len(grants):
        raise InvariantBrokenError(f"{len(grants)} grants, {len(queued)} queued, "
                                   f"{get_counters(store).active_grants} counted")


INVARIANTS = {"deposits": check_deposits, "queues": check_queues, "grants": check_grants}
