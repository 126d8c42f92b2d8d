"""JSON views of market records for the HTTP API: addresses bech32, hashes and workloads hex, states
named.

Each function reads committed state through the market's and verify's `queries`; the node serves
them and the CLI, provider agent and consumer read them back through `NodeClient`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

from akechain.chain.modules.market import queries
from akechain.chain.modules.market.msgs import POLICY_NAMES
from akechain.chain.modules.market.params import PARAMS
from akechain.chain.modules.market.records import JOB_STATES, LEASE_STATES, Job, Lease
from akechain.chain.store import StoreView
from akechain.chain.modules.verify import queries as verify_queries
from akechain.chain.modules.verify.keeper import CHALLENGE_STATES, OPEN
from akechain.chain.crypto import format_address, parse_address
from akechain.node.rpc.render import record_to_json

T = TypeVar("T")
DEFAULT_PAGE = 100  # items per page of a list endpoint when the client names no limit
MAX_PAGE = 1000
NEXT_CURSOR_HEADER = "X-Next-Cursor"  # response header naming the next page's cursor (client: the same name)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list endpoint: its items and the cursor of the next page (None: the last)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def make_page(records: Sequence[T], limit: int, cursor_of: Callable[[T], str], render: Callable[[T], dict[str, Any]],
              keep: Callable[[T], bool] = lambda record: True) -> Page:
    """`records` holds up to limit + 1 scanned records; the extra one only says another page follows.
    Filtered records still move the cursor, so a page may show fewer than `limit` items."""
    shown = records[:limit]
    more = len(records) > limit and bool(shown)
    return Page([render(r) for r in shown if keep(r)], cursor_of(shown[-1]) if more else None)


def parse_id_cursor(cursor: str | None) -> int | None:
    """The id a page resumes after; a malformed one is the client's mistake (ValueError)."""
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise ValueError(f"cursor must be the id the previous page ended at, got {cursor[:40]!r}")
    return int(cursor)


def parse_address_cursor(cursor: str | None) -> bytes | None:
    return None if cursor is None else parse_address(cursor)


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


def get_providers(store: StoreView, cursor: str | None, limit: int) -> Page:
    views = queries.query_providers(store, parse_address_cursor(cursor), limit + 1)
    return make_page(views, limit, lambda view: format_address(view.address), provider_json)


def get_provider(store: StoreView, address: bytes) -> dict[str, Any] | None:
    view = queries.query_provider(store, address)
    return None if view is None else provider_json(view)


def get_jobs(store: StoreView, include_closed: bool, cursor: str | None, limit: int) -> Page:
    jobs = queries.query_jobs(store, not include_closed, parse_id_cursor(cursor), limit + 1)
    return make_page(jobs, limit, lambda job: str(job.id), job_json)


def get_job(store: StoreView, job_id: int) -> dict[str, Any] | None:
    job = queries.query_job(store, job_id)
    return None if job is None else job_json(job)


def get_leases(store: StoreView, job_id: int | None, provider: bytes | None, cursor: str | None, limit: int) -> Page:
    leases = queries.query_leases(store, job_id, provider, parse_id_cursor(cursor), limit + 1)
    return make_page(leases, limit, lambda lease: str(lease.id), lease_json,
                     lambda lease: provider is None or lease.provider == provider)


def get_challenges(store: StoreView, referee: bytes | None, open_only: bool, cursor: str | None, limit: int) -> Page:
    challenges = verify_queries.query_challenges(store, parse_id_cursor(cursor), limit + 1)
    return make_page(challenges, limit, lambda challenge: str(challenge.id),
                     lambda challenge: {**record_to_json(challenge), "state": CHALLENGE_STATES[challenge.status]},
                     lambda challenge: (referee is None or challenge.referee == referee)
                     and (not open_only or challenge.status == OPEN))


def get_escrow(store: StoreView, height: int, job_id: int) -> dict[str, Any] | None:
    """The escrow settled to `height`, with `run_out_height`: where its funds stop paying (None if
    nothing accrues)."""
    view = queries.query_escrow_at(store, job_id, height)
    if view is None:
        return None
    doc = record_to_json(view)
    return {**doc, "run_out_height": compute_run_out_height(doc)}


def compute_run_out_height(escrow: dict[str, Any]) -> int | None:
    """The height an escrow's funds stop paying its accruing streams; None if nothing accrues."""
    rate = sum(stream["rate"] for stream in escrow.get("streams", ()) if stream["state"] == "accruing")
    if escrow.get("closed") or rate == 0:
        return None
    return escrow["height"] + escrow["left"] // rate


def get_reputation(store: StoreView, address: bytes) -> dict[str, Any]:
    return {"address": format_address(address), **record_to_json(queries.query_reputation(store, address))}


def get_params(store: StoreView) -> dict[str, Any]:
    return PARAMS.to_json(queries.query_params(store))
