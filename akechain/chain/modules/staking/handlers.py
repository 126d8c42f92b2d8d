"""The staking message server: verify what state must allow, call the keeper, emit events."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.crypto import Address, compute_address, format_address
from akechain.chain.modules.staking import keeper as k
from akechain.chain.modules.staking.errors import (
    CancelTooMuchError,
    CommissionAboveMaxError,
    CommissionChangeError,
    ConsensusKeyInUseError,
    ConsensusKeyIsAccountKeyError,
    SelfDelegationTooLowError,
    TransitiveRedelegationError,
    UnbondingEntryNotFoundError,
    ValidatorExistsError,
)
from akechain.chain.modules.staking.msgs import (
    MsgBeginRedelegate,
    MsgCancelUnbondingDelegation,
    MsgCreateValidator,
    MsgDelegate,
    MsgEditValidator,
    MsgUndelegate,
)
from akechain.chain.modules.staking.params import DAY_MS, get_params
from akechain.chain.modules.staking.records import (
    BONDED,
    CONSENSUS_ADDRESS_PREFIX,
    CONSENSUS_KEY_PREFIX,
    NOT_BONDED_POOL,
    UNBONDED,
    UNBONDING,
    ConsensusKey,
    Validator,
)
from akechain.chain.store import BlockContext, Event, StoreView, make_event
from consensus.types import address_of


def process_create_validator(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgCreateValidator) -> list[Event]:
    params = get_params(store)
    # Verify the operator has no validator and the consensus key is its own, fresh, and not its account key
    if k.get_validator(store, sender) is not None:
        raise ValidatorExistsError(f"{format_address(sender)} already operates a validator")
    if store.get(CONSENSUS_KEY_PREFIX + msg.consensus_pub_key, ConsensusKey) is not None:
        raise ConsensusKeyInUseError(f"consensus key {msg.consensus_pub_key.hex()} is already used by a validator")
    if compute_address(msg.consensus_pub_key) == sender:
        raise ConsensusKeyIsAccountKeyError("the consensus key must differ from the operator's account key")
    # Verify the self-delegation meets the minimum
    if msg.self_delegation < params.min_self_delegation:
        raise SelfDelegationTooLowError(
            f"self-delegation {msg.self_delegation} uake is below the minimum {params.min_self_delegation} uake")
    validator = Validator(
        operator=sender, consensus_pub_key=msg.consensus_pub_key, moniker=msg.moniker,
        commission_rate_bps=msg.commission_rate_bps, max_rate_bps=msg.max_rate_bps,
        max_change_rate_bps=msg.max_change_rate_bps, commission_updated_ms=ctx.time_ms, tokens=0,
        delegator_shares=0, status=UNBONDED, jailed=False, tombstoned=False, unbonding_height=0,
        unbonding_time_ms=0, creation_height=ctx.height,
    )
    store.set(CONSENSUS_KEY_PREFIX + msg.consensus_pub_key, ConsensusKey(sender))
    store.set(CONSENSUS_ADDRESS_PREFIX + address_of(msg.consensus_pub_key), ConsensusKey(sender))
    k.set_validator(store, validator)
    k.process_delegation(store, ctx, sender, validator, msg.self_delegation, sender)
    return [make_event("create_validator", validator=format_address(sender), consensus_pub_key=msg.consensus_pub_key.hex(),
                       amount=msg.self_delegation)]


def process_edit_validator(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgEditValidator) -> list[Event]:
    validator = k.require_validator(store, sender)
    if msg.moniker is not None:
        validator = replace(validator, moniker=msg.moniker)
    rate = msg.commission_rate_bps
    if rate is not None and rate != validator.commission_rate_bps:
        # Verify the new commission: within the max, within the daily max change, a day after the last change
        if rate > validator.max_rate_bps:
            raise CommissionAboveMaxError(f"commission {rate} bps is above the validator's max rate {validator.max_rate_bps} bps")
        if abs(rate - validator.commission_rate_bps) > validator.max_change_rate_bps:
            raise CommissionChangeError(
                f"commission may change by at most {validator.max_change_rate_bps} bps a day, asked "
                f"{validator.commission_rate_bps} -> {rate} bps")
        if ctx.time_ms < validator.commission_updated_ms + DAY_MS:
            raise CommissionChangeError("the commission changes at most once a day")
        validator = replace(validator, commission_rate_bps=rate, commission_updated_ms=ctx.time_ms)
    k.set_validator(store, validator)
    return [make_event("edit_validator", validator=format_address(sender), moniker=validator.moniker,
                       commission_rate_bps=validator.commission_rate_bps)]


def process_delegate(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgDelegate) -> list[Event]:
    validator = k.require_validator(store, msg.validator)
    _, shares = k.process_delegation(store, ctx, sender, validator, msg.amount, sender)
    return [make_event("delegate", validator=format_address(msg.validator), amount=msg.amount, shares=shares)]


def process_undelegate(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgUndelegate) -> list[Event]:
    params = get_params(store)
    validator = k.require_validator(store, msg.validator)
    validator, tokens = k.process_unbond(store, ctx, sender, validator, msg.amount, params)
    k.move_between_pools(store, k.get_pool(validator.status), NOT_BONDED_POOL, tokens)
    completion = ctx.time_ms + params.unbonding_time_ms
    k.add_unbonding_entry(store, sender, msg.validator, ctx.height, completion, tokens, params)
    return [make_event("undelegate", validator=format_address(msg.validator), amount=tokens, completion_time_ms=completion)]


def process_begin_redelegate(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgBeginRedelegate) -> list[Event]:
    params = get_params(store)
    src = k.require_validator(store, msg.src_validator)
    dst = k.require_validator(store, msg.dst_validator)
    # Verify the stake did not itself arrive at the source by a redelegation still in progress
    if k.has_receiving_redelegation(store, sender, msg.src_validator):
        raise TransitiveRedelegationError(
            "stake redelegated to the source validator cannot move on until that redelegation completes")
    src, tokens = k.process_unbond(store, ctx, sender, src, msg.amount, params)
    dst, shares = k.process_delegation(store, ctx, sender, dst, tokens, k.get_pool(src.status))
    # The moved stake stays slashable for the source's offences while the source could still be punished
    completion = {BONDED: ctx.time_ms + params.unbonding_time_ms, UNBONDING: src.unbonding_time_ms}.get(src.status)
    if completion is not None:
        k.add_redelegation_entry(store, sender, msg.src_validator, msg.dst_validator, ctx.height, completion, tokens,
                                 shares, params)
    return [make_event("redelegate", src_validator=format_address(msg.src_validator),
                       dst_validator=format_address(msg.dst_validator), amount=tokens,
                       completion_time_ms=ctx.time_ms if completion is None else completion)]


def process_cancel_unbonding(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgCancelUnbondingDelegation) -> list[Event]:
    ubd = k.get_unbonding(store, sender, msg.validator)
    entry = None if ubd is None else next((e for e in ubd.entries if e.creation_height == msg.creation_height), None)
    # Verify the entry exists, has not matured and holds the amount
    if ubd is None or entry is None or entry.completion_time_ms <= ctx.time_ms:
        raise UnbondingEntryNotFoundError(
            f"no pending unbonding entry from height {msg.creation_height} at validator {msg.validator.hex()}")
    if msg.amount > entry.balance:
        raise CancelTooMuchError(f"cancelling {msg.amount} uake but the entry holds {entry.balance} uake")
    validator = k.require_validator(store, msg.validator)
    k.process_delegation(store, ctx, sender, validator, msg.amount, NOT_BONDED_POOL)
    left = replace(entry, initial_balance=entry.initial_balance - msg.amount, balance=entry.balance - msg.amount)
    entries = tuple(left if e is entry else e for e in ubd.entries)
    k.set_unbonding_entries(store, ubd, entries if left.balance else tuple(e for e in entries if e is not left))
    return [make_event("cancel_unbonding", validator=format_address(msg.validator), amount=msg.amount,
                       creation_height=msg.creation_height)]


HANDLERS = {
    MsgCreateValidator: process_create_validator,
    MsgEditValidator: process_edit_validator,
    MsgDelegate: process_delegate,
    MsgUndelegate: process_undelegate,
    MsgBeginRedelegate: process_begin_redelegate,
    MsgCancelUnbondingDelegation: process_cancel_unbonding,
}
