"""Feegrant messages: the granter sets (or tops up, by replacing) and revokes a grantee's fee allowance."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import Msg, check_positive_amount
from akechain.chain.modules.bank.msgs import check_address
from state.codec import tagged


@tagged(Msg, "feegrant/grant")
@dataclass(frozen=True, slots=True)
class MsgGrantAllowance(Msg):
    grantee: bytes
    spend_limit: int  # uake of fees the sender pays for the grantee in all

    def validate_basic(self) -> None:
        check_address(self.grantee, "feegrant.grantee")
        check_positive_amount(self.spend_limit, "feegrant.spend_limit")


@tagged(Msg, "feegrant/revoke")
@dataclass(frozen=True, slots=True)
class MsgRevokeAllowance(Msg):
    """By the granter; or by the grantee itself (`grantee` = sender), refusing an allowance it was given."""

    grantee: bytes

    def validate_basic(self) -> None:
        check_address(self.grantee, "feegrant.grantee")
