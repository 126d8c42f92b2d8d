"""The guardian's bridge pause: while in force no transfer goes out (send-to-evm is PausedError),
no batch is made and no observed EVM event executes (deposits are not unlocked); claims are still
attested, queued transfers may be cancelled, valsets keep being made. Lifting the pause executes
the waiting claims in nonce order; governance narrowing the power ends the pause, and a guardian
without the power cannot pause."""
from __future__ import annotations

import pytest

from akechain.chain.crypto import format_address
from akechain.chain.modules.bridge.msgs import MsgBatchExecutedClaim, MsgCancelSendToEvm, MsgDepositClaim, MsgSendToEvm
from akechain.chain.modules.gov import errors as ge
from akechain.chain.modules.gov.msgs import MsgGuardianPause, MsgNarrowGuardian
from akechain.chain.modules.gov.records import PASSED
from bridge_chain_support import USER, VALIDATORS, make_bridge_chain, register_msg
from staking_support import ADDRESSES, FEE
from test_bridge_module import DEST, balance, claim, confirm_batch, q, refused
from gov_support import GOV
from test_gov_guardian import ALL_POWERS, GUARDIAN_KEY, GuardedDriver

PAUSE = "pause_bridge"


@pytest.fixture
def d() -> GuardedDriver:
    d = GuardedDriver(make_bridge_chain(guardian={"pub_key": GUARDIAN_KEY.hex(), "powers": ALL_POWERS},
                                        gov_params=GOV))
    for i in range(VALIDATORS):
        d.tx(i, register_msg(i))
    d.block()
    return d


def test_a_paused_bridge_sends_nothing_out_and_unlocks_nothing_in_until_lifted(d: GuardedDriver) -> None:
    d.tx(USER, MsgSendToEvm(DEST, 500))
    d.block()
    confirm_batch(d, 1, [0, 1, 2])  # batch 1 made, signed and minted on the EVM side before the pause
    claim(d, [0, 1, 2, 3], lambda n: MsgBatchExecutedClaim(n, 7, 1))
    assert q(d, "state").evm_supply == 500
    d.tx(USER, MsgSendToEvm(DEST, 70))  # queued, not yet batched (at most 2 pending batches: it would be)
    assert d.guardian(MsgGuardianPause(PAUSE, True)) == 0
    assert q(d, "state").queued_count == 1 and len(q(d, "batches")) == 1, "queued in the pausing block, no batch made"
    refused(d, USER, MsgSendToEvm(DEST, 10), ge.PausedError)
    user = format_address(ADDRESSES[USER])
    before = balance(d, USER)
    claim(d, [0, 1, 2, 3], lambda n: MsgDepositClaim(n, 9, DEST, user, 120))
    assert balance(d, USER) == before and q(d, "state").last_observed_event_nonce == 1, "attested, not executed"
    assert len(q(d, "attestations")) == 1
    # the user can still take back what waits in the queue
    [queued] = [t for t in q(d, "transfers") if t.status == "queued"]
    d.tx(USER, MsgCancelSendToEvm(queued.transfer.id))
    d.block()
    assert q(d, "state").queued_count == 0
    d.chain.check_invariants()
    assert d.guardian(MsgGuardianPause(PAUSE, False)) == 0
    assert q(d, "state").last_observed_event_nonce == 2 and q(d, "state").evm_supply == 380
    assert balance(d, USER) == before - FEE + 70 + 120, "the cancel refunded 70; the waiting deposit is unlocked once lifted"
    d.tx(USER, MsgSendToEvm(DEST, 10))
    d.block()
    assert len(q(d, "batches")) == 2, "batches are made again"


def test_governance_narrowing_the_power_ends_the_pause_and_the_guardian_cannot_pause_again(d: GuardedDriver) -> None:
    assert d.guardian(MsgGuardianPause(PAUSE, True)) == 0
    refused(d, USER, MsgSendToEvm(DEST, 10), ge.PausedError)
    pid = d.pass_proposal(MsgNarrowGuardian(("cancel_proposal", "pause_market_jobs")))
    assert d.proposal(pid).status == PASSED
    assert d.chain.query("gov", "guardian").paused == ()
    assert d.run(USER, MsgSendToEvm(DEST, 10)).tx_results[0].code == 0
    assert d.guardian(MsgGuardianPause(PAUSE, True)) == ge.GuardianPowerError.code
