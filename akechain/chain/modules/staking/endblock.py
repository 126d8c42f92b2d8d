"""End of block: mature the queues due by this block's time, then (after every module's end block)
recompute the active set and hand consensus only the changes (Cosmos' ApplyAndReturnValidatorSetUpdates).

Each queue is read from its front and only up to this block's time; the active set is read from the
front of the power index, at most `max_validators` deep, and diffed against the last set given to
consensus (at most `max_validators` records): no step walks over all delegations.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from akechain.chain.crypto import format_address
from akechain.chain.modules.staking import keeper as k
from akechain.chain.modules.staking.params import Params, get_params
from akechain.chain.modules.staking.records import (
    BONDED,
    BONDED_POOL,
    LAST_POWER_PREFIX,
    NOT_BONDED_POOL,
    POWER_INDEX_PREFIX,
    REDELEGATION_QUEUE_PREFIX,
    UNBONDED,
    UNBONDING,
    UNBONDING_QUEUE_PREFIX,
    VALIDATOR_QUEUE_PREFIX,
    LastPower,
    Marker,
    Validator,
    get_validator_queue_key,
    u64,
)
from akechain.chain.store import BlockContext, Event, StoreView, make_event
from consensus.abci import ValidatorUpdate

ADDR = 20


def iterate_due(store: StoreView, prefix: bytes, time_ms: int) -> Iterator[bytes]:
    """Queue keys under `prefix` due at or before `time_ms`, front first; each is deleted as it is taken."""
    end = prefix + u64(time_ms + 1)
    for key, _ in store.iterate(prefix, Marker):
        if key >= end:
            return
        store.delete(key)
        yield key[len(prefix) + 8:]


def process_end_block(store: StoreView, ctx: BlockContext) -> list[Event]:
    events: list[Event] = []
    for rest in iterate_due(store, UNBONDING_QUEUE_PREFIX, ctx.time_ms):
        events.extend(complete_unbonding(store, ctx, rest[:ADDR], rest[ADDR:]))
    for rest in iterate_due(store, REDELEGATION_QUEUE_PREFIX, ctx.time_ms):
        complete_redelegation(store, ctx, rest[:ADDR], rest[2 * ADDR:], rest[ADDR:2 * ADDR])
    for operator in iterate_due(store, VALIDATOR_QUEUE_PREFIX, ctx.time_ms):
        validator = k.require_validator(store, operator)
        validator = replace(validator, status=UNBONDED, unbonding_height=0, unbonding_time_ms=0)
        if validator.delegator_shares == 0:
            k.remove_validator(store, ctx, operator)
        else:
            k.set_validator(store, validator)
        events.append(make_event("validator_unbonded", validator=format_address(operator)))
    return events


def complete_unbonding(store: StoreView, ctx: BlockContext, delegator: bytes, validator: bytes) -> list[Event]:
    """Pay out every matured entry of one unbonding delegation from the not-bonded pool."""
    ubd = k.get_unbonding(store, delegator, validator)
    if ubd is None:
        raise k.StakingBrokenError(f"unbonding queue names a missing record {delegator.hex()}/{validator.hex()}")
    matured = [e for e in ubd.entries if e.completion_time_ms <= ctx.time_ms]
    amount = sum(e.balance for e in matured)
    k.move_between_pools(store, NOT_BONDED_POOL, delegator, amount)
    k.set_unbonding_entries(store, ubd, tuple(e for e in ubd.entries if e.completion_time_ms > ctx.time_ms))
    return [make_event("complete_unbonding", delegator=format_address(delegator), validator=format_address(validator),
                       amount=amount)]


def complete_redelegation(store: StoreView, ctx: BlockContext, delegator: bytes, src: bytes, dst: bytes) -> None:
    """Drop matured redelegation entries: the stake already sits with the destination; only its
    slashability for the source's offences (and the no-hop rule) ends."""
    red = k.get_redelegation(store, delegator, src, dst)
    if red is None:
        raise k.StakingBrokenError(f"redelegation queue names a missing record {delegator.hex()}/{src.hex()}/{dst.hex()}")
    k.set_redelegation_entries(store, red, tuple(e for e in red.entries if e.completion_time_ms > ctx.time_ms))


# -- the active set ---------------------------------------------------------------------------


def get_last_powers(store: StoreView) -> dict[bytes, int]:
    return {key[len(LAST_POWER_PREFIX):]: last.power for key, last in store.iterate(LAST_POWER_PREFIX, LastPower)}


def iterate_candidates(store: StoreView, params: Params) -> Iterator[tuple[Validator, int]]:
    """The strongest validators with power, at most `max_validators`: by tokens, then operator bytes."""
    taken = 0
    for key, _ in store.iterate(POWER_INDEX_PREFIX, Marker):
        if taken == params.max_validators:
            return
        validator = k.require_validator(store, key[len(POWER_INDEX_PREFIX) + 8:])
        power = k.compute_power(validator.tokens, params)
        if power == 0:
            return
        taken += 1
        yield validator, power


def apply_validator_set_updates(store: StoreView, ctx: BlockContext) -> list[ValidatorUpdate]:
    """Bond the new active set, start unbonding those that left it, and return the power changes
    (power 0 removes), in operator order; consensus applies them from height H+2."""
    params = get_params(store)
    last = get_last_powers(store)
    changes: dict[bytes, ValidatorUpdate] = {}
    active: set[bytes] = set()
    for validator, power in iterate_candidates(store, params):
        active.add(validator.operator)
        if validator.status != BONDED:
            bond_validator(store, validator)
        if last.get(validator.operator) != power:
            store.set(LAST_POWER_PREFIX + validator.operator, LastPower(power))
            changes[validator.operator] = ValidatorUpdate(validator.consensus_pub_key, power)
    for operator in sorted(set(last) - active):
        validator = k.require_validator(store, operator)
        begin_unbonding_validator(store, ctx, validator, params)
        store.delete(LAST_POWER_PREFIX + operator)
        changes[operator] = ValidatorUpdate(validator.consensus_pub_key, 0)
    return [changes[operator] for operator in sorted(changes)]


def bond_validator(store: StoreView, validator: Validator) -> None:
    if validator.status == UNBONDING:
        store.delete(get_validator_queue_key(validator))
    k.move_between_pools(store, NOT_BONDED_POOL, BONDED_POOL, validator.tokens)
    k.set_validator(store, replace(validator, status=BONDED, unbonding_height=0, unbonding_time_ms=0))


def begin_unbonding_validator(store: StoreView, ctx: BlockContext, validator: Validator, params: Params) -> None:
    """Out of the active set: its tokens stay slashable in the not-bonded pool for the unbonding period."""
    k.move_between_pools(store, BONDED_POOL, NOT_BONDED_POOL, validator.tokens)
    validator = replace(validator, status=UNBONDING, unbonding_height=ctx.height,
                        unbonding_time_ms=ctx.time_ms + params.unbonding_time_ms)
    k.set_validator(store, validator)
    store.set(get_validator_queue_key(validator), Marker())


def get_validator_set(store: StoreView) -> list[ValidatorUpdate]:
    """The whole active set as consensus should hold it (what init_chain answers), in operator order."""
    return [
        ValidatorUpdate(k.require_validator(store, operator).consensus_pub_key, power)
        for operator, power in sorted(get_last_powers(store).items())
    ]
