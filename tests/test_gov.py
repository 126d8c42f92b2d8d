"""Gov unit tests on the real App (SimChain): deposits and the deposit period, votes (direct,
inherited from validators, delegated to a non-validator, weighted, changed), the tally's rules
(quorum, threshold, veto), atomic execution of passed proposals, treasury spends and continuous
grants, the expedited track, bad input refused with its typed error, genesis export/import."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from akechain.chain.genesis import export_app_state, init_app_state
from akechain.chain.modules.bank.keeper import TREASURY, get_supply
from akechain.chain.modules.gov import errors as ge
from akechain.chain.modules.gov.msgs import (
    MsgCancelGrant,
    MsgCreateGrant,
    MsgDelegateVotes,
    MsgDeposit,
    MsgSubmitProposal,
    MsgTreasurySpend,
    MsgUndelegateVotes,
    MsgUpdateParams,
    MsgVote,
    MsgWeightedVote,
)
from akechain.chain.modules.gov.records import (
    ABSTAIN,
    DEPOSIT_PERIOD,
    DEPOSITS_POOL,
    DROPPED,
    FAILED,
    NO,
    NO_WITH_VETO,
    PASSED,
    REJECTED,
    VETOED,
    VOTING_PERIOD,
    YES,
    TallyResult,
    WeightedOption,
)
from akechain.chain.modules.staking.msgs import MsgDelegate
from akechain.chain.store import Journal
from gov_support import ADDRESSES, GOV, GovDriver, make_gov_chain

V0, V1 = ADDRESSES[:2]
C, D, E = 3, 4, 5  # a contributor without stake, two delegators


@pytest.fixture
def g() -> GovDriver:
    return GovDriver(make_gov_chain())


def take_rate(g: GovDriver) -> int:
    return g.chain.query("market", "params").take_rate_bps


def codes(result) -> list[int]:
    return [r.code for r in result.tx_results]


def test_a_param_change_passes_by_vote_and_applies_at_the_end_of_voting(g: GovDriver) -> None:
    pid = g.submit(D, MsgUpdateParams("market", json.dumps({"take_rate_bps": 123})))
    assert g.proposal(pid).status == VOTING_PERIOD  # the initial deposit reached min_deposit
    g.tx(0, MsgVote(pid, YES))
    g.tx(1, MsgVote(pid, YES))
    g.block()
    assert take_rate(g) != 123
    g.wait_ms(GOV.voting_period_ms)
    proposal = g.proposal(pid)
    assert proposal.status == PASSED and take_rate(g) == 123
    assert proposal.final_tally == TallyResult(yes=2 * 10_000, abstain=0, no=0, no_with_veto=0)
    assert g.balance(DEPOSITS_POOL) == 0  # refunded
    g.chain.check_invariants()


def test_a_param_out_of_bounds_or_of_no_module_is_refused_at_submission(g: GovDriver) -> None:
    before = g.balance(ADDRESSES[D])
    result = g.run(D, MsgSubmitProposal((MsgUpdateParams("market", json.dumps({"take_rate_bps": 10**9})),), 1_000,
                                        "t", "", False))
    assert codes(result) == [ge.ParamChangeError.code]
    result = g.run(D, MsgSubmitProposal((MsgUpdateParams("nomodule", json.dumps({"x": 1})),), 1_000, "t", "", False))
    assert codes(result) == [ge.ParamChangeError.code]
    assert g.chain.query("gov", "proposals") == [] and g.balance(ADDRESSES[D]) == before - 2 * 10  # the fees only


def test_a_nested_proposal_or_a_holder_message_is_not_a_proposal_message(g: GovDriver) -> None:
    inner = MsgSubmitProposal((), 1_000, "t", "", False)
    with pytest.raises(ge.ProposalMsgError):
        MsgSubmitProposal((inner,), 1_000, "t", "", False).validate_basic()
    with pytest.raises(ge.ProposalMsgError):
        MsgSubmitProposal((MsgDelegate(V0, 1),), 1_000, "t", "", False).validate_basic()


def test_governance_only_messages_from_an_account_are_refused(g: GovDriver) -> None:
    result = g.run(D, MsgTreasurySpend(ADDRESSES[D], 1))
    assert codes(result) == [ge.NotAuthorityError.code]
    result = g.run(D, MsgUpdateParams("gov", json.dumps({"quorum_bps": 0})))
    assert codes(result) == [ge.NotAuthorityError.code]


def test_below_quorum_fails_and_changes_nothing(g: GovDriver) -> None:
    g.run(D, MsgDelegate(V0, 1_000))
    pid = g.submit(D, MsgUpdateParams("market", json.dumps({"take_rate_bps": 77})))
    g.run(D, MsgVote(pid, YES))  # 1,000 of 21,000 bonded
    g.wait_ms(GOV.voting_period_ms)
    assert g.proposal(pid).status == REJECTED and take_rate(g) != 77
    assert g.proposal(pid).final_tally.yes == 1_000


def test_a_tie_is_rejected_and_a_veto_burns_the_deposits(g: GovDriver) -> None:
    tie = g.submit(D)
    g.tx(0, MsgVote(tie, YES))
    g.tx(1, MsgVote(tie, NO))
    g.block()
    vetoed = g.submit(E, deposit=1_500)
    g.tx(0, MsgVote(vetoed, YES))
    g.tx(1, MsgVote(vetoed, NO_WITH_VETO))
    g.block()
    burned = get_supply(g.chain.app.get_state_view()[0]).burned
    g.wait_ms(GOV.voting_period_ms)
    assert g.proposal(tie).status == REJECTED and g.proposal(vetoed).status == VETOED
    assert get_supply(g.chain.app.get_state_view()[0]).burned == burned + 1_500
    assert g.chain.query("gov", "totals").refunded == 1_000


def test_delegators_inherit_their_validators_vote_unless_they_vote_themselves(g: GovDriver) -> None:
    g.tx(D, MsgDelegate(V0, 5_000))
    g.tx(E, MsgDelegate(V0, 3_000))
    g.block()
    pid = g.submit(D)
    g.tx(0, MsgVote(pid, YES))
    g.tx(D, MsgVote(pid, NO))
    g.block()
    tally = g.chain.query("gov", "tally", pid)
    assert tally.live and tally.bonded == 28_000
    assert tally.tally == TallyResult(yes=13_000, abstain=0, no=5_000, no_with_veto=0)  # E inherits V0's yes
    g.run(D, MsgVote(pid, ABSTAIN))  # changed until the end
    assert g.chain.query("gov", "tally", pid).tally == TallyResult(yes=13_000, abstain=5_000, no=0, no_with_veto=0)


def test_voting_power_delegated_to_a_contributor_is_counted_once(g: GovDriver) -> None:
    g.run(E, MsgDelegate(V1, 5_000))
    contributor = ADDRESSES[C]
    g.run(E, MsgDelegateVotes(contributor))
    pid = g.submit(D)
    g.tx(C, MsgVote(pid, YES))  # no stake of its own: its power is E's
    g.tx(1, MsgVote(pid, NO))
    g.block()
    assert g.chain.query("gov", "tally", pid).tally == TallyResult(yes=5_000, abstain=0, no=10_000, no_with_veto=0)
    g.run(E, MsgVote(pid, ABSTAIN))  # E's own vote overrides its delegate's
    assert g.chain.query("gov", "tally", pid).tally == TallyResult(yes=0, abstain=5_000, no=10_000, no_with_veto=0)
    g.run(E, MsgUndelegateVotes())
    assert g.chain.query("gov", "vote_delegation", ADDRESSES[E]).delegate is None
    assert codes(g.run(C, MsgVote(pid, NO))) == [ge.NoVotingPowerError.code]  # no delegators left, no stake


def test_a_delegation_loop_and_self_delegation_are_refused(g: GovDriver) -> None:
    g.run(D, MsgDelegateVotes(ADDRESSES[E]))
    assert codes(g.run(E, MsgDelegateVotes(ADDRESSES[D]))) == [ge.DelegationLoopError.code]
    assert codes(g.run(E, MsgDelegateVotes(ADDRESSES[E]))) == [ge.DelegationLoopError.code]
    assert codes(g.run(C, MsgUndelegateVotes())) == [ge.NoVoteDelegationError.code]


def test_a_weighted_vote_splits_the_voters_power(g: GovDriver) -> None:
    pid = g.submit(D)
    g.run(0, MsgWeightedVote(pid, (WeightedOption(YES, 7_000), WeightedOption(NO, 3_000))))
    assert g.chain.query("gov", "tally", pid).tally == TallyResult(yes=7_000, abstain=0, no=3_000, no_with_veto=0)


def test_votes_and_deposits_outside_their_periods_are_refused(g: GovDriver) -> None:
    pid = g.submit(D, deposit=500)
    assert g.proposal(pid).status == DEPOSIT_PERIOD
    assert codes(g.run(0, MsgVote(pid, YES))) == [ge.NotInVotingPeriodError.code]
    assert codes(g.run(0, MsgVote(pid + 1, YES))) == [ge.ProposalNotFoundError.code]
    assert codes(g.run(C, MsgDeposit(pid, 500))) == [0]
    assert g.proposal(pid).status == VOTING_PERIOD
    assert codes(g.run(C, MsgVote(pid, YES))) == [ge.NoVotingPowerError.code]
    g.wait_ms(GOV.voting_period_ms)
    assert codes(g.run(C, MsgDeposit(pid, 1))) == [ge.NotInDepositPeriodError.code]
    assert codes(g.run(0, MsgVote(pid, YES))) == [ge.NotInVotingPeriodError.code]
    assert {d.depositor: d.amount for d in g.chain.query("gov", "deposits", pid)} == {}  # refunded


@pytest.mark.parametrize("burn", [0, 1])
def test_an_unmet_deposit_is_refunded_or_burned_by_the_param(burn: int) -> None:
    g = GovDriver(make_gov_chain(replace(GOV, burn_unmet_deposits=burn)))
    before = g.balance(ADDRESSES[D])
    pid = g.submit(D, deposit=400)
    g.wait_ms(GOV.deposit_period_ms)
    assert g.proposal(pid).status == DROPPED and g.balance(DEPOSITS_POOL) == 0
    assert g.balance(ADDRESSES[D]) == before - 10 - 400 * burn
    g.chain.check_invariants()


def test_the_initial_deposit_must_be_a_share_of_the_minimum(g: GovDriver) -> None:
    assert codes(g.run(D, MsgSubmitProposal((), 1, "t", "", False))) == [ge.InitialDepositTooLowError.code]


def test_a_treasury_spend_pays_and_a_failed_execution_changes_nothing(g: GovDriver) -> None:
    recipient = ADDRESSES[C]
    spend = g.submit(D, MsgTreasurySpend(recipient, 1_234))
    too_much = g.submit(D, MsgUpdateParams("market", json.dumps({"take_rate_bps": 99})),
                        MsgTreasurySpend(recipient, 10**15))
    for pid in (spend, too_much):
        g.tx(0, MsgVote(pid, YES))
        g.tx(1, MsgVote(pid, YES))
    g.block()
    before = g.balance(recipient)
    g.wait_ms(GOV.voting_period_ms)
    assert g.proposal(spend).status == PASSED and g.balance(recipient) == before + 1_234
    failed = g.proposal(too_much)
    assert failed.status == FAILED and "insufficient funds" in failed.failure and take_rate(g) != 99
    assert g.chain.query("gov", "treasury").spent == 1_234


def test_a_continuous_grant_pays_each_block_until_cancelled(g: GovDriver) -> None:
    recipient = ADDRESSES[C]
    start = g.balance(recipient)
    pid = g.submit(D, MsgCreateGrant(recipient, 100, 10**6))
    g.tx(0, MsgVote(pid, YES))
    g.tx(1, MsgVote(pid, YES))
    g.block()
    g.wait_ms(GOV.voting_period_ms)
    [grant] = g.chain.query("gov", "grants")
    before = g.balance(recipient)
    for _ in range(3):
        g.block()
    assert g.balance(recipient) == before + 300
    cancel = g.submit(D, MsgCancelGrant(grant.id))
    g.tx(0, MsgVote(cancel, YES))
    g.tx(1, MsgVote(cancel, YES))
    g.block()
    g.wait_ms(GOV.voting_period_ms)
    assert g.proposal(cancel).status == PASSED and g.chain.query("gov", "grants") == []
    paid = g.balance(recipient)
    g.block()
    assert g.balance(recipient) == paid
    assert g.chain.query("gov", "treasury").grants_paid == paid - start
    g.chain.check_invariants()


def test_a_grant_ends_after_its_end_height(g: GovDriver) -> None:
    recipient = ADDRESSES[C]
    before = g.balance(recipient)
    end = g.chain.height + GOV.voting_period_ms // 1_000 + 5
    pid = g.submit(D, MsgCreateGrant(recipient, 100, end))
    g.tx(0, MsgVote(pid, YES))
    g.tx(1, MsgVote(pid, YES))
    g.block()
    g.wait_ms(GOV.voting_period_ms)
    [grant] = g.chain.query("gov", "grants")
    blocks = grant.end_height - grant.start_height + 1  # from the block after the proposal passed
    assert blocks >= 3
    while g.chain.height < end + 3:
        g.block()
    assert g.chain.query("gov", "grants") == [] and g.balance(recipient) - before == 100 * blocks


def test_an_expedited_proposal_that_misses_its_threshold_falls_back_to_the_regular_period(g: GovDriver) -> None:
    g.run(D, MsgDelegate(V0, 5_000))
    pid = g.submit(D, expedited=True, deposit=GOV.expedited_min_deposit)
    g.tx(0, MsgVote(pid, YES))  # 15,000 yes of 25,000: above 50%, below 66.7%
    g.tx(1, MsgVote(pid, NO))
    g.block()
    g.wait_ms(GOV.expedited_voting_period_ms)
    proposal = g.proposal(pid)
    assert proposal.status == VOTING_PERIOD and not proposal.expedited
    assert proposal.voting_end_ms == proposal.voting_start_ms + GOV.voting_period_ms
    g.wait_ms(GOV.voting_period_ms)
    assert g.proposal(pid).status == PASSED


def test_an_expedited_proposal_passes_early_with_a_supermajority(g: GovDriver) -> None:
    pid = g.submit(D, MsgTreasurySpend(ADDRESSES[C], 5), expedited=True, deposit=GOV.expedited_min_deposit)
    g.tx(0, MsgVote(pid, YES))
    g.tx(1, MsgVote(pid, YES))
    g.block()
    g.wait_ms(GOV.expedited_voting_period_ms)
    assert g.proposal(pid).status == PASSED


def test_an_open_proposal_survives_export_and_import(g: GovDriver) -> None:
    g.run(E, MsgDelegateVotes(ADDRESSES[C]))
    pid = g.submit(D)
    g.run(0, MsgVote(pid, YES))
    view, _ = g.chain.app.get_state_view()
    exported = export_app_state(view)
    store = Journal(lambda key: None, lambda prefix, start: [])
    init_app_state(store, json.loads(json.dumps(exported)))
    assert export_app_state(store)["gov"] == exported["gov"]


def test_a_spend_or_grant_to_a_module_account_is_refused_at_submission(g: GovDriver) -> None:
    for msg in (MsgTreasurySpend(DEPOSITS_POOL, 1), MsgCreateGrant(TREASURY, 1, 10**6)):
        assert codes(g.run(D, MsgSubmitProposal((msg,), 1_000, "t", "", False))) == [ge.TreasuryRecipientError.code]
