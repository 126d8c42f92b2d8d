"""The provider agent loop: register once, then poll the node's HTTP API, bid on jobs it can serve
at its price policy's price, run each won lease's workload in the sandbox, commit to the receipt and
reveal it once the chain takes reveals (payment comes at settlement). Each job's stdout is kept sealed to its consumer and served from the agent's
output server (`outputs.py`) at the provider's registered endpoint. One tx at a time (the wallet
waits for each commit), so nonces never race.
A job's command is its `workload` field (hex in the HTTP API, `market_client.decode_workload`).
"""
from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, replace
from typing import Any, Callable

from akechain.chain.crypto import parse_address
from akechain.client.http import NodeClientError, NotFoundError
from akechain.client.market import Workload, decode_workload
from akechain.chain.modules.market.msgs import BPS, MsgBid, MsgRevealReceipt, MsgSubmitReceipt, Resources, compute_commitment
from akechain.agents.provider.outputs import OutputServer, OutputStore, ServeConfig
from akechain.agents.provider.pricing import PricePolicy
from akechain.agents.provider.profile import Profile
from akechain.agents.sandbox import SandboxError, SandboxPolicy, run_sandboxed, sandbox_problem
from akechain.client.outputs import OutputError, compute_output_hash, get_pub_key
from akechain.client.wallet import GranteeWallet, TxFailedError, Wallet

log = logging.getLogger("akechain.provider")


@dataclass(frozen=True, slots=True)
class AgentConfig:
    profile: Profile
    pricing: PricePolicy
    latency_ms: int = 50  # claimed in bids and reported in receipts
    time_limit_s: float = 60.0  # wall clock per job
    default_memory_mb: int = 512  # when the job asks for no memory
    poll_seconds: float = 1.0
    max_jobs: int = 0  # stop after serving this many leases (0: run until stopped)
    lie: bool = False  # test only: commit to a wrong output hash
    sandbox: SandboxPolicy = SandboxPolicy()
    serve: ServeConfig = ServeConfig()


class Agent:
    def __init__(self, wallet: Wallet | GranteeWallet, config: AgentConfig) -> None:
        self.wallet = wallet
        self.client = wallet.client
        self.config = config
        self.considered: set[int] = set()  # job ids bid on or skipped
        self.served: set[int] = set()  # lease ids run and receipted
        self.reveals: dict[int, tuple[bytes, bytes]] = {}  # lease id -> (output hash, salt) committed, not yet revealed
        self.outputs = OutputStore(config.serve.max_outputs, config.serve.max_bytes)

    def run(self, stop: threading.Event) -> int:
        """Serve until `stop` is set or `max_jobs` leases are served; returns the number served.
        Outputs are served while it runs (they are kept in memory only)."""
        with OutputServer(self.outputs, self.config.serve.host, self.config.serve.port) as server:
            self.ensure_registered(self.config.profile.endpoint or server.url)
            poll_until(stop, self.step, self.is_done, self.config.poll_seconds)
        return len(self.served)

    def is_done(self) -> bool:
        """Done once `max_jobs` leases are served and every commitment is revealed (an unrevealed one is slashed)."""
        return 0 < self.config.max_jobs <= len(self.served) and not self.reveals

    def ensure_registered(self, endpoint: str) -> None:
        """Register with `endpoint` (where consumers fetch outputs) unless already registered."""
        try:
            registered = self.client.provider(self.wallet.address)["endpoint"]
        except NotFoundError:
            self.wallet.send([replace(self.config.profile, endpoint=endpoint).register_msg()])
            log.info("registered provider %s with collateral %d, endpoint %s", self.wallet.address,
                     self.config.profile.collateral, endpoint)
            return
        log.info("provider %s already registered", self.wallet.address)
        if registered != endpoint:
            log.warning("the registered endpoint %r is not %r, where this agent serves outputs: consumers cannot "
                        "fetch them until `akechain tx market update-provider --endpoint %s`", registered, endpoint, endpoint)

    def step(self) -> None:
        """Serve won leases first (they are paid by the block), then bid on new jobs."""
        for lease in self.client.leases(provider=self.wallet.address):
            if lease["state"] == "committed" and lease["reveal_from"] and lease["id"] in self.reveals:
                self.reveal(lease)
            elif lease["state"] == "running" and lease["id"] not in self.served and not self.is_done():
                self.serve(lease)
        height = int(self.client.status()["height"])
        for job in self.client.jobs():
            if job["state"] == "bidding" and job["id"] not in self.considered and height <= job["bid_close_height"]:
                self.considered.add(job["id"])
                self.consider(job)

    def consider(self, job: dict[str, Any]) -> None:
        reason = self.get_skip_reason(job)
        price = self.config.pricing.price(job["max_price"])
        if reason is None and price is None:
            reason = f"max price {job['max_price']} is below the price policy"
        if reason is not None:
            log.info("skip job %d: %s", job["id"], reason)
            return
        bid = MsgBid(job["id"], price, self.config.latency_ms, Resources(**job["resources"]))
        try:
            self.wallet.send([bid])
        except TxFailedError as exc:
            log.info("bid on job %d failed: %s", job["id"], exc)
            return
        log.info("bid on job %d at %d per block", job["id"], price)

    def get_skip_reason(self, job: dict[str, Any]) -> str | None:
        """Why this provider cannot serve `job` (None: it can), checked before spending a fee."""
        profile, me = self.config.profile, self.wallet.address
        workload = get_workload(job)
        missing = sorted(set(job["attributes"]) - set(profile.attributes))
        if workload is None:
            return "names no workload"
        if (problem := sandbox_problem(workload.image, workload.network, self.config.sandbox)) is not None:
            return problem
        if missing:
            return f"requires attributes {missing}"
        if job["region"] and job["region"] != profile.region:
            return f"requires region {job['region']!r}"
        if (job["allow"] and me not in job["allow"]) or me in job["deny"]:
            return "not allowed by the job's allow/deny lists"
        if not profile.hardware.covers(Resources(**job["resources"])):
            return "resources exceed this provider's hardware"
        return None

    def serve(self, lease: dict[str, Any]) -> None:
        job = self.client.job(lease["job_id"])
        workload = get_workload(job)
        stdout, uptime = self.execute(workload, job["resources"]["memory_mb"] or self.config.default_memory_mb)
        self.keep_output(stdout, job["consumer"])
        output_hash = compute_output_hash(stdout + (b"\0lie" if self.config.lie else b""))
        salt = secrets.token_bytes(32)
        commitment = compute_commitment(output_hash, salt, parse_address(self.wallet.address), lease["id"])
        receipt = MsgSubmitReceipt(lease["id"], commitment, Resources(**job["resources"]), uptime, self.config.latency_ms)
        self.served.add(lease["id"])
        try:
            self.wallet.send([receipt])
        except TxFailedError as exc:
            log.warning("receipt for lease %d failed: %s", lease["id"], exc)
            return
        self.reveals[lease["id"]] = (output_hash, salt)
        log.info("lease %d of job %d: committed to %s", lease["id"], job["id"], output_hash.hex())

    def reveal(self, lease: dict[str, Any]) -> None:
        """Open the commitment once the chain takes reveals (for k of n: every replica committed).
        The lease is paid when it settles, so there is nothing to withdraw before."""
        output_hash, salt = self.reveals.pop(lease["id"])
        try:
            self.wallet.send([MsgRevealReceipt(lease["id"], output_hash, salt)])
        except TxFailedError as exc:
            log.warning("reveal for lease %d failed: %s", lease["id"], exc)
            return
        log.info("lease %d: receipt %s revealed", lease["id"], output_hash.hex())

    def keep_output(self, stdout: bytes, consumer: str) -> None:
        """Seal the output to the consumer and keep it for the output server (before the receipt
        names its hash, so a consumer that sees the receipt can fetch it)."""
        try:
            kept = self.outputs.keep(stdout, consumer, get_pub_key(self.client, consumer))
        except OutputError as exc:
            log.warning("output not kept: %s", exc)
            return
        if kept is None:
            log.warning("output of %d bytes not kept: larger than the store (%d bytes)", len(stdout), self.outputs.max_bytes)

    def execute(self, workload: Workload | None, memory_mb: int) -> tuple[bytes, int]:
        """The output and the uptime to report: full if the command succeeded, zero otherwise."""
        if workload is None:
            return b"", 0
        try:
            result = run_sandboxed(workload.argv, self.config.time_limit_s, memory_mb, workload.image,
                                   network=workload.network, policy=self.config.sandbox)
        except SandboxError as exc:
            log.warning("cannot run the workload: %s", exc)
            return b"", 0
        log.info("ran %s: exit %d in %.2fs", list(workload.argv), result.returncode, result.seconds)
        return result.stdout, BPS if result.ok else 0


def poll_until(stop: threading.Event, step: Callable[[], None], is_done: Callable[[], bool], poll_seconds: float) -> None:
    """Run `step` every `poll_seconds` until `stop` is set or `is_done()`; a node error is logged
    and retried at the next poll (an agent outlives a restarting node)."""
    while not stop.is_set() and not is_done():
        try:
            step()
        except NodeClientError as exc:
            log.warning("node error, retrying: %s", exc)
        stop.wait(poll_seconds)


def get_workload(job: dict[str, Any]) -> Workload | None:
    """The workload a job (as the HTTP API shows it) names, or None."""
    return decode_workload(bytes.fromhex(job["workload"]))
