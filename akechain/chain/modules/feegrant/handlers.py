"""The feegrant message server."""
from __future__ import annotations

from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.feegrant.errors import AllowanceNotFoundError, AllowanceTakenError, SelfAllowanceError
from akechain.chain.modules.feegrant.keeper import get_allowance
from akechain.chain.modules.feegrant.msgs import MsgGrantAllowance, MsgRevokeAllowance
from akechain.chain.modules.feegrant.records import Allowance, get_allowance_key
from akechain.chain.store import BlockContext, Event, StoreView, make_event


def process_grant_allowance(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgGrantAllowance) -> list[Event]:
    # Verify the grantee is another account with no allowance from someone else
    if msg.grantee == sender:
        raise SelfAllowanceError("an account cannot pay its own fees by allowance")
    current = get_allowance(store, msg.grantee)
    if current is not None and current.granter != sender:
        raise AllowanceTakenError(f"{format_address(msg.grantee)} has an allowance from {format_address(current.granter)}")
    store.set(get_allowance_key(msg.grantee), Allowance(sender, msg.spend_limit))
    return [make_event("fee_allowance", granter=format_address(sender), grantee=format_address(msg.grantee),
                       spend_limit=msg.spend_limit)]


def process_revoke_allowance(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgRevokeAllowance) -> list[Event]:
    current = get_allowance(store, msg.grantee)
    # Verify the sender is the allowance's granter or its grantee
    if current is None or sender not in (current.granter, msg.grantee):
        raise AllowanceNotFoundError(f"{format_address(sender)} holds no allowance of {format_address(msg.grantee)} to revoke")
    store.delete(get_allowance_key(msg.grantee))
    return [make_event("fee_allowance_revoked", granter=format_address(current.granter),
                       grantee=format_address(msg.grantee))]


HANDLERS = {MsgGrantAllowance: process_grant_allowance, MsgRevokeAllowance: process_revoke_allowance}
