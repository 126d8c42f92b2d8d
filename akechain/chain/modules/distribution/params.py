"""Distribution params; every one bounded. The block's pot (fees collected plus the emission) is split
by `burn_bps` and `treasury_bps`, the rest goes to the validators that signed; the emission starts
at `emission_per_block`, loses `emission_decay_bps` of itself every `emission_epoch_blocks` and
stops after `emission_end_height` or once `emission_cap` is emitted, whichever comes first."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import GenesisError, MAX_UINT63
from akechain.chain.params import ParamSet, param

PARAMS_KEY = b"\xc0"
BPS = 10_000


@dataclass(frozen=True, slots=True)
class Params:
    burn_bps: int = param(lo=0, hi=BPS, default=2_000)  # share of the pot destroyed
    treasury_bps: int = param(lo=0, hi=BPS, default=1_000)  # share of the pot to the treasury
    emission_per_block: int = param(lo=0, hi=10**12, default=10_000_000)  # uake minted per block in the first epoch
    emission_decay_bps: int = param(lo=0, hi=BPS, default=1_000)  # share of the per-block emission lost each epoch
    emission_epoch_blocks: int = param(lo=1, hi=100_000_000, default=1_000_000)  # blocks per epoch
    emission_end_height: int = param(lo=0, hi=MAX_UINT63, default=50_000_000)  # the last height that emits
    emission_cap: int = param(lo=0, hi=MAX_UINT63, default=100_000_000_000_000)  # uake ever emitted, at most


def check_relations(params: Params) -> None:
    if params.burn_bps + params.treasury_bps > BPS:
        raise GenesisError(f"distribution.params burn_bps + treasury_bps = {params.burn_bps + params.treasury_bps} "
                           f"exceeds {BPS}")


PARAMS = ParamSet("distribution", PARAMS_KEY, Params, check_relations)
DEFAULT_PARAMS = Params()
get_params = PARAMS.get
