"""`akechain tx staking …` and `akechain query staking …`: validators and delegations from the
command line. VALIDATOR arguments are operator addresses (bech32 "ake1…"), amounts uake."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from akechain.cli.common import AMOUNT, UINT63
from akechain.cli.market import ADDRESS, BPS_RANGE, Hex32Type, msg_command, register_lookup


CONSENSUS_KEY = Hex32Type("hex key", "an ed25519 public key")


def read_node_consensus_key(home: Path) -> bytes:
    """The consensus key of the node in HOME (its validator key file holds only the public part we need)."""
    from akechain.node.config import Home

    return bytes.fromhex(json.loads(Home(home).validator_key_file.read_text())["pub_key"])


@click.group("staking")
def staking_tx() -> None:
    """Staking transactions (each signed with --key)."""


@staking_tx.command("create-validator")
@click.option("--amount", "self_delegation", type=AMOUNT, required=True, help="uake the operator bonds itself.")
@click.option("--moniker", required=True)
@click.option("--consensus-pub-key", type=CONSENSUS_KEY,
              help="The node's ed25519 consensus key (default: the validator key of --home's node).")
@click.option("--commission-rate", "commission_rate_bps", type=BPS_RANGE, default=1_000, show_default=True)
@click.option("--max-rate", "max_rate_bps", type=BPS_RANGE, default=2_000, show_default=True)
@click.option("--max-change-rate", "max_change_rate_bps", type=BPS_RANGE, default=100, show_default=True,
              help="Largest commission change per day, in bps.")
@msg_command
def create_validator(consensus_pub_key: bytes | None, **fields: Any) -> Any:
    """Make the key a validator operator, bonding --amount of its own."""
    from akechain.chain.modules.staking.msgs import MsgCreateValidator

    if consensus_pub_key is None:
        consensus_pub_key = read_node_consensus_key(click.get_current_context().params["home"])
    return MsgCreateValidator(consensus_pub_key=consensus_pub_key, **fields)


@staking_tx.command("edit-validator")
@click.option("--moniker")
@click.option("--commission-rate", "commission_rate_bps", type=BPS_RANGE)
@msg_command
def edit_validator(moniker: str | None, commission_rate_bps: int | None) -> Any:
    """Change the moniker and/or the commission (within the max, once a day)."""
    from akechain.chain.modules.staking.msgs import MsgEditValidator

    return MsgEditValidator(moniker, commission_rate_bps)


@staking_tx.command("delegate")
@click.argument("validator", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@msg_command
def delegate(validator: bytes, amount: int) -> Any:
    """Bond AMOUNT uake to VALIDATOR."""
    from akechain.chain.modules.staking.msgs import MsgDelegate

    return MsgDelegate(validator, amount)


@staking_tx.command("undelegate")
@click.argument("validator", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@msg_command
def undelegate(validator: bytes, amount: int) -> Any:
    """Unbond AMOUNT uake from VALIDATOR (back after the unbonding period)."""
    from akechain.chain.modules.staking.msgs import MsgUndelegate

    return MsgUndelegate(validator, amount)


@staking_tx.command("redelegate")
@click.argument("src_validator", type=ADDRESS)
@click.argument("dst_validator", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@msg_command
def redelegate(src_validator: bytes, dst_validator: bytes, amount: int) -> Any:
    """Move AMOUNT uake of bonded stake from SRC_VALIDATOR to DST_VALIDATOR at once."""
    from akechain.chain.modules.staking.msgs import MsgBeginRedelegate

    return MsgBeginRedelegate(src_validator, dst_validator, amount)


@staking_tx.command("cancel-unbonding")
@click.argument("validator", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
@click.option("--height", "creation_height", type=UINT63, required=True, help="Height the unbonding entry was created at.")
@msg_command
def cancel_unbonding(validator: bytes, amount: int, creation_height: int) -> Any:
    """Bond AMOUNT of a pending unbonding entry back to VALIDATOR."""
    from akechain.chain.modules.staking.msgs import MsgCancelUnbondingDelegation

    return MsgCancelUnbondingDelegation(validator, amount, creation_height)


@click.group("staking")
def staking_query() -> None:
    """Validators, delegations, unbonding entries and params."""


# command, its argument (name, type) or None, the NodeClient method answering it, help
LOOKUPS = (
    ("validators", None, "validators", "Every validator: status, tokens, power, jailed, tombstoned, commission."),
    ("validator", ("address", str), "validator", "One validator, by operator address."),
    ("delegations", ("address", str), "delegations", "A delegator's delegations (shares and their value)."),
    ("unbonding", ("address", str), "unbonding", "A delegator's unbonding entries and redelegations."),
    ("params", None, "staking_params", "The staking params."),
)

for spec in LOOKUPS:
    register_lookup(staking_query, *spec)
