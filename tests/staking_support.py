"""Shared fixtures for the staking tests: a genesis whose first validators come from gentxs, short
periods, and a driver that signs txs and runs blocks (the random tests use the module's own
strategies through `ChainMachine`)."""
from __future__ import annotations

from dataclasses import replace
from typing import Collection, Sequence

from akechain.chain.crypto import get_address, get_pub_key, signing_key_from_seed
from akechain.chain.genesis import build_gentx, build_genesis
from akechain.chain.modules.distribution.params import DEFAULT_PARAMS as DEFAULT_DISTRIBUTION_PARAMS
from akechain.chain.modules.distribution.params import Params as DistributionParams
from akechain.chain.modules.slashing.params import Params as SlashingParams
from akechain.chain.modules.staking.msgs import MsgCreateValidator
from akechain.chain.modules.staking.params import Params
from akechain.chain.tx import build_tx
from akechain.testing import SimChain
from consensus.abci import FinalizeResult, Misbehavior
from test_app_support import AUTH_PARAMS, CHAIN_ID

FEE = AUTH_PARAMS.min_fee
PARAMS = Params(unbonding_time_ms=10_000, max_validators=3, max_entries=3, min_self_delegation=1_000, power_reduction=1_000)
# a short window (6 misses of 10 jail), a 5 s jail, evidence up to 20 blocks old
SLASHING_PARAMS = SlashingParams(signed_blocks_window=10, min_signed_per_window=5_000, downtime_jail_duration=5_000,
                                 slash_fraction_double_sign=500, slash_fraction_downtime=100,
                                 max_evidence_age_blocks=20, max_evidence_age_ms=PARAMS.unbonding_time_ms)
KEYS = [signing_key_from_seed(bytes([50 + i]) * 32) for i in range(6)]
ADDRESSES = [get_address(k) for k in KEYS]
CONSENSUS_KEYS = [get_pub_key(signing_key_from_seed(bytes([150 + i]) * 32)) for i in range(len(KEYS))]
GENESIS_AMOUNT = 10**7
# no emission, no burn and no stakers' part (fees all go to the treasury), so staking and slashing tests
# see balances and the burned supply move only by their own rules
NO_REWARDS = replace(DEFAULT_DISTRIBUTION_PARAMS, emission_per_block=0, burn_bps=0, treasury_bps=10_000)
GENESIS_BOND = 10_000
BLOCK_MS = 1_000


def create_validator_msg(i: int, self_delegation: int = GENESIS_BOND, **kw) -> MsgCreateValidator:
    fields = dict(consensus_pub_key=CONSENSUS_KEYS[i], moniker=f"v{i}", commission_rate_bps=1_000, max_rate_bps=2_000,
                  max_change_rate_bps=100, self_delegation=self_delegation)
    fields.update(kw)
    return MsgCreateValidator(**fields)


def make_staking_chain(validators: int = 2, params: Params = PARAMS,
                       slashing_params: SlashingParams = SLASHING_PARAMS,
                       distribution_params: DistributionParams = NO_REWARDS) -> SimChain:
    """Accounts 0..validators-1 are validators bonded by their gentxs; every account is funded."""
    gentxs = [build_gentx(KEYS[i], CHAIN_ID, CONSENSUS_KEYS[i], f"v{i}", GENESIS_BOND, AUTH_PARAMS) for i in range(validators)]
    genesis = build_genesis(CHAIN_ID, gentxs, {a: GENESIS_AMOUNT for a in ADDRESSES}, AUTH_PARAMS,
                            staking_params=params, slashing_params=slashing_params,
                            distribution_params=distribution_params)
    return SimChain(genesis["app_state"], CHAIN_ID)


class Driver:
    """Runs block 1, then signs txs with tracked nonces (gentx senders start at 1) and runs blocks BLOCK_MS apart."""

    def __init__(self, chain: SimChain) -> None:
        self.chain = chain
        self.pending: list[bytes] = []
        self.block()  # genesis commits with block 1; queries read committed state
        self.nonces = {a: chain.app.get_account(a).nonce for a in ADDRESSES}

    def tx(self, i: int, *msgs) -> None:
        self.pending.append(build_tx(KEYS[i], CHAIN_ID, self.nonces[ADDRESSES[i]], FEE, list(msgs)))
        self.nonces[ADDRESSES[i]] += 1

    def block(self, advance_ms: int = BLOCK_MS, absent: Collection[bytes] = (),
              misbehavior: Sequence[Misbehavior] = ()) -> FinalizeResult:
        """The pending txs in a block; `absent` consensus addresses missed the last commit, `misbehavior` is its evidence."""
        result = self.chain.apply_block(self.pending, time_ms=self.chain.time_ms + advance_ms, absent=absent,
                                        misbehavior=misbehavior)
        self.pending = []
        return result

    def run(self, i: int, *msgs) -> FinalizeResult:
        """One tx in its own block."""
        self.tx(i, *msgs)
        return self.block()
