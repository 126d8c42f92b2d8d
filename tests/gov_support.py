"""Shared fixtures for the gov tests: two validators of 10,000 uake each (staking_support's gentxs),
gov periods of seconds, an emission paid wholly to the treasury (so spends have funds and no other
balance moves), and helpers to submit, vote and read proposals."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.genesis import build_gentx, build_genesis
from akechain.chain.modules.gov.msgs import MsgSubmitProposal
from akechain.chain.modules.gov.params import DEFAULT_PARAMS as DEFAULT_GOV_PARAMS
from akechain.chain.modules.gov.params import Params as GovParams
from akechain.chain.modules.gov.records import Proposal
from akechain.chain.multisig import compute_account_address
from akechain.testing import SimChain
from staking_support import ADDRESSES, CONSENSUS_KEYS, GENESIS_AMOUNT, GENESIS_BOND, KEYS, NO_REWARDS, PARAMS, Driver
from test_app_support import AUTH_PARAMS, CHAIN_ID

TREASURY_PER_BLOCK = 1_000_000
TO_TREASURY = replace(NO_REWARDS, emission_per_block=TREASURY_PER_BLOCK)
GOV = replace(DEFAULT_GOV_PARAMS, min_deposit=1_000, deposit_period_ms=5_000, voting_period_ms=10_000,
              expedited_min_deposit=2_000, expedited_voting_period_ms=3_000)


def make_gov_chain(params: GovParams = GOV, validators: int = 2, guardian: dict | None = None) -> SimChain:
    """`guardian`: the gov section's guardian ({"pub_key": hex multisig key, "powers": [...]}), its account funded."""
    gentxs = [build_gentx(KEYS[i], CHAIN_ID, CONSENSUS_KEYS[i], f"v{i}", GENESIS_BOND, AUTH_PARAMS) for i in range(validators)]
    accounts = {a: GENESIS_AMOUNT for a in ADDRESSES}
    if guardian is not None:
        accounts[compute_account_address(bytes.fromhex(guardian["pub_key"]))] = GENESIS_AMOUNT
    genesis = build_genesis(CHAIN_ID, gentxs, accounts, AUTH_PARAMS,
                            staking_params=PARAMS, distribution_params=TO_TREASURY, gov_params=params)
    if guardian is not None:
        genesis["app_state"]["gov"]["guardian"] = guardian
    return SimChain(genesis["app_state"], CHAIN_ID)


class GovDriver(Driver):
    def submit(self, i: int, *messages, deposit: int = GOV.min_deposit, expedited: bool = False) -> int:
        """Submit a proposal in its own block; its id."""
        result = self.run(i, MsgSubmitProposal(tuple(messages), deposit, "title", "summary", expedited))
        assert result.tx_results[-1].code == 0, result.tx_results[-1].log
        return len(self.chain.query("gov", "proposals"))

    def proposal(self, proposal_id: int) -> Proposal:
        return self.chain.query("gov", "proposal", proposal_id)

    def wait_ms(self, ms: int) -> None:
        """Blocks until `ms` of block time have passed (each block 1 s)."""
        for _ in range(-(-ms // 1_000)):
            self.block()

    def balance(self, address: bytes) -> int:
        return self.chain.app.get_account(address).balance


__all__ = ["ADDRESSES", "GOV", "GovDriver", "make_gov_chain"]
