"""Bridge params (Gravity Bridge's where it has them); every one bounded. Fractions are basis points."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.params import ParamSet, param

PARAMS_KEY = b"\xe0"
BPS = 10_000


@dataclass(frozen=True, slots=True)
class Params:
    max_batch_size: int = param(lo=1, hi=100, default=20)  # transfers per batch (gas on the EVM side)
    max_pending_batches: int = param(lo=1, hi=32, default=8)  # batches made but not yet executed
    max_queued_transfers: int = param(lo=1, hi=100_000, default=10_000)  # outgoing transfers waiting for a batch
    # a batch is void this many EVM blocks past the last EVM height the validators attested
    batch_timeout_evm_blocks: int = param(lo=1, hi=10_000_000, default=100_000)
    # a new valset when the normalised powers move by more than this (sum of absolute changes), or the set changes
    valset_change_bps: int = param(lo=0, hi=BPS, default=500)
    max_pending_valsets: int = param(lo=1, hi=1_000, default=100)  # valsets ahead of the last one the EVM side took
    max_claims_ahead: int = param(lo=1, hi=100_000, default=1_000)  # event nonces claimable past the last executed
    signed_window_blocks: int = param(lo=1, hi=100_000, default=100)  # blocks to sign a valset or batch
    slash_fraction_missing_signature: int = param(lo=0, hi=BPS, default=100)  # bps of the stake, then jailed
    slash_fraction_bad_signature: int = param(lo=0, hi=BPS, default=500)  # signing what the chain never made


PARAMS = ParamSet("bridge", PARAMS_KEY, Params)
DEFAULT_PARAMS = Params()
get_params = PARAMS.get
