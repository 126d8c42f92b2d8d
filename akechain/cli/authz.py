"""`akechain tx authz …`, `akechain tx feegrant …` and `akechain query authz …`: an owner grants a hot
key the message types it may send (with a spend limit per period and an expiry) and revokes it;
the hot key executes messages for the owner; a fee allowance lets the owner pay the hot key's fees.
ADDRESS arguments are bech32 "ake1…" addresses."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from akechain.cli.market import ADDRESS, msg_command, register_lookup


class ExecFileError(ValueError):
    """An exec FILE that holds no messages in the `--generate-only` form."""


def read_exec_msgs(text: str) -> tuple:
    """The messages of an unsigned tx file (`--generate-only`, its `msgs`) or of a JSON list of messages."""
    from akechain.chain.codec import Msg
    from akechain.node.rpc.render import RecordJsonError, record_from_json

    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ExecFileError(f"not JSON: {exc}") from exc
    items = doc.get("msgs") if isinstance(doc, dict) else doc
    if not isinstance(items, list) or not items:
        raise ExecFileError("expected an unsigned tx file (with msgs) or a JSON list of messages")
    try:
        return tuple(record_from_json(Msg, item, where=f"msgs[{i}]") for i, item in enumerate(items))
    except RecordJsonError as exc:
        raise ExecFileError(str(exc)) from exc


@click.group("authz")
def authz_tx() -> None:
    """Hot-key grants (each signed with --key)."""


@authz_tx.command("grant")
@click.argument("grantee", type=ADDRESS)
@click.option("--msg-type", "msg_types", multiple=True, required=True,
              help="A message type the grantee may send for --key, e.g. market/bid (repeatable).")
@click.option("--spend-limit", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="uake of --key's balance the grantee's messages may take per period.")
@click.option("--period-ms", type=click.IntRange(1, 2**63 - 1), default=24 * 3600 * 1000, show_default=True)
@click.option("--expiration-ms", type=click.IntRange(0, 2**63 - 1), required=True,
              help="Block time (unix ms) from which the grant is void.")
@msg_command
def grant(grantee: bytes, msg_types: tuple[str, ...], spend_limit: int, period_ms: int, expiration_ms: int) -> Any:
    """Let GRANTEE send the --msg-type messages for --key (a new grant replaces the previous one)."""
    from akechain.chain.modules.authz.msgs import MsgGrant

    return MsgGrant(grantee, tuple(sorted(set(msg_types))), spend_limit, period_ms, expiration_ms)


@authz_tx.command("revoke")
@click.argument("grantee", type=ADDRESS)
@msg_command
def revoke(grantee: bytes) -> Any:
    """Take back --key's grant to GRANTEE."""
    from akechain.chain.modules.authz.msgs import MsgRevoke

    return MsgRevoke(grantee)


@authz_tx.command("exec")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--granter", type=ADDRESS, required=True, help="The owner the messages act for.")
@msg_command
def exec_msgs(file: Path, granter: bytes) -> Any:
    """Send FILE's messages (an unsigned tx file from --generate-only, or a JSON list) for --granter, signed by the hot --key."""
    from akechain.chain.modules.authz.msgs import MsgExec

    try:
        return MsgExec(granter, read_exec_msgs(file.read_text()))
    except ExecFileError as exc:
        raise click.BadParameter(str(exc), param_hint="FILE") from None


@click.group("authz")
def authz_query() -> None:
    """Hot-key grants."""


register_lookup(authz_query, "grants", ("owner", str), "grants",
                "The grants OWNER has given: grantee, message types, spend limit and what is spent this period, expiry.")


@click.group("feegrant")
def feegrant_tx() -> None:
    """Fee allowances (each signed with --key)."""


@feegrant_tx.command("grant")
@click.argument("grantee", type=ADDRESS)
@click.argument("spend_limit", type=click.IntRange(1, 2**63 - 1))
@msg_command
def grant_allowance(grantee: bytes, spend_limit: int) -> Any:
    """Pay GRANTEE's tx fees from --key, up to SPEND_LIMIT uake in all (replaces --key's previous allowance)."""
    from akechain.chain.modules.feegrant.msgs import MsgGrantAllowance

    return MsgGrantAllowance(grantee, spend_limit)


@feegrant_tx.command("revoke")
@click.argument("grantee", type=ADDRESS)
@msg_command
def revoke_allowance(grantee: bytes) -> Any:
    """End GRANTEE's fee allowance (by its granter, or by GRANTEE itself)."""
    from akechain.chain.modules.feegrant.msgs import MsgRevokeAllowance

    return MsgRevokeAllowance(grantee)
