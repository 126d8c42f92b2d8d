"""Read-only queries for RPC, CLI and provider agents. Each takes a store view (committed state)
and, where accrual matters, the height it reflects; none writes."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.modules.escrow.keeper import EscrowView, query_escrow
from akechain.chain.modules.market import keeper as k
from akechain.chain.modules.market.params import Params, get_params
from akechain.chain.modules.market.records import (
    JOB_PREFIX,
    LEASE_PREFIX,
    OPEN_JOB_PREFIX,
    PROVIDER_LEASE_PREFIX,
    PROVIDER_PREFIX,
    BIDDING,
    Bid,
    Job,
    Lease,
    Marker,
    Provider,
    get_job_key,
    get_lease_key,
    get_provider_key,
    u64,
)
from akechain.chain.modules.reputation import keeper as reputation
from akechain.chain.store import StoreView, take


@dataclass(frozen=True, slots=True)
class ProviderView:
    address: bytes
    provider: Provider
    free_collateral: int
    reputation_bps: int


def query_params(store: StoreView) -> Params:
    return get_params(store)


def query_provider(store: StoreView, address: bytes) -> ProviderView | None:
    provider = store.get(get_provider_key(address), Provider)
    if provider is None:
        return None
    return ProviderView(address, provider, k.get_free_collateral(provider), k.get_score(store, address, get_params(store)))


def query_providers(store: StoreView, after: bytes | None = None, limit: int | None = None) -> list[ProviderView]:
    """Providers in address order, those above address `after`, at most `limit`."""
    params = get_params(store)
    start = None if after is None else get_provider_key(after) + b"\x00"
    return take((
        ProviderView(key[1:], provider, k.get_free_collateral(provider), k.get_score(store, key[1:], params))
        for key, provider in store.iterate(PROVIDER_PREFIX, Provider, start)
    ), limit)


def query_job(store: StoreView, job_id: int) -> Job | None:
    return store.get(get_job_key(job_id), Job)


def query_jobs(store: StoreView, open_only: bool = True, after: int | None = None, limit: int | None = None) -> list[Job]:
    """Jobs in id order (`open_only`: those still bidding or running), ids above `after`, at most `limit`."""
    if not open_only:
        return take((job for _, job in store.iterate(JOB_PREFIX, Job, start_after(JOB_PREFIX, after))), limit)
    markers = store.iterate(OPEN_JOB_PREFIX, Marker, start_after(OPEN_JOB_PREFIX, after))
    return take((k.get_job(store, int.from_bytes(key[1:], "big")) for key, _ in markers), limit)


def query_bids(store: StoreView, job_id: int) -> list[Bid]:
    """The open bids on a job, in slot order (at most `max_bids_per_job`)."""
    job = query_job(store, job_id)
    return [] if job is None or job.status != BIDDING else k.get_bids(store, job)


def query_lease(store: StoreView, lease_id: int) -> Lease | None:
    return store.get(get_lease_key(lease_id), Lease)


def query_leases(store: StoreView, job_id: int | None = None, provider: bytes | None = None,
                 after: int | None = None, limit: int | None = None) -> list[Lease]:
    """Leases of a job, of a provider, or (neither given) all, in id order; ids above `after`, at
    most `limit`."""
    if job_id is not None:
        job = query_job(store, job_id)
        ids = [] if job is None else sorted(i for i in job.leases if after is None or i > after)
        return take((k.get_lease(store, lease_id) for lease_id in ids), limit)
    if provider is not None:
        prefix = PROVIDER_LEASE_PREFIX + provider
        markers = store.iterate(prefix, Marker, start_after(prefix, after))
        return take((k.get_lease(store, int.from_bytes(key[-8:], "big")) for key, _ in markers), limit)
    return take((lease for _, lease in store.iterate(LEASE_PREFIX, Lease, start_after(LEASE_PREFIX, after))), limit)


def start_after(prefix: bytes, after: int | None) -> bytes | None:
    """The first key of ids above `after` under `prefix` + u64 id (None: from the beginning)."""
    return None if after is None else prefix + u64(after + 1)


def query_escrow_at(store: StoreView, job_id: int, height: int) -> EscrowView | None:
    """Earned, paid, left, depositors and per-lease streams of a job's escrow as of `height`."""
    return query_escrow(store, job_id, height)


def query_reputation(store: StoreView, address: bytes) -> reputation.ReputationView:
    """Score and counters with the last `reputation_history_len` observations (newest last)."""
    params = get_params(store)
    return reputation.query_reputation(store, address, params.reputation_initial_bps, params.reputation_history_len)
