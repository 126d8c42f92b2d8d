"""Named invariants of market, escrow and verify: module accounts hold exactly what their records
say, escrow accounts are exact, and collateral covers what open leases lock."""
from __future__ import annotations

from typing import Callable

from akechain.chain.modules.bank.invariants import InvariantBrokenError
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.escrow.keeper import CLOSED as STREAM_CLOSED
from akechain.chain.modules.escrow.keeper import ESCROW_ACCOUNT, ESCROW_PREFIX, Escrow
from akechain.chain.modules.market.records import (
    CLOSED,
    COLLATERAL_ACCOUNT,
    LEASE_PREFIX,
    PROVIDER_PREFIX,
    Lease,
    Provider,
)
from akechain.chain.store import StoreView
from akechain.chain.modules.verify.keeper import BOND_ACCOUNT, CHALLENGE_PREFIX, OPEN, Challenge


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


def check_collateral_account(store: StoreView) -> None:
    total = sum(p.collateral for _, p in store.iterate(PROVIDER_PREFIX, Provider))
    balance = get_balance(store, COLLATERAL_ACCOUNT)
    if balance != total:
        raise InvariantBrokenError(f"collateral account holds {balance} uake but providers staked {total}")


def check_collateral_covers_locks(store: StoreView) -> None:
    """Each provider's lock is the sum of its open leases' locks, and its collateral covers it
    unless a slash took it below (then it may not bid until covered again)."""
    locked: dict[bytes, int] = {}
    count: dict[bytes, int] = {}
    for _, lease in store.iterate(LEASE_PREFIX, Lease):
        if lease.status != CLOSED:
            locked[lease.provider] = locked.get(lease.provider, 0) + lease.locked_collateral
            count[lease.provider] = count.get(lease.provider, 0) + 1
    for key, provider in store.iterate(PROVIDER_PREFIX, Provider):
        address = key[1:]
        if provider.locked != locked.get(address, 0) or provider.open_leases != count.get(address, 0):
            raise InvariantBrokenError(f"provider {address.hex()}: locks disagree with its open leases")
        if provider.collateral < provider.locked and not provider.slashed:
            raise InvariantBrokenError(f"provider {address.hex()}: collateral {provider.collateral} < locked {provider.locked}")
        locked.pop(address, None)
    if locked:
        raise InvariantBrokenError(f"open leases of unregistered providers: {sorted(a.hex() for a in locked)}")


def check_bond_account(store: StoreView) -> None:
    total = sum(c.bond for _, c in store.iterate(CHALLENGE_PREFIX, Challenge) if c.status == OPEN)
    balance = get_balance(store, BOND_ACCOUNT)
    if balance != total:
        raise InvariantBrokenError(f"bond account holds {balance} uake but open challenges bonded {total}")


INVARIANTS: dict[str, Callable[[StoreView], None]] = {
    "escrow-account-equals-obligations": check_escrow_account_equals_obligations,
    "escrow-accounts-exact": check_escrow_accounts_exact,
    "collateral-account": check_collateral_account,
    "collateral-covers-locks": check_collateral_covers_locks,
    "bond-account": check_bond_account,
}
