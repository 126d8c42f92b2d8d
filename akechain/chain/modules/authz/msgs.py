"""Authz messages: the owner grants (or replaces) and revokes a hot key's permission; the hot key
executes messages for the owner."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import InvalidMsgError, Msg, check_uint63
from akechain.chain.modules.bank.msgs import check_address
from state.codec import tagged

MAX_MSG_TYPES = 32
MAX_EXEC_MSGS = 16
# a hot key never manages grants itself, so it cannot widen its own permission
NEVER_GRANTED = ("authz/", "feegrant/")


@tagged(Msg, "authz/grant")
@dataclass(frozen=True, slots=True)
class MsgGrant(Msg):
    grantee: bytes
    msg_types: tuple[str, ...]  # tags, e.g. ("market/bid", "market/submit_receipt")
    spend_limit: int  # uake per period (0: its messages may not lower the owner's balance)
    period_ms: int
    expiration_ms: int  # block time (unix ms) from which the grant is void

    def validate_basic(self) -> None:
        check_address(self.grantee, "grant.grantee")
        if type(self.msg_types) is not tuple or not 1 <= len(self.msg_types) <= MAX_MSG_TYPES:
            raise InvalidMsgError(f"grant.msg_types must list 1 to {MAX_MSG_TYPES} message types")
        for tag in self.msg_types:
            if type(tag) is not str or tag not in Msg._registry:
                raise InvalidMsgError(f"grant.msg_types: {tag!r} is not a message type")
            if tag.startswith(NEVER_GRANTED):
                raise InvalidMsgError(f"grant.msg_types: {tag} cannot be granted (a hot key never manages grants)")
        if list(self.msg_types) != sorted(set(self.msg_types)):
            raise InvalidMsgError("grant.msg_types must be sorted and unique")
        check_uint63(self.spend_limit, "grant.spend_limit")
        check_uint63(self.period_ms, "grant.period_ms")
        if self.period_ms == 0:
            raise InvalidMsgError("grant.period_ms must be positive")
        check_uint63(self.expiration_ms, "grant.expiration_ms")


@tagged(Msg, "authz/revoke")
@dataclass(frozen=True, slots=True)
class MsgRevoke(Msg):
    grantee: bytes

    def validate_basic(self) -> None:
        check_address(self.grantee, "revoke.grantee")


@tagged(Msg, "authz/exec")
@dataclass(frozen=True, slots=True)
class MsgExec(Msg):
    """Sent by the grantee: `msgs` run as if the granter had sent them."""

    granter: bytes
    msgs: tuple[Msg, ...]

    def validate_basic(self) -> None:
        check_address(self.granter, "exec.granter")
        if type(self.msgs) is not tuple or not 1 <= len(self.msgs) <= MAX_EXEC_MSGS:
            raise InvalidMsgError(f"exec.msgs must hold 1 to {MAX_EXEC_MSGS} messages")
        for i, msg in enumerate(self.msgs):
            if not isinstance(msg, Msg) or msg.TAG.startswith(NEVER_GRANTED):
                raise InvalidMsgError(f"exec.msgs[{i}] cannot be executed for a granter")
            msg.validate_basic()
