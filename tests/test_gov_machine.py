"""Governance through the real App on the kit (`ChainMachine`): random proposals (text, in-bounds
param changes, treasury spends, and doomed ones whose last message cannot execute), deposits, votes
(direct, inherited from validators, through a vote delegate who holds no stake, weighted, changed),
vote delegations taken and taken back, staking delegations moving power, and time passing across
deposit and voting periods. After every block, besides every module invariant (the kit): the live
tally of each open proposal equals an independent per-account model in which each delegation is
counted once, by its owner's vote, else its owner's vote delegate's, else its validator's; the tally
never exceeds the bonded stake; a doomed proposal never changes the param it names; and the treasury
decreases only by the spends and grant payments gov accounts for, spends only in a block where a
proposal passed."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Sequence

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from akechain.chain.crypto import Address
from akechain.chain.genesis import build_gentx
from akechain.chain.modules.bank.keeper import TREASURY
from akechain.chain.modules.gov.msgs import (
    MsgDelegateVotes,
    MsgDeposit,
    MsgSubmitProposal,
    MsgTreasurySpend,
    MsgUndelegateVotes,
    MsgUpdateParams,
    MsgVote,
    MsgWeightedVote,
)
from akechain.chain.modules.gov.params import DEFAULT_PARAMS
from akechain.chain.modules.gov.records import OPTION_NAMES, VOTING_PERIOD, WeightedOption
from akechain.chain.modules.gov.strategies import st_weighted_options
from akechain.chain.modules.staking.msgs import MsgDelegate
from akechain.chain.modules.staking.records import BONDED
from akechain.chain.registry import Registry
from akechain.testing import ChainMachine
from akechain.testing.driver import SIM_CHAIN_ID, make_sim_app_state, make_sim_keys
from akechain.testing.strategies import TxDraft
from akechain.chain.crypto import get_pub_key, signing_key_from_seed
from consensus.abci import FinalizeResult
from staking_support import PARAMS as STAKING_PARAMS

GOV = replace(DEFAULT_PARAMS, min_deposit=1_000, deposit_period_ms=4_000, voting_period_ms=8_000,
              expedited_min_deposit=2_000, expedited_voting_period_ms=3_000, quorum_bps=2_000)
VALIDATORS = 3
BOND = 10_000
DOOMED = 7_777  # max_active_grants of a proposal whose treasury spend cannot be paid
OUTCOMES: Counter[str] = Counter()


class GovMachine(ChainMachine):
    account_count = 7
    modules = ("gov",)

    def __init__(self) -> None:
        super().__init__()
        self.accounts = list(self.driver.accounts)
        self.treasury = self.get_treasury()

    def make_app_state(self, addresses: Sequence[Address], registry: Registry, authority: Address | None) -> dict:
        app_state = make_sim_app_state(addresses, registry, authority, staking=STAKING_PARAMS, gov=GOV)
        auth = registry.params["auth"].from_json(app_state["auth"]["params"])
        keys = make_sim_keys(len(addresses))[:VALIDATORS]
        app_state["staking"]["gentxs"] = [
            build_gentx(key, SIM_CHAIN_ID, get_pub_key(signing_key_from_seed(bytes([210 + i]) * 32)), f"g{i}", BOND,
                        auth).hex() for i, key in enumerate(keys)]
        return app_state

    # -- rules --------------------------------------------------------------------------------------

    @rule(data=st.data(), deposit=st.integers(250, 2_500), expedited=st.booleans(),
          kind=st.sampled_from(["text", "quorum", "spend", "doomed"]))
    def submit(self, data: st.DataObject, deposit: int, expedited: bool, kind: str) -> None:
        sender = data.draw(st.sampled_from(self.accounts))
        messages = {
            "text": (),
            "quorum": (MsgUpdateParams("gov", json.dumps({"quorum_bps": data.draw(st.integers(1_000, 3_000))})),),
            "spend": (MsgTreasurySpend(data.draw(st.sampled_from(self.accounts)), data.draw(st.integers(1, 1_000))),),
            "doomed": (MsgUpdateParams("gov", json.dumps({"max_active_grants": DOOMED})),
                       MsgTreasurySpend(sender, 10**17)),
        }[kind]
        self.driver.submit(TxDraft(sender, (MsgSubmitProposal(messages, deposit, kind, "", expedited),)))

    @rule(data=st.data(), amount=st.integers(1, 2_000))
    def deposit(self, data: st.DataObject, amount: int) -> None:
        proposals = self.chain.query("gov", "proposals")
        if proposals:
            target = data.draw(st.sampled_from(proposals)).id
            self.driver.submit(TxDraft(data.draw(st.sampled_from(self.accounts)), (MsgDeposit(target, amount),)))

    @rule(data=st.data(), count=st.integers(1, 4))
    def vote(self, data: st.DataObject, count: int) -> None:
        """A few votes on open proposals (a voter's later vote replaces its earlier one)."""
        open_ids = [p.id for p in self.chain.query("gov", "proposals") if p.status == VOTING_PERIOD]
        for _ in range(count if open_ids else 0):
            target, voter = data.draw(st.sampled_from(open_ids)), data.draw(st.sampled_from(self.accounts))
            msg = (MsgWeightedVote(target, data.draw(st_weighted_options())) if data.draw(st.booleans())
                   else MsgVote(target, data.draw(st.sampled_from(sorted(OPTION_NAMES)))))
            self.driver.submit(TxDraft(voter, (msg,)))

    @rule(data=st.data())
    def delegate_votes(self, data: st.DataObject) -> None:
        a, b = data.draw(st.sampled_from(self.accounts)), data.draw(st.sampled_from(self.accounts))
        self.driver.submit(TxDraft(a, (MsgDelegateVotes(b),)))

    @rule(data=st.data())
    def undelegate_votes(self, data: st.DataObject) -> None:
        self.driver.submit(TxDraft(data.draw(st.sampled_from(self.accounts)), (MsgUndelegateVotes(),)))

    @rule(data=st.data(), amount=st.integers(1, 20_000))
    def delegate_stake(self, data: st.DataObject, amount: int) -> None:
        validator = data.draw(st.sampled_from(self.accounts[:VALIDATORS]))
        self.driver.submit(TxDraft(data.draw(st.sampled_from(self.accounts)), (MsgDelegate(validator, amount),)))

    @rule(advance=st.integers(1, 2 * GOV.voting_period_ms))
    def pass_time(self, advance: int) -> None:
        self.end_block(advance)

    # -- checks ---------------------------------------------------------------------------------------

    def end_block(self, advance_ms: int = 1_000) -> FinalizeResult:
        totals = self.chain.query("gov", "totals")
        result = self.driver.end_block(self.chain.time_ms + advance_ms)
        ended = [dict(attrs) for kind, attrs in result.events if kind == "proposal_ended"]
        OUTCOMES.update(e["status"] for e in ended)
        self.check_treasury(totals, any(e["status"] == "passed" for e in ended))
        assert self.chain.query("gov", "params").max_active_grants != DOOMED
        for proposal in self.chain.query("gov", "proposals"):
            if proposal.status == VOTING_PERIOD:
                self.check_tally(proposal.id)
        return result

    def get_treasury(self) -> int:
        return self.chain.app.get_account(TREASURY).balance

    def check_treasury(self, before, passed: bool) -> None:
        after = self.chain.query("gov", "totals")
        spent = after.treasury_spent - before.treasury_spent
        paid = after.grants_paid - before.grants_paid
        treasury = self.get_treasury()
        assert treasury >= self.treasury - spent - paid, "the treasury lost funds gov does not account for"
        assert passed or spent == 0, "a treasury spend without a passed proposal"
        self.treasury = treasury

    def check_tally(self, proposal_id: int) -> None:
        """The live tally against a per-account model: each delegation decided by exactly one vote."""
        votes = {v.voter: v.options for v in self.chain.query("gov", "votes", proposal_id)}
        validators = {v.validator.operator: v.validator for v in self.chain.query("staking", "validators")
                      if v.validator.status == BONDED and v.validator.tokens}
        expected = {option: 0 for option in OPTION_NAMES}
        counted = 0
        delegations = 0
        for account in self.accounts:
            delegate = self.chain.query("gov", "vote_delegation", account).delegate
            for d in self.chain.query("staking", "delegations", account):
                validator = validators.get(d.validator)
                if validator is None:
                    continue
                delegations += 1
                options = votes.get(account) or votes.get(delegate) or votes.get(d.validator)
                if options:
                    power = d.shares * validator.tokens // validator.delegator_shares
                    counted += power
                    for item in options:
                        expected[item.option] += power * item.weight_bps // 10_000
        view = self.chain.query("gov", "tally", proposal_id)
        tally = view.tally
        got = {1: tally.yes, 2: tally.abstain, 3: tally.no, 4: tally.no_with_veto}
        assert tally.total <= view.bonded == sum(v.tokens for v in validators.values())
        assert tally.total <= counted
        slack = delegations + len(validators)  # each floor of a weighted share loses less than 1 uake
        for option in OPTION_NAMES:
            assert expected[option] - slack <= got[option] <= expected[option] + slack, (option, expected, got)
        if all(len(options) == 1 for options in votes.values()):
            assert got == expected


def test_gov_machine() -> None:
    run_state_machine_as_test(GovMachine, settings=settings(max_examples=30, stateful_step_count=50, deadline=None))
    assert OUTCOMES, "no proposal ended in any run"
