"""Toy messages: a ping that counts, and a message whose handler fails in a chosen way."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import InvalidMsgError, Msg, check_uint63
from state.codec import tagged

BOOM_KINDS = ("app", "codec", "key", "arithmetic", "memory", "huge-record")


@tagged(Msg, "toy/ping")
@dataclass(frozen=True, slots=True)
class MsgPing(Msg):
    times: int

    def validate_basic(self) -> None:
        check_uint63(self.times, "ping.times")


@tagged(Msg, "toy/boom")
@dataclass(frozen=True, slots=True)
class MsgBoom(Msg):
    kind: str  # one of BOOM_KINDS

    def validate_basic(self) -> None:
        if self.kind not in BOOM_KINDS:
            raise InvalidMsgError(f"boom.kind must be one of {BOOM_KINDS}")
