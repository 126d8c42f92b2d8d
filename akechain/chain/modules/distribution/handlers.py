"""The distribution message server: withdraw rewards, withdraw commission, set a withdraw address."""
from __future__ import annotations

from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.distribution import keeper as k
from akechain.chain.modules.distribution.errors import NoDelegationError, NotValidatorError, WithdrawAddressError
from akechain.chain.modules.distribution.msgs import (
    MsgSetWithdrawAddress,
    MsgWithdrawDelegatorReward,
    MsgWithdrawValidatorCommission,
)
from akechain.chain.modules.staking.keeper import get_delegation, get_validator
from akechain.chain.store import BlockContext, Event, StoreView, make_event


def process_withdraw_delegator_reward(store: StoreView, ctx: BlockContext, sender: Address,
                                      msg: MsgWithdrawDelegatorReward) -> list[Event]:
    # Verify the sender delegates to the validator
    if get_delegation(store, sender, msg.validator) is None:
        raise NoDelegationError(f"{format_address(sender)} has no delegation to {format_address(msg.validator)}")
    paid = k.withdraw_delegation_rewards(store, sender, msg.validator)
    return [make_event("withdraw_rewards", delegator=format_address(sender), validator=format_address(msg.validator),
                       amount=paid, recipient=format_address(k.get_withdraw_address(store, sender)))]


def process_withdraw_validator_commission(store: StoreView, ctx: BlockContext, sender: Address,
                                          msg: MsgWithdrawValidatorCommission) -> list[Event]:
    # Verify the sender operates a validator
    if get_validator(store, sender) is None:
        raise NotValidatorError(f"{format_address(sender)} operates no validator")
    paid = k.withdraw_commission(store, sender)
    return [make_event("withdraw_commission", validator=format_address(sender), amount=paid,
                       recipient=format_address(k.get_withdraw_address(store, sender)))]


def process_set_withdraw_address(store: StoreView, ctx: BlockContext, sender: Address,
                                 msg: MsgSetWithdrawAddress) -> list[Event]:
    # Verify the address is an ordinary account: module accounts move funds only by their module's logic
    if msg.address in ctx.module_accounts:
        raise WithdrawAddressError(f"{format_address(msg.address)} is a module account")
    k.set_withdraw_address(store, sender, msg.address)
    return [make_event("set_withdraw_address", delegator=format_address(sender), address=format_address(msg.address))]


HANDLERS = {
    MsgWithdrawDelegatorReward: process_withdraw_delegator_reward,
    MsgWithdrawValidatorCommission: process_withdraw_validator_commission,
    MsgSetWithdrawAddress: process_set_withdraw_address,
}
