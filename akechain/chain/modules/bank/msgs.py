"""Bank messages; funds always leave the tx sender, so no message names a source account."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import MAX_UINT63, InvalidMsgError, Msg, check_positive_amount
from akechain.chain.crypto import ADDRESS_LENGTH
from state.codec import tagged

MAX_OUTPUTS = 100


def check_address(value: object, what: str) -> None:
    if type(value) is not bytes or len(value) != ADDRESS_LENGTH:
        raise InvalidMsgError(f"{what} must be a {ADDRESS_LENGTH}-byte address")


@tagged(Msg, "bank/send")
@dataclass(frozen=True, slots=True)
class MsgSend(Msg):
    to: bytes
    amount: int

    def validate_basic(self) -> None:
        check_address(self.to, "send.to")
        check_positive_amount(self.amount, "send.amount")


@dataclass(frozen=True, slots=True)
class Output:
    to: bytes
    amount: int


@tagged(Msg, "bank/multi_send")
@dataclass(frozen=True, slots=True)
class MsgMultiSend(Msg):
    outputs: tuple[Output, ...]

    def validate_basic(self) -> None:
        if type(self.outputs) is not tuple or not 1 <= len(self.outputs) <= MAX_OUTPUTS:
            raise InvalidMsgError(f"multi_send needs 1 to {MAX_OUTPUTS} outputs")
        for i, output in enumerate(self.outputs):
            if type(output) is not Output:
                raise InvalidMsgError(f"multi_send.outputs[{i}] is not an Output")
            check_address(output.to, f"multi_send.outputs[{i}].to")
            check_positive_amount(output.amount, f"multi_send.outputs[{i}].amount")
        if compute_multi_send_total(self) > MAX_UINT63:
            raise InvalidMsgError(f"multi_send total exceeds {MAX_UINT63}")


def compute_multi_send_total(msg: MsgMultiSend) -> int:
    return sum(output.amount for output in msg.outputs)
