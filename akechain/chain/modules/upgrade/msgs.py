"""Upgrade messages, carried by gov proposals and executed only by the gov authority."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import InvalidMsgError, Msg, check_positive_amount
from akechain.chain.modules.upgrade.records import MAX_INFO, MAX_NAME
from state.codec import tagged

NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")


@tagged(Msg, "upgrade/software_upgrade")
@dataclass(frozen=True, slots=True)
class MsgSoftwareUpgrade(Msg):
    """Schedule the plan `name` at `height` (replacing a pending plan, as the Cosmos SDK)."""

    name: str
    height: int
    info: str

    def validate_basic(self) -> None:
        # Verify the name is short and plain: it is a key, and every node's halt message prints it
        if type(self.name) is not str or not 1 <= len(self.name) <= MAX_NAME or not set(self.name) <= NAME_CHARS:
            raise InvalidMsgError(f"software_upgrade.name must be 1 to {MAX_NAME} characters of [A-Za-z0-9._-]")
        check_positive_amount(self.height, "software_upgrade.height")
        if type(self.info) is not str or len(self.info) > MAX_INFO:
            raise InvalidMsgError(f"software_upgrade.info must be a string of at most {MAX_INFO} characters")


@tagged(Msg, "upgrade/cancel_upgrade")
@dataclass(frozen=True, slots=True)
class MsgCancelUpgrade(Msg):
    """Forget the pending plan; no fields."""

    def validate_basic(self) -> None:
        return None
