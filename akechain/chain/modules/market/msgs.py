"""Market messages (providers, jobs, bids, receipts, earnings). Every message acts for the tx sender; `validate_basic` holds the stateless checks."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from akechain.chain.codec import InvalidMsgError, Msg, check_hash, check_positive_amount, check_uint63
from akechain.chain.modules.bank.msgs import check_address
from state.codec import tagged

MAX_TEXT = 64  # region, gpu model, one attribute
MAX_ENDPOINT = 256
MAX_ATTRIBUTES = 16
MAX_PROVIDER_LIST = 32  # allow/deny lists
MAX_WORKLOAD = 4096  # bytes of a job's workload (opaque to the chain; see akechain.client.market)
BPS = 10_000

POLICY_NONE, POLICY_SPOT_CHECK, POLICY_REDUNDANCY = 0, 1, 2
POLICY_NAMES = ("none", "spot-check", "redundancy")


def check_text(value: object, what: str, limit: int = MAX_TEXT) -> None:
    if type(value) is not str or len(value) > limit:
        raise InvalidMsgError(f"{what} must be a string of at most {limit} characters")


def check_attributes(value: object, what: str) -> None:
    """Attributes are "key=value" strings, sorted and unique, so equal sets encode equally."""
    if type(value) is not tuple or len(value) > MAX_ATTRIBUTES:
        raise InvalidMsgError(f"{what} must be a list of at most {MAX_ATTRIBUTES} attributes")
    for i, attribute in enumerate(value):
        check_text(attribute, f"{what}[{i}]")
        if "=" not in attribute:
            raise InvalidMsgError(f"{what}[{i}] must look like key=value")
    if list(value) != sorted(set(value)):
        raise InvalidMsgError(f"{what} must be sorted and unique")


def check_bps(value: object, what: str) -> None:
    check_uint63(value, what)
    if value > BPS:
        raise InvalidMsgError(f"{what} must be at most {BPS} basis points")


@dataclass(frozen=True, slots=True)
class Resources:
    """A hardware profile (provider), an offer (bid), a requirement (job) or a measurement (receipt)."""

    cpu_cores: int
    gpu_model: str  # "" = none / any
    gpu_count: int
    memory_mb: int
    storage_gb: int
    bandwidth_mbps: int

    def validate(self, what: str) -> None:
        if type(self) is not Resources:
            raise InvalidMsgError(f"{what} is not a Resources record")
        for name in ("cpu_cores", "gpu_count", "memory_mb", "storage_gb", "bandwidth_mbps"):
            check_uint63(getattr(self, name), f"{what}.{name}")
        check_text(self.gpu_model, f"{what}.gpu_model")

    def covers(self, need: Resources) -> bool:
        """Every quantity at least `need`'s, and the GPU model `need` names (if any)."""
        return (
            self.cpu_cores >= need.cpu_cores
            and self.gpu_count >= need.gpu_count
            and self.memory_mb >= need.memory_mb
            and self.storage_gb >= need.storage_gb
            and self.bandwidth_mbps >= need.bandwidth_mbps
            and (need.gpu_model == "" or need.gpu_count == 0 or self.gpu_model == need.gpu_model)
        )


@dataclass(frozen=True, slots=True)
class Policy:
    kind: int  # POLICY_NONE, POLICY_SPOT_CHECK, POLICY_REDUNDANCY
    spot_check_bps: int  # spot-check: chance that a receipt is re-executed by a verifier
    k: int  # redundancy: outputs that must agree
    n: int  # redundancy: leases opened (1 otherwise)

    def validate(self) -> None:
        if type(self) is not Policy:
            raise InvalidMsgError("policy is not a Policy record")
        for name in ("kind", "spot_check_bps", "k", "n"):
            check_uint63(getattr(self, name), f"policy.{name}")
        if self.kind == POLICY_REDUNDANCY:
            if not 2 <= self.n or not self.n // 2 < self.k <= self.n:
                raise InvalidMsgError(f"redundancy needs n >= 2 and a strict majority n/2 < k <= n, got k={self.k} n={self.n}")
            if self.spot_check_bps:
                raise InvalidMsgError("a redundancy policy has no spot-check rate")
        elif self.kind in (POLICY_NONE, POLICY_SPOT_CHECK):
            if self.n != 1 or self.k != 1:
                raise InvalidMsgError("only redundancy policies have k and n other than 1")
            check_bps(self.spot_check_bps, "policy.spot_check_bps")
            if (self.kind == POLICY_SPOT_CHECK) != (self.spot_check_bps > 0):
                raise InvalidMsgError("a spot-check policy needs a positive rate, and only it has one")
        else:
            raise InvalidMsgError(f"unknown verification policy {self.kind}")


def check_profile(hardware: object, region: object, attributes: object, endpoint: object) -> None:
    if type(hardware) is not Resources:
        raise InvalidMsgError("hardware must be a Resources record")
    hardware.validate("hardware")
    check_text(region, "region")
    check_attributes(attributes, "attributes")
    check_text(endpoint, "endpoint", MAX_ENDPOINT)


@tagged(Msg, "market/register_provider")
@dataclass(frozen=True, slots=True)
class MsgRegisterProvider(Msg):
    hardware: Resources
    region: str
    attributes: tuple[str, ...]
    endpoint: str
    collateral: int  # uake staked at once (may be 0, then MsgDepositCollateral)

    def validate_basic(self) -> None:
        check_profile(self.hardware, self.region, self.attributes, self.endpoint)
        check_uint63(self.collateral, "register_provider.collateral")


@tagged(Msg, "market/update_provider")
@dataclass(frozen=True, slots=True)
class MsgUpdateProvider(Msg):
    hardware: Resources
    region: str
    attributes: tuple[str, ...]
    endpoint: str

    def validate_basic(self) -> None:
        check_profile(self.hardware, self.region, self.attributes, self.endpoint)


@tagged(Msg, "market/deregister_provider")
@dataclass(frozen=True, slots=True)
class MsgDeregisterProvider(Msg):
    def validate_basic(self) -> None:
        pass


@tagged(Msg, "market/deposit_collateral")
@dataclass(frozen=True, slots=True)
class MsgDepositCollateral(Msg):
    amount: int

    def validate_basic(self) -> None:
        check_positive_amount(self.amount, "deposit_collateral.amount")


@tagged(Msg, "market/withdraw_collateral")
@dataclass(frozen=True, slots=True)
class MsgWithdrawCollateral(Msg):
    amount: int

    def validate_basic(self) -> None:
        check_positive_amount(self.amount, "withdraw_collateral.amount")


@tagged(Msg, "market/create_job")
@dataclass(frozen=True, slots=True)
class MsgCreateJob(Msg):
    resources: Resources
    duration_blocks: int  # blocks of service per lease
    region: str  # "" = any
    attributes: tuple[str, ...]  # the provider must have all of them
    budget: int  # uake moved into escrow now
    max_price: int  # uake per block per lease
    bid_window_blocks: int  # bids are accepted up to creation height + this; then selection
    deadline_blocks: int  # receipts are due by creation height + this
    policy: Policy
    allow: tuple[bytes, ...]  # if not empty, only these providers may bid
    deny: tuple[bytes, ...]
    workload: bytes = b""  # what the providers run (`market_client.encode_workload`); b"" = none

    def validate_basic(self) -> None:
        if type(self.resources) is not Resources:
            raise InvalidMsgError("create_job.resources must be a Resources record")
        self.resources.validate("create_job.resources")
        check_text(self.region, "create_job.region")
        check_attributes(self.attributes, "create_job.attributes")
        check_positive_amount(self.duration_blocks, "create_job.duration_blocks")
        check_positive_amount(self.budget, "create_job.budget")
        check_positive_amount(self.max_price, "create_job.max_price")
        check_positive_amount(self.bid_window_blocks, "create_job.bid_window_blocks")
        check_uint63(self.deadline_blocks, "create_job.deadline_blocks")
        if self.deadline_blocks < self.bid_window_blocks + self.duration_blocks:
            raise InvalidMsgError("create_job.deadline_blocks must leave room for the bid window and the duration")
        if type(self.policy) is not Policy:
            raise InvalidMsgError("create_job.policy must be a Policy record")
        self.policy.validate()
        for name in ("allow", "deny"):
            value = getattr(self, name)
            if type(value) is not tuple or len(value) > MAX_PROVIDER_LIST:
                raise InvalidMsgError(f"create_job.{name} must list at most {MAX_PROVIDER_LIST} providers")
            for i, address in enumerate(value):
                check_address(address, f"create_job.{name}[{i}]")
            if list(value) != sorted(set(value)):
                raise InvalidMsgError(f"create_job.{name} must be sorted and unique")
        if type(self.workload) is not bytes or len(self.workload) > MAX_WORKLOAD:
            raise InvalidMsgError(f"create_job.workload must be at most {MAX_WORKLOAD} bytes")


@tagged(Msg, "market/top_up")
@dataclass(frozen=True, slots=True)
class MsgTopUp(Msg):
    job_id: int
    amount: int

    def validate_basic(self) -> None:
        check_uint63(self.job_id, "top_up.job_id")
        check_positive_amount(self.amount, "top_up.amount")


@tagged(Msg, "market/cancel_job")
@dataclass(frozen=True, slots=True)
class MsgCancelJob(Msg):
    job_id: int

    def validate_basic(self) -> None:
        check_uint63(self.job_id, "cancel_job.job_id")


@tagged(Msg, "market/bid")
@dataclass(frozen=True, slots=True)
class MsgBid(Msg):
    job_id: int
    price: int  # uake per block
    latency_ms: int  # claimed
    resources: Resources  # offered: must cover the job's spec and fit the provider's hardware

    def validate_basic(self) -> None:
        check_uint63(self.job_id, "bid.job_id")
        check_positive_amount(self.price, "bid.price")
        check_uint63(self.latency_ms, "bid.latency_ms")
        if type(self.resources) is not Resources:
            raise InvalidMsgError("bid.resources must be a Resources record")
        self.resources.validate("bid.resources")


@tagged(Msg, "market/withdraw_bid")
@dataclass(frozen=True, slots=True)
class MsgWithdrawBid(Msg):
    job_id: int

    def validate_basic(self) -> None:
        check_uint63(self.job_id, "withdraw_bid.job_id")


def compute_commitment(output_hash: bytes, salt: bytes, provider: bytes, lease_id: int) -> bytes:
    """A receipt's commitment: bound to its provider and lease, so a copy of another replica's
    commitment can never be revealed by the copier."""
    return hashlib.sha256(output_hash + salt + provider + lease_id.to_bytes(8, "big")).digest()


@tagged(Msg, "market/submit_receipt")
@dataclass(frozen=True, slots=True)
class MsgSubmitReceipt(Msg):
    """The first half of a receipt: it commits to the output without showing it (see MsgRevealReceipt)."""

    lease_id: int
    commitment: bytes  # compute_commitment(output hash, salt, provider, lease id)
    usage: Resources  # measured
    uptime_bps: int
    latency_ms: int  # measured

    def validate_basic(self) -> None:
        check_uint63(self.lease_id, "submit_receipt.lease_id")
        check_hash(self.commitment, "submit_receipt.commitment")
        if type(self.usage) is not Resources:
            raise InvalidMsgError("submit_receipt.usage must be a Resources record")
        self.usage.validate("submit_receipt.usage")
        check_bps(self.uptime_bps, "submit_receipt.uptime_bps")
        check_uint63(self.latency_ms, "submit_receipt.latency_ms")


@tagged(Msg, "market/reveal_receipt")
@dataclass(frozen=True, slots=True)
class MsgRevealReceipt(Msg):
    """The second half: the output hash and salt, once the lease's reveal phase is open."""

    lease_id: int
    output_hash: bytes
    salt: bytes  # 32 random bytes chosen at commit time

    def validate_basic(self) -> None:
        check_uint63(self.lease_id, "reveal_receipt.lease_id")
        check_hash(self.output_hash, "reveal_receipt.output_hash")
        check_hash(self.salt, "reveal_receipt.salt")


@tagged(Msg, "market/withdraw_earnings")
@dataclass(frozen=True, slots=True)
class MsgWithdrawEarnings(Msg):
    lease_id: int

    def validate_basic(self) -> None:
        check_uint63(self.lease_id, "withdraw_earnings.lease_id")
