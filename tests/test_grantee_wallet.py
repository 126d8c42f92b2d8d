"""A hot key's wallet for the provider agent: it acts as the granter (the provider's address) and
wraps every message in one `authz/exec` for it, signed and sent by the hot key's own wallet."""
from __future__ import annotations

import pytest

from akechain.chain.crypto import AddressError, format_address
from akechain.chain.modules.authz.msgs import MsgExec
from akechain.chain.modules.market.msgs import MsgBid, Resources
from akechain.client.wallet import GranteeWallet

OWNER = bytes(range(20))


class RecordingWallet:
    client = object()
    address = format_address(b"\x07" * 20)

    def __init__(self) -> None:
        self.sent: list[list] = []

    def send(self, msgs: list) -> dict:
        self.sent.append(list(msgs))
        return {"code": 0}


def test_every_send_is_one_exec_for_the_granter_and_the_agent_sees_the_granters_address() -> None:
    hot = RecordingWallet()
    wallet = GranteeWallet(hot, format_address(OWNER))  # type: ignore[arg-type]
    assert wallet.address == format_address(OWNER) and wallet.grantee == hot.address and wallet.client is hot.client
    bid = MsgBid(3, 40, 50, Resources(1, "", 0, 128, 0, 0))
    wallet.send([bid, bid])
    assert hot.sent == [[MsgExec(OWNER, (bid, bid))]]


def test_a_granter_that_is_not_an_address_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(AddressError):
        GranteeWallet(RecordingWallet(), "ake1nope")  # type: ignore[arg-type]
