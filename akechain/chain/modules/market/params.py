"""Market params (also read by escrow, verify and reputation, which the market drives): economics,
windows and weights, each with bounds; set at genesis and changeable by governance."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import MAX_UINT63, GenesisError
from akechain.chain.params import ParamSet, param

PARAMS_KEY = b"\x30"
BPS = 10_000
MAX_VERIFIERS = 100


@dataclass(frozen=True, slots=True)
class Params:
    take_rate_bps: int = param(lo=0, hi=5_000, default=500)  # share of every provider payment taken by the protocol
    take_burn_bps: int = param(lo=0, hi=BPS, default=5_000)  # share of the take burned; the rest goes to the treasury
    collateral_ratio_bps: int = param(lo=0, hi=100 * BPS, default=2_000)  # collateral locked per lease, as a share of price x duration
    reputation_multiplier_min_bps: int = param(lo=1_000, hi=10 * BPS, default=5_000)  # collateral multiplier at a perfect reputation
    reputation_multiplier_max_bps: int = param(lo=1_000, hi=10 * BPS, default=15_000)  # ... and at reputation zero
    reputation_alpha_bps: int = param(lo=1, hi=BPS, default=2_000)  # EWMA weight of each new observation
    reputation_initial_bps: int = param(lo=0, hi=BPS, default=5_000)  # score of a provider with no history
    reputation_history_len: int = param(lo=1, hi=256, default=16)  # entries kept per provider
    weight_price: int = param(lo=0, hi=BPS, default=5_000)  # selection score weights (relative)
    weight_reputation: int = param(lo=0, hi=BPS, default=3_000)
    weight_latency: int = param(lo=0, hi=BPS, default=2_000)
    latency_cap_ms: int = param(lo=1, hi=600_000, default=1_000)  # latency claims at or above this score zero
    challenge_window_blocks: int = param(lo=1, hi=1_000_000, default=20)  # after a receipt, and again for a referee verdict
    challenge_bond: int = param(lo=0, hi=MAX_UINT63, default=1_000_000)  # uake posted by a challenger
    slash_bps: int = param(lo=0, hi=BPS, default=5_000)  # of the lease's locked collateral, on a proven mismatch or majority dissent
    slash_consumer_bps: int = param(lo=0, hi=BPS, default=5_000)  # share of a slash paid to the consumer
    slash_challenger_bps: int = param(lo=0, hi=BPS, default=2_000)  # share of a slash paid to a successful challenger; the rest is burned
    grace_blocks: int = param(lo=0, hi=1_000_000, default=10)  # a lease paused for lack of funds closes this many blocks later
    # end block emits `lease_running_out` this many blocks before a lease's escrow runs dry (0: never)
    run_out_warning_blocks: int = param(lo=0, hi=100_000, default=20)
    sla_uptime_bps: int = param(lo=0, hi=BPS, default=9_900)  # receipts reporting less uptime are penalised
    penalty_bps: int = param(lo=0, hi=BPS, default=1_000)  # of the lease's locked collateral, paid to the consumer on a deadline/SLA miss
    spot_check_rate_cap_bps: int = param(lo=0, hi=BPS, default=5_000)  # highest spot-check rate a job may ask for
    max_bids_per_job: int = param(lo=1, hi=1_000, default=64)
    max_replicas: int = param(lo=1, hi=15, default=9)  # n of a k-of-n redundancy policy
    max_bid_window_blocks: int = param(lo=1, hi=1_000_000, default=1_000)
    max_duration_blocks: int = param(lo=1, hi=100_000_000, default=10_000_000)
    # addresses that spot-check receipts and referee challenges (sorted)
    verifiers: tuple[bytes, ...] = param(max_items=MAX_VERIFIERS, default=())
    # pay before verification: at most this share of the lease's locked collateral, and only for
    # whole checkpoints served, so a clawback from the collateral can always make the consumer whole
    unverified_pay_bps: int = param(lo=0, hi=BPS, default=5_000)
    checkpoint_blocks: int = param(lo=1, hi=1_000_000, default=10)
    min_take: int = param(lo=0, hi=MAX_UINT63, default=1)  # uake: the take of a payment never rounds to zero
    min_collateral: int = param(lo=0, hi=MAX_UINT63, default=1_000)  # uake a lease locks at least
    reveal_window_blocks: int = param(lo=1, hi=1_000_000, default=10)  # blocks to reveal a committed receipt
    # uake (price x duration) a lease must be worth for its good outcomes to raise reputation, so
    # farming it with tiny self-dealt jobs costs at least the take on this much per observation
    reputation_min_lease_value: int = param(lo=0, hi=MAX_UINT63, default=100_000)
    # a bid reserves the lock it could win plus this deposit, forfeited to the consumer if the bid
    # is withdrawn in the last `late_withdraw_bps` of the window (bid slots cannot be squatted free)
    bid_deposit: int = param(lo=0, hi=MAX_UINT63, default=1_000)
    late_withdraw_bps: int = param(lo=0, hi=BPS, default=2_500)


def check_relations(params: Params) -> None:
    """What single bounds cannot say."""
    if params.reputation_multiplier_min_bps > params.reputation_multiplier_max_bps:
        raise GenesisError("market.params.reputation_multiplier_min_bps exceeds the max")
    if params.weight_price + params.weight_reputation + params.weight_latency == 0:
        raise GenesisError("market.params: the selection weights must not all be zero")
    if params.slash_consumer_bps + params.slash_challenger_bps > BPS:
        raise GenesisError("market.params: slash_consumer_bps + slash_challenger_bps exceed 10000")
    if params.unverified_pay_bps + max(params.slash_bps, params.penalty_bps) > BPS:
        # a forfeit claws back what was paid and takes the slash (or penalty) from the same lock
        raise GenesisError("market.params: unverified_pay_bps + max(slash_bps, penalty_bps) exceed 10000")


PARAMS = ParamSet("market", PARAMS_KEY, Params, check_relations)
DEFAULT_PARAMS = Params()
get_params = PARAMS.get
