"""The guardian (a 2-of-3 multisig named at genesis): it pauses new market jobs and cancels a
proposal before its end block executes it; governance narrows its powers and retires it for good,
after which it can do nothing; it never changes params or moves funds; other accounts are refused."""
from __future__ import annotations

import json

import pytest

from akechain.chain.codec import GenesisError
from akechain.chain.crypto import get_pub_key, sign
from akechain.chain.modules.gov import errors as ge
from akechain.chain.modules.gov.msgs import (
    MsgGuardianCancelProposal,
    MsgGuardianPause,
    MsgNarrowGuardian,
    MsgRetireGuardian,
    MsgTreasurySpend,
    MsgUpdateParams,
    MsgVote,
)
from akechain.chain.modules.gov.records import CANCELLED, FAILED, PASSED, YES
from akechain.chain.multisig import compute_account_address, encode_multisig_key, encode_multisig_signature
from akechain.chain.tx import Tx, TxBody, compute_sign_bytes
from gov_support import ADDRESSES, GOV, GovDriver, make_gov_chain
from staking_support import KEYS
from state.codec import encode
from test_app_support import CHAIN_ID
from test_market_support import job_msg

MEMBERS = [get_pub_key(k) for k in KEYS[3:6]]
GUARDIAN_KEY = encode_multisig_key(2, MEMBERS)
GUARDIAN = compute_account_address(GUARDIAN_KEY)
ALL_POWERS = ["cancel_proposal", "pause_bridge", "pause_market_jobs"]


class GuardedDriver(GovDriver):
    guardian_nonce = 0

    def guardian(self, *msgs) -> int:
        """A tx of the guardian signed by two of its three members, in its own block; its result code."""
        body = TxBody(chain_id=CHAIN_ID, pub_key=GUARDIAN_KEY, nonce=self.guardian_nonce, fee=10, memo="", msgs=msgs)
        ordered = sorted(MEMBERS)
        signatures = {ordered.index(get_pub_key(KEYS[i])): sign(KEYS[i], compute_sign_bytes(body)) for i in (3, 5)}
        self.guardian_nonce += 1
        self.pending.append(encode(Tx(body=body, signature=encode_multisig_signature(signatures))))
        return self.block().tx_results[-1].code

    def pass_proposal(self, *msgs) -> int:
        pid = self.submit(2, *msgs)
        self.tx(0, MsgVote(pid, YES))
        self.tx(1, MsgVote(pid, YES))
        self.block()
        self.wait_ms(GOV.voting_period_ms)
        return pid


@pytest.fixture
def g() -> GuardedDriver:
    return GuardedDriver(make_gov_chain(guardian={"pub_key": GUARDIAN_KEY.hex(), "powers": ALL_POWERS}))


def test_the_guardian_pauses_jobs_until_governance_retires_it(g: GuardedDriver) -> None:
    assert g.guardian(MsgGuardianPause("pause_market_jobs", True)) == 0
    guardian = g.chain.query("gov", "guardian")
    assert guardian.address == GUARDIAN and guardian.paused == ("pause_market_jobs",)
    assert codes_of_create_job(g) == ge.PausedError.code
    pid = g.pass_proposal(MsgRetireGuardian())
    assert g.proposal(pid).status == PASSED
    guardian = g.chain.query("gov", "guardian")
    assert guardian.retired and guardian.powers == () and guardian.paused == ()
    assert codes_of_create_job(g) == 0
    assert g.guardian(MsgGuardianPause("pause_market_jobs", True)) == ge.GuardianPowerError.code
    widen = g.pass_proposal(MsgNarrowGuardian(("cancel_proposal",)))
    assert g.proposal(widen).status == FAILED and g.chain.query("gov", "guardian").powers == ()  # never revived


def codes_of_create_job(g: GovDriver) -> int:
    return g.run(2, job_msg()).tx_results[-1].code


def test_the_guardian_cancels_a_proposal_and_refunds_its_deposits(g: GuardedDriver) -> None:
    pid = g.submit(2, MsgUpdateParams("market", json.dumps({"take_rate_bps": 1})))
    g.tx(0, MsgVote(pid, YES))
    g.tx(1, MsgVote(pid, YES))
    g.block()
    assert g.guardian(MsgGuardianCancelProposal(pid)) == 0
    g.wait_ms(GOV.voting_period_ms)
    assert g.proposal(pid).status == CANCELLED and g.chain.query("market", "params").take_rate_bps != 1
    assert g.chain.query("gov", "totals").refunded == GOV.min_deposit
    assert g.guardian(MsgGuardianCancelProposal(pid)) == ge.NotInVotingPeriodError.code
    g.chain.check_invariants()


def test_narrowed_powers_are_gone_and_the_guardian_never_spends_or_sets_params(g: GuardedDriver) -> None:
    g.pass_proposal(MsgNarrowGuardian(("pause_market_jobs",)))
    assert g.chain.query("gov", "guardian").powers == ("pause_market_jobs",)
    pid = g.submit(2)
    assert g.guardian(MsgGuardianCancelProposal(pid)) == ge.GuardianPowerError.code
    assert g.guardian(MsgTreasurySpend(GUARDIAN, 1)) == ge.NotAuthorityError.code
    assert g.guardian(MsgUpdateParams("gov", json.dumps({"quorum_bps": 0}))) == ge.NotAuthorityError.code
    # widening by proposal fails at execution and changes nothing
    g.pass_proposal(MsgNarrowGuardian(("cancel_proposal", "pause_market_jobs")))
    assert g.chain.query("gov", "guardian").powers == ("pause_market_jobs",)
    assert g.run(3, MsgGuardianPause("pause_market_jobs", True)).tx_results[-1].code == ge.GuardianPowerError.code


def test_a_guardian_must_be_a_multisig_with_known_powers() -> None:
    with pytest.raises(GenesisError, match="multisig"):
        make_gov_chain(guardian={"pub_key": MEMBERS[0].hex(), "powers": []})
    with pytest.raises(GenesisError, match="powers"):
        make_gov_chain(guardian={"pub_key": GUARDIAN_KEY.hex(), "powers": ["mint"]})
