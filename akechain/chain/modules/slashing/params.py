"""Slashing params (Cosmos SDK defaults); every one bounded. Fractions are basis points, durations
block-time milliseconds."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.params import ParamSet, param

PARAMS_KEY = b"\xb0"
DAY_MS = 24 * 3600 * 1000
BPS = 10_000


@dataclass(frozen=True, slots=True)
class Params:
    signed_blocks_window: int = param(lo=10, hi=100_000, default=100)  # blocks over which signatures count
    min_signed_per_window: int = param(lo=0, hi=BPS, default=5_000)  # bps of the window a validator must sign
    downtime_jail_duration: int = param(lo=0, hi=365 * DAY_MS, default=600_000)  # ms a downtime jail lasts
    slash_fraction_double_sign: int = param(lo=0, hi=BPS, default=500)  # bps of the stake at the infraction
    slash_fraction_downtime: int = param(lo=0, hi=BPS, default=100)  # bps of the current stake
    # evidence older than either is refused (the block-time age also never beyond staking's unbonding time)
    max_evidence_age_blocks: int = param(lo=1, hi=10_000_000, default=100_000)
    max_evidence_age_ms: int = param(lo=1, hi=365 * DAY_MS, default=2 * DAY_MS)


PARAMS = ParamSet("slashing", PARAMS_KEY, Params)
DEFAULT_PARAMS = Params()
get_params = PARAMS.get


def compute_max_missed(params: Params) -> int:
    """Blocks of the window a validator may miss before it is slashed for downtime."""
    return params.signed_blocks_window - params.signed_blocks_window * params.min_signed_per_window // BPS
