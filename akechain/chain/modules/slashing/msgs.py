"""Slashing messages: the operator asks its jailed validator back into the candidates."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import Msg
from state.codec import tagged


@tagged(Msg, "slashing/unjail")
@dataclass(frozen=True, slots=True)
class MsgUnjail(Msg):
    """Sent by the validator's operator; no fields (the sender names the validator)."""

    def validate_basic(self) -> None:
        return None
