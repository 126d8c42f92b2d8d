"""KPI params: a period is `period_blocks` blocks; the last `kept_periods` closed periods are kept."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.modules.kpi.records import PARAMS_KEY
from akechain.chain.params import ParamSet, param


@dataclass(frozen=True, slots=True)
class Params:
    period_blocks: int = param(lo=1, hi=10_000_000, default=14_400)  # about a day at 6 s blocks
    kept_periods: int = param(lo=1, hi=1_000, default=90)


PARAMS = ParamSet("kpi", PARAMS_KEY, Params)
DEFAULT_PARAMS = Params()
get_params = PARAMS.get
