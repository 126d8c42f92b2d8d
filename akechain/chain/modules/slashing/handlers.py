"""The slashing message server: unjail (x/slashing Keeper.Unjail)."""
from __future__ import annotations

from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.slashing.errors import (
    JailNotOverError,
    SelfDelegationTooLowToUnjailError,
    ValidatorNotJailedError,
    ValidatorTombstonedError,
)
from akechain.chain.modules.slashing.keeper import get_signing_info
from akechain.chain.modules.slashing.msgs import MsgUnjail
from akechain.chain.modules.staking import keeper as staking
from akechain.chain.modules.staking.params import get_params as get_staking_params
from akechain.chain.modules.staking.slash import unjail
from akechain.chain.store import BlockContext, Event, StoreView, make_event
from consensus.types import address_of


def process_unjail(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgUnjail) -> list[Event]:
    validator = staking.require_validator(store, sender)
    # Verify the operator still bonds the minimum itself
    delegation = staking.get_delegation(store, sender, sender)
    own = 0 if delegation is None else staking.compute_tokens_of_shares(validator, delegation.shares)
    minimum = get_staking_params(store).min_self_delegation
    if own < minimum:
        raise SelfDelegationTooLowToUnjailError(f"self-delegation {own} uake is below the minimum {minimum} uake")
    # Verify the validator is jailed, not for good, and its jail is over
    if not validator.jailed:
        raise ValidatorNotJailedError(f"validator {format_address(sender)} is not jailed")
    if validator.tombstoned:
        raise ValidatorTombstonedError(f"validator {format_address(sender)} is tombstoned and cannot be unjailed")
    info = get_signing_info(store, address_of(validator.consensus_pub_key))  # None: jailed before it ever signed
    if info is not None and ctx.time_ms < info.jailed_until_ms:
        raise JailNotOverError(f"validator {format_address(sender)} is jailed until {info.jailed_until_ms} ms, "
                               f"the block time is {ctx.time_ms} ms")
    unjail(store, validator)
    return [make_event("unjail", validator=format_address(sender))]


HANDLERS = {MsgUnjail: process_unjail}
