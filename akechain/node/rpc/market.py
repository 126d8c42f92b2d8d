"""JSON views of market records for the HTTP API: addresses bech32, hashes and workloads hex, states
named.

Each function reads committed state through the market's and verify's `queries`; the node serves
them and the CLI, provider agent and consumer read them back through `NodeClient`.
"""
from __future__ import annotations

from typing import Any

from akechain.chain.modules.market import queries
from akechain.chain.modules.market.msgs import POLICY_NAMES
from akechain.chain.modules.market.params import PARAMS
from akechain.chain.modules.market.records import JOB_STATES, LEASE_STATES, Job, Lease
from akechain.chain.store import StoreView
from akechain.chain.modules.verify import queries as verify_queries
from akechain.chain.modules.verify.keeper import CHALLENGE_STATES, OPEN
from akechain.chain.crypto import format_address
from akechain.node.rpc.render import record_to_json


def provider_json(view: queries.ProviderView) -> dict[str, Any]:
    return {"address": format_address(view.address), "free_collateral": view.free_collateral,
            "reputation_bps": view.reputation_bps, **record_to_json(view.provider)}


def job_json(job: Job) -> dict[str, Any]:
    doc = record_to_json(job)
    doc["state"] = JOB_STATES[job.status]
    doc["policy"]["name"] = POLICY_NAMES[job.policy.kind]
    return doc


def lease_json(lease: Lease) -> dict[str, Any]:
    doc = record_to_json(lease)
    doc["state"] = LEASE_STATES[lease.status]
    return doc


def get_providers(store: StoreView) -> list[dict[str, Any]]:
    return [provider_json(view) for view in queries.query_providers(store)]


def get_provider(store: StoreView, address: bytes) -> dict[str, Any] | None:
    view = queries.query_provider(store, address)
    return None if view is None else provider_json(view)


def get_jobs(store: StoreView, include_closed: bool) -> list[dict[str, Any]]:
    return [job_json(job) for job in queries.query_jobs(store, open_only=not include_closed)]


def get_job(store: StoreView, job_id: int) -> dict[str, Any] | None:
    job = queries.query_job(store, job_id)
    return None if job is None else job_json(job)


def get_leases(store: StoreView, job_id: int | None, provider: bytes | None) -> list[dict[str, Any]]:
    leases = queries.query_leases(store, job_id=job_id, provider=provider)
    if job_id is not None and provider is not None:
        leases = [lease for lease in leases if lease.provider == provider]
    return [lease_json(lease) for lease in leases]


def get_challenges(store: StoreView, referee: bytes | None, open_only: bool) -> list[dict[str, Any]]:
    return [
        {**record_to_json(challenge), "state": CHALLENGE_STATES[challenge.status]}
        for challenge in verify_queries.query_challenges(store)
        if (referee is None or challenge.referee == referee) and (not open_only or challenge.status == OPEN)
    ]


def get_escrow(store: StoreView, height: int, job_id: int) -> dict[str, Any] | None:
    view = queries.query_escrow_at(store, job_id, height)
    return None if view is None else record_to_json(view)


def get_reputation(store: StoreView, address: bytes) -> dict[str, Any]:
    return {"address": format_address(address), **record_to_json(queries.query_reputation(store, address))}


def get_params(store: StoreView) -> dict[str, Any]:
    return PARAMS.to_json(queries.query_params(store))
