"""`akechain tx distribution …` and `akechain query distribution …`: withdraw staking rewards and
commission, choose where they are paid, and look them up. VALIDATOR and ADDRESS arguments are
bech32 "ake1…" addresses (a validator by its operator's)."""
from __future__ import annotations

from typing import Any

import click

from akechain.cli.market import ADDRESS, msg_command, register_lookup


@click.group("distribution")
def distribution_tx() -> None:
    """Distribution transactions (each signed with --key)."""


@distribution_tx.command("withdraw-rewards")
@click.argument("validator", type=ADDRESS)
@msg_command
def withdraw_rewards(validator: bytes) -> Any:
    """Withdraw the --key delegator's rewards from VALIDATOR (to its withdraw address)."""
    from akechain.chain.modules.distribution.msgs import MsgWithdrawDelegatorReward

    return MsgWithdrawDelegatorReward(validator)


@distribution_tx.command("withdraw-commission")
@msg_command
def withdraw_commission() -> Any:
    """Withdraw the --key operator's validator commission (to its withdraw address)."""
    from akechain.chain.modules.distribution.msgs import MsgWithdrawValidatorCommission

    return MsgWithdrawValidatorCommission()


@distribution_tx.command("set-withdraw-address")
@click.argument("address", type=ADDRESS)
@msg_command
def set_withdraw_address(address: bytes) -> Any:
    """Pay the --key account's future rewards and commission to ADDRESS (its own address resets it)."""
    from akechain.chain.modules.distribution.msgs import MsgSetWithdrawAddress

    return MsgSetWithdrawAddress(address)


@click.group("distribution")
def distribution_query() -> None:
    """Staking rewards, commission and the distribution params."""


# command, its argument (name, type) or None, the NodeClient method answering it, help
LOOKUPS = (
    ("rewards", ("address", str), "rewards",
     "What ADDRESS may withdraw from each validator it delegates to, its withdraw address and commission."),
    ("commission", ("address", str), "commission", "A validator's unwithdrawn commission (by operator address)."),
    ("params", None, "distribution_params", "The distribution params (fee split, emission schedule)."),
)

for spec in LOOKUPS:
    register_lookup(distribution_query, *spec)
