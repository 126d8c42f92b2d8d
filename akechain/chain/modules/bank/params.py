"""Bank params: how each tx fee is split between burning and the treasury (no defaults: genesis chooses)."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.params import ParamSet, param

PARAMS_KEY = b"\x12"
BPS_DENOMINATOR = 10_000


@dataclass(frozen=True, slots=True)
class Params:
    burn_bps: int = param(lo=0, hi=BPS_DENOMINATOR)  # share of every fee that is destroyed; the rest goes to `treasury`
    treasury: bytes = param()  # 20-byte address


PARAMS = ParamSet("bank", PARAMS_KEY, Params)
get_params = PARAMS.get
