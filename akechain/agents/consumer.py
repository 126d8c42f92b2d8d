"""The consumer side of a job: post it, wait for its leases, receipts and settlement, and sum up
the outcome (winners, output hash, paid and refunded) for `akechain market run-job`."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from akechain.client.http import NodeClient
from akechain.client.market import sorted_attributes
from akechain.client.outputs import agreed_output_hash
from akechain.chain.modules.market.msgs import MsgCreateJob, Policy, Resources
from akechain.client.wallet import Wallet, find_event

FINAL_JOB_STATES = ("completed", "cancelled", "unmatched")


class JobWaitError(Exception):
    """The job did not reach a final state in time."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    workload: bytes  # what the providers run (`market_client.encode_workload`)
    resources: Resources
    duration_blocks: int
    budget: int
    max_price: int
    bid_window_blocks: int
    deadline_blocks: int
    policy: Policy
    region: str = ""
    attributes: tuple[str, ...] = ()

    def create_msg(self) -> MsgCreateJob:
        return MsgCreateJob(self.resources, self.duration_blocks, self.region, sorted_attributes(self.attributes),
                            self.budget, self.max_price, self.bid_window_blocks, self.deadline_blocks, self.policy,
                            (), (), self.workload)


def post_job(wallet: Wallet, spec: JobSpec) -> int:
    """Create the job; its id comes from the tx's `job_created` event."""
    event = find_event(wallet.send([spec.create_msg()]), "job_created")
    if event is None:
        raise JobWaitError("the create_job tx committed without a job_created event")
    return int(event["job_id"])


def wait_for_job(client: NodeClient, job_id: int, timeout: float, poll_seconds: float = 0.5) -> dict[str, Any]:
    """Poll until the job is completed, cancelled or unmatched (settlement included)."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.job(job_id)
        if job["state"] in FINAL_JOB_STATES:
            return job
        if time.monotonic() > deadline:
            raise JobWaitError(f"job {job_id} is still {job['state']} after {timeout:.0f}s")
        time.sleep(poll_seconds)


def summarise(client: NodeClient, job: dict[str, Any]) -> dict[str, Any]:
    """Winners, the output hash the job settled on, and where the escrow's money went."""
    leases = client.leases(job_id=job["id"])
    escrow = client.escrow(job["id"])
    return {
        "job_id": job["id"],
        "state": job["state"],
        "winners": [{"provider": lease["provider"], "lease_id": lease["id"], "price": lease["price"],
                     "output_hash": lease["receipt"]["output_hash"] if lease["receipt"] else None,
                     "close_reason": lease["close_reason"], "verified": lease["verified"]} for lease in leases],
        "output_hash": agreed_output_hash(leases),
        "deposited": escrow["deposited"],
        "paid": escrow["paid"],
        "refunded": escrow["refunded"],
    }
