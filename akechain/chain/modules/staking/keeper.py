"""The staking keeper: validators and their power index, delegations and the share arithmetic,
unbonding and redelegation entries with their queues, and the two pools. Money moves only through
the bank keeper; every function here is bounded by the records one message names.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from akechain.chain.codec import MAX_UINT63
from akechain.chain.crypto import Address
from akechain.chain.modules.bank.keeper import process_transfer
from akechain.chain.modules.staking.errors import (
    DelegationNotFoundError,
    InsufficientDelegationError,
    InvalidSharesError,
    TooManyEntriesError,
    ValidatorNotFoundError,
    ValidatorTombstonedError,
)
from akechain.chain.modules.staking.hooks import (
    AFTER_DELEGATION_REMOVED,
    AFTER_VALIDATOR_REMOVED,
    BEFORE_DELEGATION_MODIFIED,
    call_hooks,
)
from akechain.chain.modules.staking.params import Params
from akechain.chain.modules.staking.records import (
    BONDED,
    BONDED_POOL,
    CONSENSUS_ADDRESS_PREFIX,
    CONSENSUS_KEY_PREFIX,
    NOT_BONDED_POOL,
    REDELEGATION_PREFIX,
    UNBONDED,
    ConsensusKey,
    Delegation,
    Marker,
    Redelegation,
    RedelegationEntry,
    UnbondingDelegation,
    UnbondingEntry,
    Validator,
    get_delegation_key,
    get_power_index_key,
    get_redelegation_by_src_key,
    get_redelegation_key,
    get_redelegation_queue_key,
    get_unbonding_by_validator_key,
    get_unbonding_key,
    get_unbonding_queue_key,
    get_validator_key,
)
from akechain.chain.store import BlockContext, StoreView
from consensus.types import address_of


class StakingBrokenError(RuntimeError):
    """Staking state contradicts its own indexes (a bug, never a bad tx)."""


# -- validators -------------------------------------------------------------------------------


def get_validator(store: StoreView, operator: bytes) -> Validator | None:
    return store.get(get_validator_key(operator), Validator)


def require_validator(store: StoreView, operator: bytes) -> Validator:
    """The validator a message names (a tx error if unknown)."""
    validator = get_validator(store, operator)
    if validator is None:
        raise ValidatorNotFoundError(f"no validator with operator {operator.hex()}")
    return validator


def is_indexed(validator: Validator) -> bool:
    """In the power index, so a candidate for the active set."""
    return not validator.jailed and validator.tokens > 0


def set_validator(store: StoreView, validator: Validator) -> None:
    """Write a validator and keep its power index key in step with its tokens and jail."""
    old = get_validator(store, validator.operator)
    if old is not None and is_indexed(old):
        store.delete(get_power_index_key(old))
    store.set(get_validator_key(validator.operator), validator)
    if is_indexed(validator):
        store.set(get_power_index_key(validator), Marker())


def remove_validator(store: StoreView, ctx: BlockContext, operator: bytes) -> None:
    """Forget an unbonded validator nobody delegates to any more (its consensus key becomes free)."""
    stored = require_validator(store, operator)
    if is_indexed(stored):
        store.delete(get_power_index_key(stored))
    store.delete(get_validator_key(operator))
    store.delete(CONSENSUS_KEY_PREFIX + stored.consensus_pub_key)
    store.delete(CONSENSUS_ADDRESS_PREFIX + address_of(stored.consensus_pub_key))
    call_hooks(ctx, AFTER_VALIDATOR_REMOVED, store, operator)


def get_validator_by_consensus_address(store: StoreView, address: bytes) -> Validator | None:
    """The validator whose consensus key has this address (how votes and evidence name it)."""
    found = store.get(CONSENSUS_ADDRESS_PREFIX + address, ConsensusKey)
    return None if found is None else get_validator(store, found.operator)


def get_pool(status: int) -> Address:
    """The module account holding a validator's tokens: bonded, or not bonded (unbonding, unbonded)."""
    return BONDED_POOL if status == BONDED else NOT_BONDED_POOL


def move_between_pools(store: StoreView, source: Address, target: Address, amount: int) -> None:
    if source != target and amount:
        process_transfer(store, source, target, amount)


def compute_power(tokens: int, params: Params) -> int:
    return tokens // params.power_reduction


# -- shares -----------------------------------------------------------------------------------


def compute_shares_for_tokens(validator: Validator, amount: int) -> int:
    """Shares a delegation of `amount` buys, rounded down (the other delegators keep the dust)."""
    if validator.delegator_shares == 0:
        return amount
    # Verify the validator still holds tokens (a validator slashed to zero has a broken exchange rate)
    if validator.tokens == 0:
        raise InvalidSharesError("the validator holds no tokens; its shares are worthless")
    shares = amount * validator.delegator_shares // validator.tokens
    # Verify the amount is worth a share and the shares fit a record
    if shares == 0:
        raise InvalidSharesError(f"{amount} uake buys no share of this validator")
    if validator.delegator_shares + shares > MAX_UINT63:
        raise InvalidSharesError("the validator's shares would overflow")
    return shares


def compute_tokens_of_shares(validator: Validator, shares: int) -> int:
    if shares == validator.delegator_shares:
        return validator.tokens
    return shares * validator.tokens // validator.delegator_shares


# -- delegating and unbonding -----------------------------------------------------------------


def get_delegation(store: StoreView, delegator: bytes, validator: bytes) -> Delegation | None:
    return store.get(get_delegation_key(delegator, validator), Delegation)


def process_delegation(store: StoreView, ctx: BlockContext, delegator: bytes, validator: Validator, amount: int,
                       source: Address) -> tuple[Validator, int]:
    """Bond `amount` to `validator` for `delegator`, the tokens taken from `source` (the delegator's
    account, or a pool when stake moves between validators); returns the validator and the shares."""
    # Verify the validator takes delegations
    if validator.tombstoned:
        raise ValidatorTombstonedError(f"validator {validator.operator.hex()} is tombstoned and takes no delegations")
    shares = compute_shares_for_tokens(validator, amount)
    call_hooks(ctx, BEFORE_DELEGATION_MODIFIED, store, delegator, validator.operator)
    move_between_pools(store, source, get_pool(validator.status), amount)
    validator = replace(validator, tokens=validator.tokens + amount, delegator_shares=validator.delegator_shares + shares)
    set_validator(store, validator)
    delegation = get_delegation(store, delegator, validator.operator)
    held = 0 if delegation is None else delegation.shares
    store.set(get_delegation_key(delegator, validator.operator), Delegation(delegator, validator.operator, held + shares))
    return validator, shares


def process_unbond(store: StoreView, ctx: BlockContext, delegator: bytes, validator: Validator, amount: int,
                   params: Params) -> tuple[Validator, int]:
    """Take `amount` (uake of value) out of a delegation; returns the validator as left and the tokens
    removed, which stay in the validator's pool for the caller to move (see `remove_shares`)."""
    delegation = get_delegation(store, delegator, validator.operator)
    # Verify the delegation exists and is worth the amount
    if delegation is None:
        raise DelegationNotFoundError(f"no delegation to validator {validator.operator.hex()}")
    value = compute_tokens_of_shares(validator, delegation.shares)
    if amount > value:
        raise InsufficientDelegationError(f"undelegating {amount} uake but the delegation is worth {value} uake")
    if amount == value:
        shares, tokens = delegation.shares, value
    else:  # round the shares up and pay exactly `amount`, so the dust stays with the other delegators
        shares = min(-(-amount * validator.delegator_shares // validator.tokens), delegation.shares)
        tokens = amount
    return remove_shares(store, ctx, delegation, validator, shares, tokens, params), tokens


def remove_shares(store: StoreView, ctx: BlockContext, delegation: Delegation, validator: Validator, shares: int,
                  tokens: int, params: Params) -> Validator:
    """Take `shares` worth `tokens` out of a delegation and its validator. An operator whose own stake
    falls below the minimum is jailed (as Cosmos); a validator left unbonded and without shares is removed."""
    delegator = delegation.delegator
    call_hooks(ctx, BEFORE_DELEGATION_MODIFIED, store, delegator, validator.operator)
    left = delegation.shares - shares
    if left:
        store.set(get_delegation_key(delegator, validator.operator), replace(delegation, shares=left))
    else:
        store.delete(get_delegation_key(delegator, validator.operator))
        call_hooks(ctx, AFTER_DELEGATION_REMOVED, store, delegator, validator.operator)
    validator = replace(validator, tokens=validator.tokens - tokens, delegator_shares=validator.delegator_shares - shares)
    if delegator == validator.operator and not validator.jailed:
        if compute_tokens_of_shares(validator, left) < params.min_self_delegation:
            validator = replace(validator, jailed=True)
    if validator.status == UNBONDED and validator.delegator_shares == 0:
        remove_validator(store, ctx, validator.operator)
    else:
        set_validator(store, validator)
    return validator


# -- unbonding and redelegation entries -------------------------------------------------------


def get_unbonding(store: StoreView, delegator: bytes, validator: bytes) -> UnbondingDelegation | None:
    return store.get(get_unbonding_key(delegator, validator), UnbondingDelegation)


def check_room_for_entry(entries: tuple, height: int, params: Params, what: str) -> None:
    """At most `max_entries` per record, so one delegator cannot grow a record (or a queue walk) without bound;
    a second entry in the same block merges into the first."""
    if len(entries) >= params.max_entries and all(e.creation_height != height for e in entries):
        raise TooManyEntriesError(f"{what} already has {len(entries)} entries, the max is {params.max_entries}")


def add_unbonding_entry(store: StoreView, delegator: bytes, validator: bytes, height: int, completion_ms: int,
                        amount: int, params: Params) -> None:
    ubd = get_unbonding(store, delegator, validator)
    entries = () if ubd is None else ubd.entries
    check_room_for_entry(entries, height, params, "the unbonding delegation")
    merged = [e for e in entries if e.creation_height == height]
    if merged:
        entry = merged[0]
        new = replace(entry, initial_balance=entry.initial_balance + amount, balance=entry.balance + amount)
        entries = tuple(new if e is entry else e for e in entries)
    else:
        entries = (*entries, UnbondingEntry(height, completion_ms, amount, amount))
        store.set(get_unbonding_queue_key(completion_ms, delegator, validator), Marker())
    if ubd is None:
        store.set(get_unbonding_by_validator_key(delegator, validator), Marker())
    store.set(get_unbonding_key(delegator, validator), UnbondingDelegation(delegator, validator, entries))


def set_unbonding_entries(store: StoreView, ubd: UnbondingDelegation, entries: tuple[UnbondingEntry, ...]) -> None:
    store_entries(store, get_unbonding_key(ubd.delegator, ubd.validator), ubd, entries,
                  lambda time_ms: get_unbonding_queue_key(time_ms, ubd.delegator, ubd.validator))
    if not entries:
        store.delete(get_unbonding_by_validator_key(ubd.delegator, ubd.validator))


def set_redelegation_entries(store: StoreView, red: Redelegation, entries: tuple[RedelegationEntry, ...]) -> None:
    store_entries(store, get_redelegation_key(red.delegator, red.src_validator, red.dst_validator), red, entries,
                  lambda time_ms: get_redelegation_queue_key(time_ms, red.delegator, red.src_validator, red.dst_validator))
    if not entries:
        store.delete(get_redelegation_by_src_key(red.delegator, red.src_validator, red.dst_validator))


def store_entries(store: StoreView, key: bytes, record: UnbondingDelegation | Redelegation, entries: tuple,
                  get_queue_key: Callable[[int], bytes]) -> None:
    """Store what is left of an unbonding or redelegation record, dropping the queue keys no entry is
    due at any more: every queue key then names a record with an entry due at its time."""
    for gone in {e.completion_time_ms for e in record.entries} - {e.completion_time_ms for e in entries}:
        store.delete(get_queue_key(gone))
    if entries:
        store.set(key, replace(record, entries=entries))
    else:
        store.delete(key)


def get_redelegation(store: StoreView, delegator: bytes, src: bytes, dst: bytes) -> Redelegation | None:
    return store.get(get_redelegation_key(delegator, src, dst), Redelegation)


def has_receiving_redelegation(store: StoreView, delegator: bytes, validator: bytes) -> bool:
    """Stake of `delegator` was redelegated to `validator` and has not matured (so it may not hop on)."""
    for _ in store.iterate(REDELEGATION_PREFIX + delegator + validator, Redelegation):
        return True
    return False


def add_redelegation_entry(store: StoreView, delegator: bytes, src: bytes, dst: bytes, height: int, completion_ms: int,
                           amount: int, shares_dst: int, params: Params) -> None:
    red = get_redelegation(store, delegator, src, dst)
    entries = () if red is None else red.entries
    check_room_for_entry(entries, height, params, "the redelegation")
    merged = [e for e in entries if e.creation_height == height]
    if merged:
        entry = merged[0]
        new = replace(entry, initial_balance=entry.initial_balance + amount, balance=entry.balance + amount,
                      shares_dst=entry.shares_dst + shares_dst)
        entries = tuple(new if e is entry else e for e in entries)
    else:
        entries = (*entries, RedelegationEntry(height, completion_ms, amount, amount, shares_dst))
        store.set(get_redelegation_queue_key(completion_ms, delegator, src, dst), Marker())
    if red is None:
        store.set(get_redelegation_by_src_key(delegator, src, dst), Marker())
    store.set(get_redelegation_key(delegator, src, dst), Redelegation(delegator, src, dst, entries))
