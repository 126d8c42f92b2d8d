"""Gov params; every one bounded (Cosmos SDK x/gov v1 defaults where it has them). A proposal enters
voting once its deposits reach `min_deposit` (`expedited_min_deposit` on the expedited track)
within `deposit_period_ms`; it passes when the votes cast reach `quorum_bps` of the bonded stake,
no-with-veto stays at or below `veto_threshold_bps` of them and yes is above `threshold_bps` of the
non-abstaining votes (`expedited_threshold_bps` and `expedited_voting_period_ms` on the fast track)."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import MAX_UINT63, GenesisError
from akechain.chain.params import ParamSet, param

PARAMS_KEY = b"\xd0"
BPS = 10_000
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class Params:
    min_deposit: int = param(lo=1, hi=MAX_UINT63, default=10_000_000)  # uake that opens voting
    min_initial_deposit_bps: int = param(lo=0, hi=BPS, default=2_500)  # share of min_deposit a submission brings
    deposit_period_ms: int = param(lo=1, hi=365 * DAY_MS, default=2 * DAY_MS)
    voting_period_ms: int = param(lo=1, hi=365 * DAY_MS, default=2 * DAY_MS)
    quorum_bps: int = param(lo=0, hi=BPS, default=3_340)  # of the bonded stake
    threshold_bps: int = param(lo=1, hi=BPS, default=5_000)  # of yes + no + veto
    veto_threshold_bps: int = param(lo=1, hi=BPS, default=3_340)  # of all votes cast
    burn_unmet_deposits: int = param(lo=0, hi=1, default=0)  # 1: deposits of a proposal that never reached voting are burned
    expedited_min_deposit: int = param(lo=1, hi=MAX_UINT63, default=50_000_000)
    expedited_voting_period_ms: int = param(lo=1, hi=365 * DAY_MS, default=DAY_MS)
    expedited_threshold_bps: int = param(lo=1, hi=BPS, default=6_670)
    max_messages: int = param(lo=1, hi=100, default=10)  # per proposal
    max_proposal_bytes: int = param(lo=256, hi=1_000_000, default=16_384)  # title + summary + encoded messages
    max_active_grants: int = param(lo=0, hi=10_000, default=100)  # continuous grants paid each block, at most


def check_relations(params: Params) -> None:
    # Verify the expedited track is faster, dearer and stricter than the regular one (as x/gov v1)
    if params.expedited_voting_period_ms >= params.voting_period_ms:
        raise GenesisError("gov.params expedited_voting_period_ms must be below voting_period_ms")
    if params.expedited_min_deposit < params.min_deposit:
        raise GenesisError("gov.params expedited_min_deposit must be at least min_deposit")
    if params.expedited_threshold_bps < params.threshold_bps:
        raise GenesisError("gov.params expedited_threshold_bps must be at least threshold_bps")


PARAMS = ParamSet("gov", PARAMS_KEY, Params, check_relations)
DEFAULT_PARAMS = Params()
get_params = PARAMS.get
