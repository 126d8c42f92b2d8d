"""Shared fixtures for the market tests: a genesis with providers, consumers and verifiers funded,
short windows, and a driver that signs txs, runs blocks and asserts the market invariants."""
from __future__ import annotations

import hashlib
from dataclasses import replace

from consensus.abci import BlockRequest, FinalizeResult
from akechain.chain.crypto import get_address
from akechain.chain.genesis import build_genesis
from akechain.chain.modules.market.msgs import (
    POLICY_NONE,
    MsgCreateJob,
    MsgRevealReceipt,
    MsgSubmitReceipt,
    Policy,
    Resources,
    compute_commitment,
)
from akechain.chain.modules.market.params import DEFAULT_PARAMS
from akechain.chain.modules.market.records import u64
from akechain.chain.tx import build_tx
from akechain.testing import SimChain
from test_app_support import AUTH_PARAMS, CHAIN_ID, DISTRIBUTION_PARAMS, make_keys

FEE = AUTH_PARAMS.min_fee
HARDWARE = Resources(cpu_cores=32, gpu_model="h100", gpu_count=4, memory_mb=256_000, storage_gb=4_000, bandwidth_mbps=10_000)
SPEC = Resources(cpu_cores=4, gpu_model="", gpu_count=0, memory_mb=8_000, storage_gb=100, bandwidth_mbps=100)
NO_POLICY = Policy(kind=POLICY_NONE, spot_check_bps=0, k=1, n=1)

KEYS = make_keys(12)
ADDRESSES = [get_address(k) for k in KEYS]
PROVIDER_KEYS, CONSUMER_KEYS, VERIFIER_KEYS = KEYS[:6], KEYS[6:9], KEYS[9:12]
PROVIDERS, CONSUMERS, VERIFIERS = ADDRESSES[:6], ADDRESSES[6:9], ADDRESSES[9:12]
MARKET_PARAMS = replace(DEFAULT_PARAMS, challenge_window_blocks=3, grace_blocks=2, challenge_bond=5_000,
                        reputation_min_lease_value=60,
                        verifiers=tuple(sorted(VERIFIERS)))
GENESIS_AMOUNT = 10**9


def make_market_chain(market_params=MARKET_PARAMS, amount: int = GENESIS_AMOUNT) -> SimChain:
    genesis = build_genesis(CHAIN_ID, (), {a: amount for a in ADDRESSES}, AUTH_PARAMS,
                            market_params=market_params, distribution_params=DISTRIBUTION_PARAMS)
    return SimChain(genesis["app_state"], CHAIN_ID)


def seed_for(height: int) -> bytes:
    """A stand-in for the previous commit hash of `height` (deterministic, varies per block)."""
    return height.to_bytes(32, "big")


def job_msg(budget: int = 100_000, max_price: int = 100, duration: int = 10, window: int = 2, deadline: int = 20,
            policy: Policy = NO_POLICY, **kw) -> MsgCreateJob:
    fields = dict(resources=SPEC, duration_blocks=duration, region="", attributes=(), budget=budget,
                  max_price=max_price, bid_window_blocks=window, deadline_blocks=deadline, policy=policy,
                  allow=(), deny=())
    fields.update(kw)
    return MsgCreateJob(**fields)


class Driver:
    """Signs txs with tracked nonces and runs blocks on a SimChain (the real App)."""

    def __init__(self, chain: SimChain) -> None:
        self.chain = chain
        self.app = chain.app
        self.nonces = {a: 0 for a in ADDRESSES}
        self.pending: list[bytes] = []
        self.commit_salt = b""  # set: each block's last commit hash varies with it, its seed does not

    @property
    def height(self) -> int:
        return self.chain.height

    @property
    def history(self) -> list[BlockRequest]:
        """Every block run, to replay on another app."""
        return [block.request for block in self.chain.blocks]

    def tx(self, key, *msgs) -> None:
        address = get_address(key)
        self.pending.append(build_tx(key, CHAIN_ID, self.nonces[address], FEE, list(msgs)))
        self.nonces[address] += 1

    def block(self, check: bool = True) -> FinalizeResult:
        height = self.height + 1
        last_commit_hash = hashlib.sha256(self.commit_salt + u64(height)).digest() if self.commit_salt else None
        result = self.chain.apply_block(self.pending, time_ms=height * 1000, seed=seed_for(height),
                                        last_commit_hash=last_commit_hash)
        self.pending = []
        if check:
            self.chain.check_invariants()
        return result

    def run(self, key, *msgs) -> tuple[int, str]:
        """One tx in its own block; returns (code, log)."""
        self.tx(key, *msgs)
        result = self.block()
        return result.tx_results[0].code, result.tx_results[0].log

    def job(self, job_id: int):
        return self.chain.query("market", "job", job_id)

    def provider(self, address: bytes):
        return self.chain.query("market", "provider", address)

    def escrow(self, job_id: int):
        """The job's escrow as of the last committed height."""
        return self.chain.query("market", "escrow", job_id, self.height)

    def advance_to(self, height: int) -> list:
        events = []
        while self.height < height:
            events.extend(self.block().events)
        return events


SALT = b"\x5a" * 32


def commit_msg(key, lease_id: int, output: bytes, uptime_bps: int = 10_000, latency_ms: int = 10) -> MsgSubmitReceipt:
    return MsgSubmitReceipt(lease_id, compute_commitment(output, SALT, get_address(key), lease_id), SPEC, uptime_bps,
                            latency_ms)


def submit_receipts(d: Driver, receipts: list[tuple], uptime_bps: int = 10_000) -> list:
    """Each (key, lease id, output) commits in one block, then all reveal in the next; the
    results of the reveal block's txs."""
    for key, lease_id, output in receipts:
        d.tx(key, commit_msg(key, lease_id, output, uptime_bps))
    assert all(r.code == 0 for r in d.block().tx_results)
    for key, lease_id, output in receipts:
        d.tx(key, MsgRevealReceipt(lease_id, output, SALT))
    return d.block().tx_results


def submit_receipt(d: Driver, key, lease_id: int, output: bytes, uptime_bps: int = 10_000) -> tuple[int, str]:
    """A provider's receipt for `output`: the commitment, then the reveal next block; (code, log) of the reveal."""
    [result] = submit_receipts(d, [(key, lease_id, output)], uptime_bps)
    return result.code, result.log
