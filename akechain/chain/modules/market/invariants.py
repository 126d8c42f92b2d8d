"""The market's invariants: the collateral account holds exactly what providers staked, and each
provider's collateral covers what its open leases lock, and the KPI counts of its providers agree."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.escrow.keeper import get_escrow
from akechain.chain.modules.kpi.counters import get_counters
from akechain.chain.modules.kpi.records import ACTIVE_PROVIDER_PREFIX, ActiveProvider
from akechain.chain.modules.market.records import (
    BID_PREFIX,
    BIDDING,
    CLOSED,
    COLLATERAL_ACCOUNT,
    JOB_PREFIX,
    LEASE_PREFIX,
    PROVIDER_PREFIX,
    Bid,
    Job,
    Lease,
    Provider,
    get_job_key,
)
from akechain.chain.store import StoreView


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


def check_collateral_covers_unverified_pay(store: StoreView) -> None:
    """Everything paid on leases still open (not yet verified, so still forfeitable) is backed by
    the provider's collateral: a clawback can always make the consumer whole."""
    paid: dict[bytes, int] = {}
    for _, lease in store.iterate(LEASE_PREFIX, Lease):
        if lease.status != CLOSED:
            escrow = get_escrow(store, lease.job_id)
            stream = next(s for s in escrow.streams if s.lease_id == lease.id)
            if stream.paid > lease.locked_collateral:
                raise InvariantBrokenError(f"lease {lease.id}: paid {stream.paid} before verification, beyond its lock")
            paid[lease.provider] = paid.get(lease.provider, 0) + stream.paid
    for address, amount in paid.items():
        provider = store.get(PROVIDER_PREFIX + address, Provider)
        if provider.collateral < amount:
            raise InvariantBrokenError(f"provider {address.hex()}: collateral {provider.collateral} < unverified pay {amount}")


def check_bid_reservations(store: StoreView) -> None:
    """Each provider's `reserved` is what its open bids hold back, and no bid outlives its provider."""
    reserved: dict[bytes, int] = {}
    for _, bid in store.iterate(BID_PREFIX, Bid):
        reserved[bid.provider] = reserved.get(bid.provider, 0) + bid.reserved
    for key, provider in store.iterate(PROVIDER_PREFIX, Provider):
        if provider.reserved != reserved.pop(key[1:], 0):
            raise InvariantBrokenError(f"provider {key[1:].hex()}: reserved {provider.reserved} is not what its bids hold")
    if reserved:
        raise InvariantBrokenError(f"bids of unregistered providers: {sorted(a.hex() for a in reserved)}")


def check_bid_counts(store: StoreView) -> None:
    """A bidding job's `bid_count` is the number of its bid keys (what bounds selection's read); any
    other job has none left."""
    counts: dict[int, int] = {}
    for key, _ in store.iterate(BID_PREFIX, Bid):
        job_id = int.from_bytes(key[1:9], "big")
        counts[job_id] = counts.get(job_id, 0) + 1
    for job_id, count in counts.items():
        job = store.get(get_job_key(job_id), Job)
        if job is None or job.status != BIDDING or job.bid_count != count:
            raise InvariantBrokenError(f"job {job_id}: {count} bid keys, bid_count {job and job.bid_count}")
    for _, job in store.iterate(JOB_PREFIX, Job):
        if job.status == BIDDING and job.bid_count != counts.get(job.id, 0):
            raise InvariantBrokenError(f"job {job.id}: bid_count {job.bid_count} but {counts.get(job.id, 0)} bids")


def check_kpi_provider_counts(store: StoreView) -> None:
    """The KPI counters the market pushes agree with its providers: the registered count, and the active
    records exactly the providers with an open lease, their scores summed."""
    counters = get_counters(store)
    providers = {key[1:]: p for key, p in store.iterate(PROVIDER_PREFIX, Provider)}
    active = {key[1:]: record for key, record in store.iterate(ACTIVE_PROVIDER_PREFIX, ActiveProvider)}
    if counters.providers != len(providers):
        raise InvariantBrokenError(f"kpi counts {counters.providers} providers, the market has {len(providers)}")
    busy = {address for address, p in providers.items() if p.open_leases}
    if set(active) != busy:
        raise InvariantBrokenError(f"kpi counts {len(active)} active providers, {len(busy)} have open leases")
    total = sum(record.score_bps for record in active.values())
    if (counters.active_providers, counters.active_score_sum_bps) != (len(active), total):
        raise InvariantBrokenError(f"kpi active counters {counters.active_providers}/{counters.active_score_sum_bps} "
                                   f"disagree with their records {len(active)}/{total}")


INVARIANTS = {
    "bid-counts": check_bid_counts,
    "bid-reservations": check_bid_reservations,
    "collateral-account": check_collateral_account,
    "collateral-covers-locks": check_collateral_covers_locks,
    "collateral-covers-unverified-pay": check_collateral_covers_unverified_pay,
    "kpi-provider-counts": check_kpi_provider_counts,
}
