"""Begin block (x/mint's and x/distribution's BeginBlocker in one): mint the block's emission into the
fee collector, then split the collector's whole balance (the previous block's fees plus the
emission) into burn, treasury and the stakers' part; the stakers' part goes to the validators that
signed the decided last commit, by power. Work is O(validators in the last commit); integer
division leaves dust, which goes to the treasury, as does the stakers' part when no one signed.
"""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.modules.bank.keeper import FEE_COLLECTOR, TREASURY, get_balance, process_burn, process_mint, process_transfer
from akechain.chain.modules.distribution.keeper import credit_validator
from akechain.chain.modules.distribution.params import BPS, Params, get_params
from akechain.chain.modules.distribution.records import EMISSION_KEY, REWARDS_POOL, Emission
from akechain.chain.modules.staking.keeper import get_validator_by_consensus_address
from akechain.chain.modules.staking.records import Validator
from akechain.chain.store import BlockContext, Event, StoreView, make_event


def get_initial_emission(params: Params) -> Emission:
    return Emission(params.emission_per_block, 1 + params.emission_epoch_blocks, 0)


def get_emission(store: StoreView) -> Emission:
    emission = store.get(EMISSION_KEY, Emission)
    if emission is None:
        raise LookupError("distribution emission state is missing (was the chain initialised?)")
    return emission


def compute_block_emission(emission: Emission, height: int, params: Params) -> int:
    """What block `height` mints: this epoch's reward, never past the end height nor the cap."""
    if height > params.emission_end_height:
        return 0
    return min(emission.reward_per_block, params.emission_cap - emission.emitted)


def process_emission(store: StoreView, height: int, params: Params) -> int:
    """Enter a new epoch when due (the reward decays by `emission_decay_bps`), mint this block's
    emission into the fee collector; returns the uake minted."""
    emission = get_emission(store)
    if height >= emission.next_decay_height:  # heights advance one by one: at most one epoch per block
        emission = Emission(emission.reward_per_block * (BPS - params.emission_decay_bps) // BPS,
                            emission.next_decay_height + params.emission_epoch_blocks, emission.emitted)
    minted = max(compute_block_emission(emission, height, params), 0)
    process_mint(store, FEE_COLLECTOR, minted)
    store.set(EMISSION_KEY, replace(emission, emitted=emission.emitted + minted))
    return minted


def get_signers(store: StoreView, ctx: BlockContext) -> list[tuple[Validator, int]]:
    """The validators whose precommit is in the decided last commit, with the power they signed with."""
    signers = []
    for vote in ctx.last_commit:
        if vote.signed and vote.power > 0:
            validator = get_validator_by_consensus_address(store, vote.validator_address)
            if validator is not None:
                signers.append((validator, vote.power))
    return signers


def process_begin_block(store: StoreView, ctx: BlockContext) -> list[Event]:
    params = get_params(store)
    minted = process_emission(store, ctx.height, params)
    pot = get_balance(store, FEE_COLLECTOR)
    if pot == 0:
        return []
    burned = pot * params.burn_bps // BPS
    stakers = pot - burned - pot * params.treasury_bps // BPS
    process_burn(store, FEE_COLLECTOR, burned)
    signers = get_signers(store, ctx)
    total_power = sum(power for _, power in signers)
    credited = 0
    for validator, power in signers:
        share = stakers * power // total_power
        credit_validator(store, validator, share)
        credited += share
    if credited:
        process_transfer(store, FEE_COLLECTOR, REWARDS_POOL, credited)
    to_treasury = pot - burned - credited  # its share, the integer dust, and the stakers' part if no one signed
    if to_treasury:
        process_transfer(store, FEE_COLLECTOR, TREASURY, to_treasury)
    return [make_event("rewards", minted=minted, pot=pot, burned=burned, treasury=to_treasury, stakers=credited,
                       validators=len(signers))]
