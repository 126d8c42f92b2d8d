"""The bank's message server: check state-dependent conditions, call the keeper, emit events."""
from __future__ import annotations

from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.bank.keeper import (
    ModuleAccountRecipientError,
    decrease_balance,
    increase_balance,
    process_transfer,
)
from akechain.chain.modules.bank.msgs import MsgMultiSend, MsgSend, compute_multi_send_total
from akechain.chain.store import BlockContext, Event, StoreView


def check_recipient(ctx: BlockContext, recipient: bytes) -> None:
    if recipient in ctx.module_accounts:
        raise ModuleAccountRecipientError(f"{format_address(recipient)} is a module account: it takes funds only "
                                          "through its module's messages")


def process_send(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgSend) -> list[Event]:
    check_recipient(ctx, msg.to)
    process_transfer(store, sender, Address(msg.to), msg.amount)
    return [("transfer", (("recipient", format_address(msg.to)), ("amount", str(msg.amount))))]


def process_multi_send(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgMultiSend) -> list[Event]:
    for output in msg.outputs:
        check_recipient(ctx, output.to)
    # Debit the total first, so an underfunded multi-send fails before crediting anyone
    decrease_balance(store, sender, compute_multi_send_total(msg))
    events: list[Event] = []
    for output in msg.outputs:
        increase_balance(store, Address(output.to), output.amount)
        events.append(("transfer", (("recipient", format_address(output.to)), ("amount", str(output.amount)))))
    return events


HANDLERS = {MsgSend: process_send, MsgMultiSend: process_multi_send}
