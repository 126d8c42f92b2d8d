"""Market params (also used by escrow, verify and reputation): economics, windows and weights,
each with bounds; set at genesis and changeable by governance through `set_params`."""
from __future__ import annotations

from dataclasses import dataclass, fields

from akechain.chain.codec import MAX_UINT63, GenesisError, check_json_fields, get_json_field
from akechain.chain.crypto import ADDRESS_LENGTH, AddressError, format_address, parse_address
from akechain.chain.store import StoreView, load_params, save_params

PARAMS_KEY = b"\x30"
BPS = 10_000
MAX_VERIFIERS = 100

# name -> (lo, hi) for every integer param
BOUNDS: dict[str, tuple[int, int]] = {
    "take_rate_bps": (0, 5_000),
    "take_burn_bps": (0, BPS),
    "collateral_ratio_bps": (0, 100 * BPS),
    "reputation_multiplier_min_bps": (1_000, 10 * BPS),
    "reputation_multiplier_max_bps": (1_000, 10 * BPS),
    "reputation_alpha_bps": (1, BPS),
    "reputation_initial_bps": (0, BPS),
    "reputation_history_len": (1, 256),
    "weight_price": (0, BPS),
    "weight_reputation": (0, BPS),
    "weight_latency": (0, BPS),
    "latency_cap_ms": (1, 600_000),
    "challenge_window_blocks": (1, 1_000_000),
    "challenge_bond": (0, MAX_UINT63),
    "slash_bps": (0, BPS),
    "slash_consumer_bps": (0, BPS),
    "slash_challenger_bps": (0, BPS),
    "grace_blocks": (0, 1_000_000),
    "sla_uptime_bps": (0, BPS),
    "penalty_bps": (0, BPS),
    "spot_check_rate_cap_bps": (0, BPS),
    "max_bids_per_job": (1, 1_000),
    "max_replicas": (1, 15),
    "max_bid_window_blocks": (1, 1_000_000),
    "max_duration_blocks": (1, 100_000_000),
}


@dataclass(frozen=True, slots=True)
class Params:
    take_rate_bps: int  # share of every provider payment taken by the protocol
    take_burn_bps: int  # share of the take burned; the rest goes to the bank treasury
    collateral_ratio_bps: int  # collateral locked per lease, as a share of price x duration
    reputation_multiplier_min_bps: int  # collateral multiplier at a perfect reputation
    reputation_multiplier_max_bps: int  # ... and at reputation zero
    reputation_alpha_bps: int  # EWMA weight of each new observation
    reputation_initial_bps: int  # score of a provider with no history
    reputation_history_len: int  # entries kept per provider
    weight_price: int  # selection score weights (relative)
    weight_reputation: int
    weight_latency: int
    latency_cap_ms: int  # latency claims at or above this score zero
    challenge_window_blocks: int  # after a receipt, and again for a referee verdict
    challenge_bond: int  # uake posted by a challenger
    slash_bps: int  # of the lease's locked collateral, on a proven mismatch or majority dissent
    slash_consumer_bps: int  # share of a slash paid to the consumer
    slash_challenger_bps: int  # share of a slash paid to a successful challenger; the rest is burned
    grace_blocks: int  # a lease paused for lack of funds closes this many blocks later
    sla_uptime_bps: int  # receipts reporting less uptime are penalised
    penalty_bps: int  # of the lease's locked collateral, paid to the consumer on a deadline/SLA miss
    spot_check_rate_cap_bps: int  # highest spot-check rate a job may ask for
    max_bids_per_job: int
    max_replicas: int  # n of a k-of-n redundancy policy
    max_bid_window_blocks: int
    max_duration_blocks: int
    verifiers: tuple[bytes, ...]  # addresses that spot-check receipts and referee challenges (sorted)

    def validate(self) -> None:
        for name, (lo, hi) in BOUNDS.items():
            value = getattr(self, name)
            if type(value) is not int or not lo <= value <= hi:
                raise GenesisError(f"market.params.{name} {value!r} out of range [{lo}, {hi}]")
        if self.reputation_multiplier_min_bps > self.reputation_multiplier_max_bps:
            raise GenesisError("market.params.reputation_multiplier_min_bps exceeds the max")
        if self.weight_price + self.weight_reputation + self.weight_latency == 0:
            raise GenesisError("market.params: the selection weights must not all be zero")
        if self.slash_consumer_bps + self.slash_challenger_bps > BPS:
            raise GenesisError("market.params: slash_consumer_bps + slash_challenger_bps exceed 10000")
        if type(self.verifiers) is not tuple or len(self.verifiers) > MAX_VERIFIERS:
            raise GenesisError(f"market.params.verifiers must be a list of at most {MAX_VERIFIERS}")
        for verifier in self.verifiers:
            if type(verifier) is not bytes or len(verifier) != ADDRESS_LENGTH:
                raise GenesisError("market.params.verifiers must hold 20-byte addresses")
        if list(self.verifiers) != sorted(set(self.verifiers)):
            raise GenesisError("market.params.verifiers must be sorted and unique")


DEFAULT_PARAMS = Params(
    take_rate_bps=500,
    take_burn_bps=5_000,
    collateral_ratio_bps=2_000,
    reputation_multiplier_min_bps=5_000,
    reputation_multiplier_max_bps=15_000,
    reputation_alpha_bps=2_000,
    reputation_initial_bps=5_000,
    reputation_history_len=16,
    weight_price=5_000,
    weight_reputation=3_000,
    weight_latency=2_000,
    latency_cap_ms=1_000,
    challenge_window_blocks=20,
    challenge_bond=1_000_000,
    slash_bps=5_000,
    slash_consumer_bps=5_000,
    slash_challenger_bps=2_000,
    grace_blocks=10,
    sla_uptime_bps=9_900,
    penalty_bps=1_000,
    spot_check_rate_cap_bps=5_000,
    max_bids_per_job=64,
    max_replicas=9,
    max_bid_window_blocks=1_000,
    max_duration_blocks=10_000_000,
    verifiers=(),
)

INT_FIELDS = tuple(f.name for f in fields(Params) if f.name != "verifiers")


def get_params(store: StoreView) -> Params:
    return load_params(store, PARAMS_KEY, Params, "market")


def set_params(store: StoreView, params: Params) -> None:
    save_params(store, PARAMS_KEY, params)


def params_from_json(obj: object) -> Params:
    where = "market.params"
    values = {name: get_json_field(obj, name, int, where) for name in INT_FIELDS}
    verifiers = []
    for i, text in enumerate(get_json_field(obj, "verifiers", list, where)):
        if type(text) is not str:
            raise GenesisError(f"{where}.verifiers[{i}] must be an address string")
        try:
            verifiers.append(parse_address(text))
        except AddressError as exc:
            raise GenesisError(f"{where}.verifiers[{i}]: {exc}") from exc
    check_json_fields(obj, set(INT_FIELDS) | {"verifiers"}, where)
    params = Params(**values, verifiers=tuple(verifiers))
    params.validate()
    return params


def params_to_json(params: Params) -> dict:
    obj: dict = {name: getattr(params, name) for name in INT_FIELDS}
    obj["verifiers"] = [format_address(v) for v in params.verifiers]
    return obj
