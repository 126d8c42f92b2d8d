"""Escrow's invariants: the escrow module account holds exactly what escrows still owe, and each
escrow's books balance (deposits = unearned + earned + refunded, and its keyed deposits sum to them)."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.escrow.keeper import CLOSED as STREAM_CLOSED
from akechain.chain.modules.escrow.keeper import ESCROW_ACCOUNT, ESCROW_DEPOSIT_PREFIX, ESCROW_PREFIX, Deposit, Escrow
from akechain.chain.store import StoreView


def check_escrow_account_equals_obligations(store: StoreView) -> None:
    """The escrow module account = sum over escrows of (unearned + earned-but-unpaid)."""
    owed = 0
    for _, escrow in store.iterate(ESCROW_PREFIX, Escrow):
        owed += escrow.unearned + sum(s.earned - s.paid for s in escrow.streams)
    balance = get_balance(store, ESCROW_ACCOUNT)
    if balance != owed:
        raise InvariantBrokenError(f"escrow account holds {balance} uake but open obligations are {owed}")


def sum_deposits(store: StoreView) -> dict[int, tuple[int, int]]:
    """(total, count) of the keyed deposits per job id, in one pass over all of them."""
    totals: dict[int, tuple[int, int]] = {}
    for key, d in store.iterate(ESCROW_DEPOSIT_PREFIX, Deposit):
        job_id = int.from_bytes(key[1:9], "big")
        total, count = totals.get(job_id, (0, 0))
        totals[job_id] = (total + d.amount, count + 1)
    return totals


def check_escrow_accounts_exact(store: StoreView) -> None:
    deposits = sum_deposits(store)
    orphans = set(deposits) - {e.job_id for _, e in store.iterate(ESCROW_PREFIX, Escrow)}
    if orphans:
        raise InvariantBrokenError(f"deposits of jobs with no escrow: {sorted(orphans)}")
    for _, e in store.iterate(ESCROW_PREFIX, Escrow):
        earned = sum(s.earned for s in e.streams)
        if e.deposited != e.unearned + earned + e.refunded:
            raise InvariantBrokenError(f"escrow {e.job_id}: deposited {e.deposited} != unearned + earned + refunded")
        if deposits.get(e.job_id, (0, 0)) != (e.deposited, e.depositor_count):
            raise InvariantBrokenError(f"escrow {e.job_id}: depositors do not sum to the deposits")
        if e.unearned < 0 or any(not 0 <= s.paid <= s.earned for s in e.streams):
            raise InvariantBrokenError(f"escrow {e.job_id}: negative funds or overpaid stream")
        if any(s.accrued_blocks > s.duration or s.earned > s.rate * s.accrued_blocks for s in e.streams):
            raise InvariantBrokenError(f"escrow {e.job_id}: a stream earned beyond its duration or rate")
        if e.closed and (e.unearned or any(s.state != STREAM_CLOSED for s in e.streams)):
            raise InvariantBrokenError(f"escrow {e.job_id}: closed with funds or open streams")


INVARIANTS = {
    "escrow-account-equals-obligations": check_escrow_account_equals_obligations,
    "escrow-accounts-exact": check_escrow_accounts_exact,
}
