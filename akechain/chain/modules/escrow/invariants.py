"""Escrow's invariants: the escrow module account holds exactly what escrows still owe, and each
escrow's books balance (deposits = unearned + earned + refunded)."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.escrow.keeper import CLOSED as STREAM_CLOSED
from akechain.chain.modules.escrow.keeper import ESCROW_ACCOUNT, ESCROW_PREFIX, Escrow
from akechain.chain.store import StoreView


def check_escrow_account_equals_obligations(store: StoreView) -> None:
    """The escrow module account = sum over escrows of (unearned + earned-but-unpaid)."""
    owed = 0
    for _, escrow in store.iterate(ESCROW_PREFIX, Escrow):
        owed += escrow.unearned + sum(s.earned - s.paid for s in escrow.streams)
    balance = get_balance(store, ESCROW_ACCOUNT)
    if balance != owed:
        raise InvariantBrokenError(f"escrow account holds {balance} uake but open obligations are {owed}")


def check_escrow_accounts_exact(store: StoreView) -> None:
    for _, e in store.iterate(ESCROW_PREFIX, Escrow):
        earned = sum(s.earned for s in e.streams)
        if e.deposited != e.unearned + earned + e.refunded:
            raise InvariantBrokenError(f"escrow {e.job_id}: deposited {e.deposited} != unearned + earned + refunded")
        if e.deposited != sum(d.amount for d in e.depositors):
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
