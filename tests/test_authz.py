"""Hot keys (authz) on the real App: a grant lets a key send the listed message types for its owner
within a spend limit per period until an expiry; over-limit, expired, revoked, unlisted or ungranted
use is refused with its typed error and changes nothing; the period rolls over; and random grants,
uses, expiries and revocations never let a period's spending pass its limit."""
from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from akechain.chain.codec import InvalidMsgError
from akechain.chain.tx import CannotPayFeeError
from akechain.chain.modules.authz import errors as ae
from akechain.chain.modules.authz.msgs import MsgExec, MsgGrant, MsgRevoke
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.modules.staking.msgs import MsgDelegate
from akechain.testing import ChainMachine
from akechain.testing.strategies import TxDraft
from gov_support import ADDRESSES, GovDriver, make_gov_chain

import pytest

OWNER, HOT, OTHER = 3, 4, 5
PERIOD = 10_000


@pytest.fixture
def g() -> GovDriver:
    driver = GovDriver(make_gov_chain())
    driver.run(OWNER, MsgGrant(ADDRESSES[HOT], ("bank/send", "staking/delegate"), 1_000, PERIOD,
                               driver.chain.time_ms + 60_000))
    return driver


def codes(result) -> list[int]:
    return [r.code for r in result.tx_results]


def test_a_hot_key_acts_for_its_owner_within_the_limit(g: GovDriver) -> None:
    owner, other = g.balance(ADDRESSES[OWNER]), g.balance(ADDRESSES[OTHER])
    assert codes(g.run(HOT, MsgExec(ADDRESSES[OWNER], (MsgSend(ADDRESSES[OTHER], 600),)))) == [0]
    assert g.balance(ADDRESSES[OWNER]) == owner - 600 and g.balance(ADDRESSES[OTHER]) == other + 600
    # 600 + 500 > 1000 this period: refused, nothing moves (the hot key pays its fee only)
    hot = g.balance(ADDRESSES[HOT])
    assert codes(g.run(HOT, MsgExec(ADDRESSES[OWNER], (MsgSend(ADDRESSES[OTHER], 500),)))) == [ae.SpendLimitError.code]
    assert g.balance(ADDRESSES[OWNER]) == owner - 600 and g.balance(ADDRESSES[HOT]) == hot - 10
    # a delegation spends too; within what is left it goes through, as the owner's
    assert codes(g.run(HOT, MsgExec(ADDRESSES[OWNER], (MsgDelegate(ADDRESSES[0], 400),)))) == [0]
    assert [d.validator for d in g.chain.query("staking", "delegations", ADDRESSES[OWNER])] == [ADDRESSES[0]]
    g.wait_ms(PERIOD)  # a new period: the limit is whole again
    assert codes(g.run(HOT, MsgExec(ADDRESSES[OWNER], (MsgSend(ADDRESSES[OTHER], 1_000),)))) == [0]


def test_an_unlisted_type_no_grant_and_a_revoked_or_expired_grant_do_nothing(g: GovDriver) -> None:
    owner = g.balance(ADDRESSES[OWNER])
    grant_msg = MsgGrant(ADDRESSES[OTHER], ("bank/send",), 10**9, PERIOD, g.chain.time_ms + 60_000)
    with pytest.raises(InvalidMsgError):  # a hot key never manages grants
        MsgExec(ADDRESSES[OWNER], (grant_msg,)).validate_basic()
    from akechain.chain.modules.distribution.msgs import MsgSetWithdrawAddress
    unlisted = MsgExec(ADDRESSES[OWNER], (MsgSetWithdrawAddress(ADDRESSES[HOT]),))
    assert codes(g.run(HOT, unlisted)) == [ae.MsgNotAllowedError.code]
    assert codes(g.run(OTHER, MsgExec(ADDRESSES[OWNER], (MsgSend(ADDRESSES[OTHER], 1),)))) == [ae.GrantNotFoundError.code]
    assert codes(g.run(OWNER, MsgGrant(ADDRESSES[OWNER], ("bank/send",), 1, PERIOD, 10**12))) == [ae.SelfGrantError.code]
    g.run(OWNER, MsgRevoke(ADDRESSES[HOT]))
    assert codes(g.run(HOT, MsgExec(ADDRESSES[OWNER], (MsgSend(ADDRESSES[OTHER], 1),)))) == [ae.GrantNotFoundError.code]
    g.run(OWNER, MsgGrant(ADDRESSES[HOT], ("bank/send",), 1_000, PERIOD, g.chain.time_ms + 3_000))
    g.wait_ms(3_000)
    assert codes(g.run(HOT, MsgExec(ADDRESSES[OWNER], (MsgSend(ADDRESSES[OTHER], 1),)))) == [ae.GrantExpiredError.code]
    assert g.balance(ADDRESSES[OWNER]) == owner - 3 * 10  # its own three txs' fees only


class HotKeyMachine(ChainMachine):
    """Random grants, uses, expiries and revocations: after every block, each grant's spending this
    period (recomputed from the chain's committed send events) stays within its limit."""

    account_count = 4
    modules = ("authz",)

    def __init__(self) -> None:
        super().__init__()
        self.accounts = list(self.driver.accounts)
        self.spent: dict[tuple[bytes, bytes], list[tuple[int, int]]] = {}  # (granter, grantee) -> [(time, uake)]

    @rule(data=st.data(), limit=st.integers(0, 5_000), life=st.integers(1_000, 30_000))
    def grant(self, data: st.DataObject, limit: int, life: int) -> None:
        granter, grantee = data.draw(st.sampled_from(self.accounts)), data.draw(st.sampled_from(self.accounts))
        self.driver.submit(TxDraft(granter, (MsgGrant(grantee, ("bank/send",), limit, 5_000, self.chain.time_ms + life),)))

    @rule(data=st.data(), amount=st.integers(1, 3_000), count=st.integers(1, 3))
    def use(self, data: st.DataObject, amount: int, count: int) -> None:
        granter, grantee = data.draw(st.sampled_from(self.accounts)), data.draw(st.sampled_from(self.accounts))
        sends = tuple(MsgSend(grantee, amount) for _ in range(count))
        self.driver.submit(TxDraft(grantee, (MsgExec(granter, sends),)))

    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        granter, grantee = data.draw(st.sampled_from(self.accounts)), data.draw(st.sampled_from(self.accounts))
        self.driver.submit(TxDraft(granter, (MsgRevoke(grantee),)))

    @rule(advance=st.integers(1, 12_000))
    def pass_time(self, advance: int) -> None:
        self.end_block(advance)

    def end_block(self, advance_ms: int = 1_000):
        drafts = list(self.driver.pending)
        # each pair's live grant as its expiry (None: no grant), tracked tx by tx through the block:
        # a grant, a use and a revoke may share one block
        grants = ((a, b, self.chain.query("authz", "grant", a, b)) for a in self.accounts for b in self.accounts)
        live = {(a, b): None if grant is None else grant.expiration_ms for a, b, grant in grants}
        result = self.driver.end_block(self.chain.time_ms + advance_ms)
        for draft, r in zip(drafts, result.tx_results):  # the block's txs in order, as the chain ran them
            msg, ok = draft.msgs[0], r.code == 0 and not draft.fault
            if ok and isinstance(msg, MsgGrant):
                live[draft.sender, msg.grantee] = msg.expiration_ms
                self.spent[draft.sender, msg.grantee] = []
            elif ok and isinstance(msg, MsgRevoke):
                live[draft.sender, msg.grantee] = None
            elif ok and isinstance(msg, MsgExec):
                expiration_ms = live[msg.granter, draft.sender]
                # Verify a use succeeded only under a live, unexpired grant
                assert expiration_ms is not None and self.chain.time_ms < expiration_ms
                self.spent[msg.granter, draft.sender].append((self.chain.time_ms, sum(m.amount for m in msg.msgs)))
        for pair, uses in self.spent.items():
            grant = self.chain.query("authz", "grant", *pair)
            if grant is not None:
                # Verify what its uses took since the current period began is within the limit
                assert sum(amount for time, amount in uses if time >= grant.period_start_ms) <= grant.spend_limit
        return result


def test_hot_key_spending_never_exceeds_its_limit() -> None:
    run_state_machine_as_test(HotKeyMachine, settings=settings(max_examples=20, stateful_step_count=30, deadline=None))


# -- fee allowances ------------------------------------------------------------------------------


def test_a_fee_allowance_lets_a_hot_key_without_funds_act_for_its_owner() -> None:
    from akechain.chain.crypto import get_address, signing_key_from_seed
    from akechain.chain.modules.feegrant import errors as fe
    from akechain.chain.modules.feegrant.msgs import MsgGrantAllowance, MsgRevokeAllowance
    from akechain.chain.tx import build_tx
    from test_app_support import CHAIN_ID

    g = GovDriver(make_gov_chain())
    hot_key = signing_key_from_seed(b"\x77" * 32)
    hot = get_address(hot_key)
    owner = g.balance(ADDRESSES[OWNER])
    g.tx(OWNER, MsgGrant(hot, ("bank/send",), 500, PERIOD, g.chain.time_ms + 60_000))
    g.tx(OWNER, MsgGrantAllowance(hot, 25))
    g.block()
    assert codes(g.run(OTHER, MsgGrantAllowance(hot, 5))) == [fe.AllowanceTakenError.code]

    def hot_tx(nonce: int) -> list[int]:
        msg = MsgExec(ADDRESSES[OWNER], (MsgSend(ADDRESSES[OTHER], 100),))
        return codes(g.chain.apply_block([build_tx(hot_key, CHAIN_ID, nonce, 10, [msg])], g.chain.time_ms + 1_000))

    assert hot_tx(0) == [0] and hot_tx(1) == [0]
    assert g.balance(hot) == 0 and g.balance(ADDRESSES[OWNER]) == owner - 2 * 10 - 2 * (100 + 10)
    assert g.chain.query("feegrant", "allowance", hot).remaining == 5
    assert hot_tx(2) == [CannotPayFeeError.code]  # 5 uake left cannot pay a 10 uake fee; the hot key has nothing
    g.run(OWNER, MsgRevokeAllowance(hot))
    assert g.chain.query("feegrant", "allowance", hot) is None
