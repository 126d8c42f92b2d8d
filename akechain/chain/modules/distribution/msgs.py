"""Distribution messages, each for the tx sender: a delegator withdraws its rewards from one
validator, an operator its commission, and either names where withdrawals are paid."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import Msg
from akechain.chain.modules.bank.msgs import check_address
from state.codec import tagged


@tagged(Msg, "distribution/withdraw_delegator_reward")
@dataclass(frozen=True, slots=True)
class MsgWithdrawDelegatorReward(Msg):
    validator: bytes  # operator address

    def validate_basic(self) -> None:
        check_address(self.validator, "withdraw_delegator_reward.validator")


@tagged(Msg, "distribution/withdraw_validator_commission")
@dataclass(frozen=True, slots=True)
class MsgWithdrawValidatorCommission(Msg):
    """Sent by the operator; no fields (the sender names the validator)."""

    def validate_basic(self) -> None:
        return None


@tagged(Msg, "distribution/set_withdraw_address")
@dataclass(frozen=True, slots=True)
class MsgSetWithdrawAddress(Msg):
    address: bytes  # receives the sender's future rewards and commission; the sender itself resets it

    def validate_basic(self) -> None:
        check_address(self.address, "set_withdraw_address.address")
