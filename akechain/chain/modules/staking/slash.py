"""What staking offers the slashing module (x/staking's Slash, SlashUnbondingDelegation,
SlashRedelegation, Jail, Unjail): take a fraction of a validator's stake, reaching back to the
unbonding entries and redelegations created since the infraction, and burn it.

A slash walks the validator's own unbonding delegations and redelegations (indexed by validator);
it runs once per punished offence, never per block.
"""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.modules.bank.keeper import process_burn
from akechain.chain.modules.staking import keeper as k
from akechain.chain.modules.staking.params import Params, get_params
from akechain.chain.modules.staking.records import (
    NOT_BONDED_POOL,
    REDELEGATION_BY_SRC_PREFIX,
    UNBONDING_BY_VALIDATOR_PREFIX,
    Marker,
    Validator,
)
from akechain.chain.store import BlockContext, StoreView

BPS = 10_000
ADDR = 20


def compute_slash_amount(amount: int, fraction_bps: int) -> int:
    return amount * fraction_bps // BPS


def process_slash(store: StoreView, ctx: BlockContext, operator: bytes, infraction_height: int, basis: int,
                  fraction_bps: int) -> int:
    """Slash `fraction_bps` of `basis` (the uake the validator had bonded at `infraction_height`):
    first from the unbonding entries and redelegations created at or after the infraction (each by the
    fraction of what it started with), the rest from the validator's tokens. Returns the uake burned."""
    params = get_params(store)
    remaining = compute_slash_amount(basis, fraction_bps)
    burned = 0
    if infraction_height < ctx.height:
        prefix = UNBONDING_BY_VALIDATOR_PREFIX + operator
        for key, _ in list(store.iterate(prefix, Marker)):
            slashed, taken = slash_unbonding(store, ctx, key[len(prefix):], operator, infraction_height, fraction_bps)
            remaining, burned = remaining - slashed, burned + taken
        prefix = REDELEGATION_BY_SRC_PREFIX + operator
        for key, _ in list(store.iterate(prefix, Marker)):
            rest = key[len(prefix):]
            slashed, taken = slash_redelegation(store, ctx, rest[:ADDR], operator, rest[ADDR:], infraction_height,
                                                fraction_bps, params)
            remaining, burned = remaining - slashed, burned + taken
    validator = k.require_validator(store, operator)
    taken = min(max(remaining, 0), validator.tokens)
    if taken:
        k.set_validator(store, replace(validator, tokens=validator.tokens - taken))
        process_burn(store, k.get_pool(validator.status), taken)
    return burned + taken


def is_slashable(creation_height: int, completion_time_ms: int, ctx: BlockContext, infraction_height: int) -> bool:
    """Created at or after the infraction and not yet matured (a matured entry has left the validator)."""
    return creation_height >= infraction_height and completion_time_ms > ctx.time_ms


def slash_unbonding(store: StoreView, ctx: BlockContext, delegator: bytes, validator: bytes, infraction_height: int,
                    fraction_bps: int) -> tuple[int, int]:
    """Lower the balance of each slashable entry by the fraction of its initial balance (at most what
    is left); returns (the amount owed by these entries, the uake burned from the not-bonded pool)."""
    ubd = k.get_unbonding(store, delegator, validator)
    if ubd is None:
        raise k.StakingBrokenError(f"unbonding index names a missing record {delegator.hex()}/{validator.hex()}")
    owed = burned = 0
    entries = []
    for entry in ubd.entries:
        if is_slashable(entry.creation_height, entry.completion_time_ms, ctx, infraction_height):
            amount = compute_slash_amount(entry.initial_balance, fraction_bps)
            taken = min(amount, entry.balance)
            owed, burned = owed + amount, burned + taken
            entry = replace(entry, balance=entry.balance - taken)
        entries.append(entry)
    if burned:
        store.set(k.get_unbonding_key(delegator, validator), replace(ubd, entries=tuple(entries)))
        process_burn(store, NOT_BONDED_POOL, burned)
    return owed, burned


def slash_redelegation(store: StoreView, ctx: BlockContext, delegator: bytes, src: bytes, dst: bytes,
                       infraction_height: int, fraction_bps: int, params: Params) -> tuple[int, int]:
    """Unbond from the destination the fraction of the shares each slashable entry bought there and
    burn those tokens; returns (the amount owed by these entries, the uake burned)."""
    red = k.get_redelegation(store, delegator, src, dst)
    if red is None:
        raise k.StakingBrokenError(f"redelegation index names a missing record {delegator.hex()}/{src.hex()}/{dst.hex()}")
    owed = burned = 0
    for entry in red.entries:
        if not is_slashable(entry.creation_height, entry.completion_time_ms, ctx, infraction_height):
            continue
        owed += compute_slash_amount(entry.initial_balance, fraction_bps)
        delegation = k.get_delegation(store, delegator, dst)
        if delegation is None:
            continue  # the delegator already left the destination
        shares = min(compute_slash_amount(entry.shares_dst, fraction_bps), delegation.shares)
        if shares == 0:
            continue
        validator = k.require_validator(store, dst)
        tokens = k.compute_tokens_of_shares(validator, shares)
        pool = k.get_pool(validator.status)
        k.remove_shares(store, ctx, delegation, validator, shares, tokens, params)
        if tokens:
            process_burn(store, pool, tokens)
        burned += tokens
    return owed, burned


def jail(store: StoreView, validator: Validator) -> Validator:
    """Out of the power index, so out of the active set at the end of this block."""
    jailed = replace(validator, jailed=True)
    k.set_validator(store, jailed)
    return jailed


def unjail(store: StoreView, validator: Validator) -> Validator:
    unjailed = replace(validator, jailed=False)
    k.set_validator(store, unjailed)
    return unjailed


def tombstone(store: StoreView, validator: Validator) -> Validator:
    """Jailed for good: it never returns to the set and takes no new delegations."""
    tombstoned = replace(validator, jailed=True, tombstoned=True)
    k.set_validator(store, tombstoned)
    return tombstoned
