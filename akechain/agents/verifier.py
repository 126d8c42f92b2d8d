"""The verifier agent loop. It polls the node's HTTP API and

* **checks** each submitted receipt the chain marked for a spot check with this key as verifier
  (or, with `check_all`, every receipt of a spot-check job it may challenge): it re-executes the
  job's workload in the provider agent's sandbox and, if sha256(stdout) differs from the receipt's
  output hash, sends `MsgChallenge` with its own hash (posting the bond) before the settle height;
* **referees** the open challenges drawn to it (`GET /challenges?referee=ME&open=true`): it
  re-executes the lease's workload and sends `MsgVerdict` with the hash it computed before the
  challenge ends.

One tx at a time (the wallet waits for each commit), so nonces never race.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from akechain.chain.modules.verify.msgs import MsgChallenge, MsgVerdict
from akechain.agents.provider.agent import get_workload, poll_until
from akechain.agents.sandbox import SandboxError, SandboxPolicy, run_sandboxed
from akechain.client.wallet import TxFailedError, Wallet, find_event

log = logging.getLogger("akechain.verifier")


@dataclass(frozen=True, slots=True)
class VerifierConfig:
    time_limit_s: float = 60.0  # wall clock per re-execution
    default_memory_mb: int = 512  # when the job asks for no memory (as the provider agent's default)
    poll_seconds: float = 1.0
    max_checks: int = 0  # stop after this many re-executions (0: run until stopped)
    check_all: bool = False  # also check receipts of spot-check jobs not drawn for this key
    sandbox: SandboxPolicy = SandboxPolicy()  # as the providers' agents run jobs


class Verifier:
    def __init__(self, wallet: Wallet, config: VerifierConfig) -> None:
        self.wallet = wallet
        self.client = wallet.client
        self.config = config
        self.checked: set[int] = set()  # lease ids re-executed as a checker
        self.challenged: set[int] = set()  # lease ids challenged
        self.judged: set[int] = set()  # challenge ids a verdict was sent (or attempted) for
        self.runs = 0

    def run(self, stop: threading.Event) -> dict[str, int]:
        """Verify until `stop` is set or `max_checks` re-executions are done; returns the counts."""
        verifiers = self.client.market_params()["verifiers"]
        if self.wallet.address not in verifiers:
            log.warning("%s is not in the market's verifiers: it is never drawn and may not challenge", self.wallet.address)
        poll_until(stop, self.step, self.is_done, self.config.poll_seconds)
        return {"checked": len(self.checked), "challenged": len(self.challenged), "judged": len(self.judged)}

    def is_done(self) -> bool:
        return 0 < self.config.max_checks <= self.runs

    def step(self) -> None:
        """Referee first (a verdict has the tighter deadline), then check receipts."""
        height = int(self.client.status()["height"])
        drawn = self.client.challenges(referee=self.wallet.address, open_only=True)
        for challenge in sorted(drawn, key=lambda c: c["end_height"]):
            if challenge["id"] not in self.judged and not self.is_done():
                self.judge(challenge, height)
        jobs: dict[int, dict[str, Any]] = {}
        for lease in self.client.leases():
            if self.is_done():
                return
            if self.is_checkable(lease, height):
                if lease["job_id"] not in jobs:
                    jobs[lease["job_id"]] = self.client.job(lease["job_id"])
                job = jobs[lease["job_id"]]
                if lease["verifier"] == self.wallet.address or (self.config.check_all and self.may_challenge(job, lease)):
                    self.check(lease, job)

    def is_checkable(self, lease: dict[str, Any], height: int) -> bool:
        return (lease["state"] == "submitted" and lease["id"] not in self.checked and not lease["challenge_id"]
                and height < lease["settle_height"])

    def may_challenge(self, job: dict[str, Any], lease: dict[str, Any]) -> bool:
        return job["policy"]["name"] == "spot-check" and self.wallet.address not in (lease["provider"], job["consumer"])

    # -- checking receipts

    def check(self, lease: dict[str, Any], job: dict[str, Any]) -> None:
        self.checked.add(lease["id"])
        output_hash = self.reexecute(job)
        if output_hash is None:
            return
        receipt_hash = lease["receipt"]["output_hash"]
        if output_hash.hex() == receipt_hash:
            log.info("lease %d of job %d: receipt %s matches", lease["id"], job["id"], receipt_hash)
            return
        log.info("lease %d of job %d: receipt %s, re-execution %s: challenging", lease["id"], job["id"],
                 receipt_hash, output_hash.hex())
        try:
            result = self.wallet.send([MsgChallenge(lease["id"], output_hash)])
        except TxFailedError as exc:
            log.warning("challenge of lease %d failed: %s", lease["id"], exc)
            return
        self.challenged.add(lease["id"])
        opened = find_event(result, "challenge_opened") or {}
        log.info("lease %d: challenge %s opened, referee %s", lease["id"], opened.get("challenge_id"), opened.get("referee"))

    # -- refereeing

    def judge(self, challenge: dict[str, Any], height: int) -> None:
        challenge_id = int(challenge["id"])
        self.judged.add(challenge_id)
        if height >= challenge["end_height"]:
            log.warning("challenge %d ended at %d before it could be judged", challenge_id, challenge["end_height"])
            return
        lease = next((row for row in self.client.leases() if row["id"] == challenge["lease_id"]), None)
        if lease is None:
            return
        output_hash = self.reexecute(self.client.job(lease["job_id"]))
        if output_hash is None:
            return
        try:
            result = self.wallet.send([MsgVerdict(challenge_id, output_hash)])
        except TxFailedError as exc:
            log.warning("verdict on challenge %d failed: %s", challenge_id, exc)
            return
        outcome = next((e["type"] for e in result.get("events", ()) if e["type"].startswith("challenge_")), "?")
        log.info("challenge %d: verdict %s (%s)", challenge_id, output_hash.hex(), outcome)

    # -- re-execution

    def reexecute(self, job: dict[str, Any]) -> bytes | None:
        """sha256 of the stdout of the job's workload run in the provider agent's sandbox; None if
        the job names no workload or it cannot be started here (no verdict is better than a guess)."""
        self.runs += 1
        workload = get_workload(job)
        if workload is None:
            log.info("job %d names no workload; not re-executed", job["id"])
            return None
        memory_mb = job["resources"]["memory_mb"] or self.config.default_memory_mb
        try:
            result = run_sandboxed(workload.argv, self.config.time_limit_s, memory_mb, workload.image,
                                   network=workload.network, policy=self.config.sandbox)
        except SandboxError as exc:
            log.warning("job %d: cannot re-execute: %s", job["id"], exc)
            return None
        log.info("re-ran job %d %s: exit %d in %.2fs", job["id"], list(workload.argv), result.returncode, result.seconds)
        return result.output_hash
