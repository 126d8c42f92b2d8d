"""`akechain tx slashing unjail` and `akechain query slashing …`: a jailed validator's way back,
and its signing record. ADDRESS arguments are operator addresses (bech32 "ake1…")."""
from __future__ import annotations

from typing import Any

import click

from akechain.cli.market import msg_command, register_lookup


@click.group("slashing")
def slashing_tx() -> None:
    """Slashing transactions (each signed with --key)."""


@slashing_tx.command("unjail")
@msg_command
def unjail() -> Any:
    """Return the --key operator's jailed validator to the candidates (once its jail is over)."""
    from akechain.chain.modules.slashing.msgs import MsgUnjail

    return MsgUnjail()


@click.group("slashing")
def slashing_query() -> None:
    """Validators' signing records and the slashing params."""


# command, its argument (name, type) or None, the NodeClient method answering it, help
LOOKUPS = (
    ("signing-info", ("address", str), "signing_info",
     "A validator's signing record (by operator address): missed blocks, jail end, tombstone."),
    ("params", None, "slashing_params", "The slashing params."),
)

for spec in LOOKUPS:
    register_lookup(slashing_query, *spec)
