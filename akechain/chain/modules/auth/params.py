"""Auth params: the limits every tx is checked against before its messages run."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import MAX_UINT63
from akechain.chain.params import ParamSet, param

PARAMS_KEY = b"\x02"


@dataclass(frozen=True, slots=True)
class Params:
    min_fee: int = param(lo=0, hi=MAX_UINT63, default=1_000)  # uake per tx; the mempool prices by fee: the spam floor
    max_tx_bytes: int = param(lo=256, hi=4 * 1024 * 1024, default=16 * 1024)  # >= 256 fits a multi-msg tx; <= codec cap
    max_memo_length: int = param(lo=0, hi=1024, default=256)  # characters


PARAMS = ParamSet("auth", PARAMS_KEY, Params)
DEFAULT_PARAMS = Params()
get_params = PARAMS.get
