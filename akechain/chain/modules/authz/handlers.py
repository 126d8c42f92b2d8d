"""The authz message server. A hot key's `exec` runs each message through the chain's own handler
with the granter as sender, and measures what each message took from the granter's balance: the
sum over the period must stay within the grant's spend limit, or the whole tx fails (its fee aside)
and changes nothing."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.codec import InvalidMsgError
from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.authz.errors import (
    GrantExpiredError,
    GrantNotFoundError,
    MsgNotAllowedError,
    SelfGrantError,
    SpendLimitError,
)
from akechain.chain.modules.authz.msgs import MsgExec, MsgGrant, MsgRevoke
from akechain.chain.modules.authz.records import Grant, get_grant_key
from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.store import BlockContext, Event, StoreView, make_event


def get_usable_grant(store: StoreView, ctx: BlockContext, granter: bytes, grantee: bytes) -> Grant:
    """The grant as of this block: void once expired, its period rolled over when one has passed."""
    grant = store.get(get_grant_key(granter, grantee), Grant)
    if grant is None:
        raise GrantNotFoundError(f"{format_address(granter)} grants nothing to {format_address(grantee)}")
    if ctx.time_ms >= grant.expiration_ms:
        raise GrantExpiredError(f"the grant of {format_address(granter)} to {format_address(grantee)} expired "
                                f"at {grant.expiration_ms} ms")
    elapsed = (ctx.time_ms - grant.period_start_ms) // grant.period_ms
    if elapsed > 0:
        grant = replace(grant, period_start_ms=grant.period_start_ms + elapsed * grant.period_ms, spent=0)
    return grant


def process_grant(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgGrant) -> list[Event]:
    # Verify the grant is to another key and not void already
    if msg.grantee == sender:
        raise SelfGrantError("an account cannot grant to itself")
    if msg.expiration_ms <= ctx.time_ms:
        raise GrantExpiredError(f"expiration {msg.expiration_ms} ms is not after the block time {ctx.time_ms} ms")
    store.set(get_grant_key(sender, msg.grantee), Grant(msg.msg_types, msg.spend_limit, msg.period_ms,
                                                       msg.expiration_ms, ctx.time_ms, 0))
    return [make_event("authz_grant", granter=format_address(sender), grantee=format_address(msg.grantee),
                       msg_types=",".join(msg.msg_types), spend_limit=msg.spend_limit)]


def process_revoke(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgRevoke) -> list[Event]:
    key = get_grant_key(sender, msg.grantee)
    # Verify there is a grant to revoke
    if store.get(key, Grant) is None:
        raise GrantNotFoundError(f"{format_address(sender)} grants nothing to {format_address(msg.grantee)}")
    store.delete(key)
    return [make_event("authz_revoke", granter=format_address(sender), grantee=format_address(msg.grantee))]


def process_exec(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgExec) -> list[Event]:
    grant = get_usable_grant(store, ctx, msg.granter, sender)
    # Verify every message is of a granted type before any runs
    for i, inner in enumerate(msg.msgs):
        if inner.TAG not in grant.msg_types:  # type: ignore[attr-defined]
            raise MsgNotAllowedError(f"exec.msgs[{i}] ({inner.TAG}) is not among the granted "  # type: ignore[attr-defined]
                                     f"{', '.join(grant.msg_types)}")
        if type(inner) not in ctx.handlers:
            raise InvalidMsgError(f"exec.msgs[{i}] ({inner.TAG}) is not handled by this chain")  # type: ignore[attr-defined]
    events = []
    spent = 0
    for inner in msg.msgs:
        before = get_balance(store, msg.granter)
        events.extend(ctx.handlers[type(inner)](store, ctx, msg.granter, inner))
        spent += max(0, before - get_balance(store, msg.granter))
    # Verify the period's spending stays within the limit (the app reverts the messages otherwise)
    if grant.spent + spent > grant.spend_limit:
        raise SpendLimitError(f"the messages take {spent} uake; {grant.spent} of the {grant.spend_limit} uake "
                              f"allowed this period are spent")
    store.set(get_grant_key(msg.granter, sender), replace(grant, spent=grant.spent + spent))
    return [make_event("authz_exec", granter=format_address(msg.granter), grantee=format_address(sender),
                       msgs=len(msg.msgs), spent=spent), *events]


HANDLERS = {MsgGrant: process_grant, MsgRevoke: process_revoke, MsgExec: process_exec}
