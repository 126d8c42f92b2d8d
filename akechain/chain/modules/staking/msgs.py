"""Staking messages. Each acts for the tx sender: the operator (create/edit validator) or the
delegator; validators are named by their operator's address."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import InvalidMsgError, Msg, check_positive_amount, check_uint63
from akechain.chain.crypto import PUB_KEY_LENGTH
from akechain.chain.modules.bank.msgs import check_address
from akechain.chain.modules.staking.errors import CommissionAboveMaxError, SelfRedelegationError
from state.codec import tagged

MAX_MONIKER = 64
BPS = 10_000


def check_moniker(value: object, what: str) -> None:
    if type(value) is not str or not 0 < len(value) <= MAX_MONIKER:
        raise InvalidMsgError(f"{what} must be a string of 1 to {MAX_MONIKER} characters")


def check_rate(value: object, what: str) -> None:
    check_uint63(value, what)
    if value > BPS:
        raise InvalidMsgError(f"{what} must be at most {BPS} basis points")


@tagged(Msg, "staking/create_validator")
@dataclass(frozen=True, slots=True)
class MsgCreateValidator(Msg):
    consensus_pub_key: bytes  # ed25519 key that signs votes; not the operator's account key
    moniker: str
    commission_rate_bps: int
    max_rate_bps: int  # the commission can never exceed this
    max_change_rate_bps: int  # the commission moves at most this much per day
    self_delegation: int  # uake bonded by the operator, at least the param min_self_delegation

    def validate_basic(self) -> None:
        if type(self.consensus_pub_key) is not bytes or len(self.consensus_pub_key) != PUB_KEY_LENGTH:
            raise InvalidMsgError(f"create_validator.consensus_pub_key must be a {PUB_KEY_LENGTH}-byte ed25519 key")
        check_moniker(self.moniker, "create_validator.moniker")
        check_rate(self.commission_rate_bps, "create_validator.commission_rate_bps")
        check_rate(self.max_rate_bps, "create_validator.max_rate_bps")
        check_rate(self.max_change_rate_bps, "create_validator.max_change_rate_bps")
        # Verify the commission sits within its own bounds
        if self.commission_rate_bps > self.max_rate_bps:
            raise CommissionAboveMaxError(f"commission {self.commission_rate_bps} bps is above the max rate {self.max_rate_bps} bps")
        if self.max_change_rate_bps > self.max_rate_bps:
            raise CommissionAboveMaxError(f"max change rate {self.max_change_rate_bps} bps is above the max rate {self.max_rate_bps} bps")
        check_positive_amount(self.self_delegation, "create_validator.self_delegation")


@tagged(Msg, "staking/edit_validator")
@dataclass(frozen=True, slots=True)
class MsgEditValidator(Msg):
    moniker: str | None  # None: unchanged
    commission_rate_bps: int | None  # None: unchanged

    def validate_basic(self) -> None:
        if self.moniker is None and self.commission_rate_bps is None:
            raise InvalidMsgError("edit_validator changes nothing")
        if self.moniker is not None:
            check_moniker(self.moniker, "edit_validator.moniker")
        if self.commission_rate_bps is not None:
            check_rate(self.commission_rate_bps, "edit_validator.commission_rate_bps")


@tagged(Msg, "staking/delegate")
@dataclass(frozen=True, slots=True)
class MsgDelegate(Msg):
    validator: bytes  # operator address
    amount: int

    def validate_basic(self) -> None:
        check_address(self.validator, "delegate.validator")
        check_positive_amount(self.amount, "delegate.amount")


@tagged(Msg, "staking/undelegate")
@dataclass(frozen=True, slots=True)
class MsgUndelegate(Msg):
    validator: bytes
    amount: int  # uake of the delegation's current value

    def validate_basic(self) -> None:
        check_address(self.validator, "undelegate.validator")
        check_positive_amount(self.amount, "undelegate.amount")


@tagged(Msg, "staking/begin_redelegate")
@dataclass(frozen=True, slots=True)
class MsgBeginRedelegate(Msg):
    src_validator: bytes
    dst_validator: bytes
    amount: int

    def validate_basic(self) -> None:
        check_address(self.src_validator, "begin_redelegate.src_validator")
        check_address(self.dst_validator, "begin_redelegate.dst_validator")
        check_positive_amount(self.amount, "begin_redelegate.amount")
        if self.src_validator == self.dst_validator:
            raise SelfRedelegationError("cannot redelegate to the same validator")


@tagged(Msg, "staking/cancel_unbonding")
@dataclass(frozen=True, slots=True)
class MsgCancelUnbondingDelegation(Msg):
    validator: bytes
    amount: int  # of the entry's balance, bonded again to `validator`
    creation_height: int  # names the entry (one per height)

    def validate_basic(self) -> None:
        check_address(self.validator, "cancel_unbonding.validator")
        check_positive_amount(self.amount, "cancel_unbonding.amount")
        check_uint63(self.creation_height, "cancel_unbonding.creation_height")
