"""Staking params (Cosmos SDK defaults where it has them); every one bounded."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import MAX_UINT63
from akechain.chain.params import ParamSet, param

PARAMS_KEY = b"\x80"
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class Params:
    unbonding_time_ms: int = param(lo=1, hi=365 * DAY_MS, default=21 * DAY_MS)  # block time tokens stay locked (and slashable)
    max_validators: int = param(lo=1, hi=1_000, default=100)  # size of the active set
    max_entries: int = param(lo=1, hi=100, default=7)  # unbonding / redelegation entries per delegator and validator(s)
    min_self_delegation: int = param(lo=1, hi=MAX_UINT63, default=1_000_000)  # uake an operator bonds itself
    # uake per unit of consensus power; >= 8 keeps the total power under CometBFT's (2**63-1)/8 cap
    power_reduction: int = param(lo=8, hi=10**15, default=1_000_000)


PARAMS = ParamSet("staking", PARAMS_KEY, Params)
DEFAULT_PARAMS = Params()
get_params = PARAMS.get
