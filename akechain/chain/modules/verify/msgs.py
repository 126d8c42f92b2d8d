"""Verify messages: a challenge of a receipt's output, and the referee's verdict on it."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import Msg, check_hash, check_uint63
from state.codec import tagged


@tagged(Msg, "verify/challenge")
@dataclass(frozen=True, slots=True)
class MsgChallenge(Msg):
    lease_id: int
    claimed_hash: bytes  # the output the challenger got by re-executing

    def validate_basic(self) -> None:
        check_uint63(self.lease_id, "challenge.lease_id")
        check_hash(self.claimed_hash, "challenge.claimed_hash")


@tagged(Msg, "verify/verdict")
@dataclass(frozen=True, slots=True)
class MsgVerdict(Msg):
    challenge_id: int
    output_hash: bytes  # the referee's own re-execution

    def validate_basic(self) -> None:
        check_uint63(self.challenge_id, "verdict.challenge_id")
        check_hash(self.output_hash, "verdict.output_hash")
