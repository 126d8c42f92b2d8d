"""The bridge keeper: its records, the active set's power as the bridge sees it, and punishment.
Other modules are reached through their keepers (staking for the set and slashes, bank for funds)."""
from __future__ import annotations

import hashlib
from dataclasses import replace

from akechain.chain.modules.bridge.records import (
    CHECKPOINT_PREFIX,
    EVENT_NONCE_PREFIX,
    EVM_KEY_PREFIX,
    EVM_OWNER_PREFIX,
    INITIAL_STATE,
    STATE_KEY,
    VALSET_PREFIX,
    BATCH_PREFIX,
    Batch,
    BridgeState,
    Confirm,
    EvmKey,
    EvmOwner,
    LastEventNonce,
    Marker,
    SigningRequest,
    Valset,
    get_confirm_prefix,
    get_signing_key,
    u64,
)
from akechain.chain.modules.staking import slash as staking_slash
from akechain.chain.modules.staking.endblock import get_last_powers
from akechain.chain.modules.staking.keeper import get_validator, require_validator
from akechain.chain.store import BlockContext, StoreView
from state.codec import encode


def get_state(store: StoreView) -> BridgeState:
    state = store.get(STATE_KEY, BridgeState)
    return INITIAL_STATE if state is None else state


def set_state(store: StoreView, state: BridgeState) -> None:
    store.set(STATE_KEY, state)


def get_evm_key(store: StoreView, operator: bytes) -> bytes | None:
    key = store.get(EVM_KEY_PREFIX + operator, EvmKey)
    return None if key is None else key.address


def get_evm_owner(store: StoreView, evm_address: bytes) -> bytes | None:
    owner = store.get(EVM_OWNER_PREFIX + evm_address, EvmOwner)
    return None if owner is None else owner.operator


def set_evm_key(store: StoreView, operator: bytes, evm_address: bytes) -> None:
    store.set(EVM_KEY_PREFIX + operator, EvmKey(evm_address))
    store.set(EVM_OWNER_PREFIX + evm_address, EvmOwner(operator))


def get_valset(store: StoreView, nonce: int) -> Valset | None:
    return store.get(VALSET_PREFIX + u64(nonce), Valset)


def get_latest_valset(store: StoreView) -> Valset | None:
    count = get_state(store).valset_count
    return get_valset(store, count - 1) if count else None


def get_batch(store: StoreView, nonce: int) -> Batch | None:
    return store.get(BATCH_PREFIX + u64(nonce), Batch)


def get_signing_request(store: StoreView, kind: int, nonce: int) -> SigningRequest | None:
    return store.get(get_signing_key(kind, nonce), SigningRequest)


def get_confirm(store: StoreView, kind: int, nonce: int, operator: bytes) -> Confirm | None:
    return store.get(get_confirm_prefix(kind, nonce) + operator, Confirm)


def iterate_confirms(store: StoreView, kind: int, nonce: int):
    """(operator, Confirm) of one signing request, by operator."""
    prefix = get_confirm_prefix(kind, nonce)
    for key, confirm in store.iterate(prefix, Confirm):
        yield key[len(prefix):], confirm


def delete_confirms(store: StoreView, kind: int, nonce: int) -> None:
    for operator, _ in list(iterate_confirms(store, kind, nonce)):
        store.delete(get_confirm_prefix(kind, nonce) + operator)


def is_known_digest(store: StoreView, digest: bytes) -> bool:
    return store.get(CHECKPOINT_PREFIX + digest, Marker) is not None


def remember_digest(store: StoreView, digest: bytes) -> None:
    store.set(CHECKPOINT_PREFIX + digest, Marker())


def get_last_event_nonce(store: StoreView, operator: bytes) -> int:
    """The last event nonce `operator` claimed; never below the last one executed (a validator that
    joined later, or fell behind, goes on from there)."""
    own = store.get(EVENT_NONCE_PREFIX + operator, LastEventNonce)
    return max(0 if own is None else own.nonce, get_state(store).last_observed_event_nonce)


def set_last_event_nonce(store: StoreView, operator: bytes, nonce: int) -> None:
    store.set(EVENT_NONCE_PREFIX + operator, LastEventNonce(nonce))


def compute_claim_hash(claim: object) -> bytes:
    return hashlib.sha256(encode(claim)).digest()


def get_active_powers(store: StoreView) -> dict[bytes, int]:
    """Operator -> consensus power of the active set (as consensus was last given it)."""
    return get_last_powers(store)


def has_supermajority(power: int, total: int) -> bool:
    return total > 0 and power * 3 > total * 2


def process_punishment(store: StoreView, ctx: BlockContext, operator: bytes, fraction_bps: int) -> int:
    """Slash `fraction_bps` of the validator's stake and jail it (as slashing does for downtime);
    returns the uake burned. A tombstoned or removed validator has nothing left to punish."""
    validator = get_validator(store, operator)
    if validator is None or validator.tombstoned:
        return 0
    burned = staking_slash.process_slash(store, ctx, operator, ctx.height, validator.tokens, fraction_bps)
    validator = require_validator(store, operator)
    if not validator.jailed:
        staking_slash.jail(store, validator)
    return burned


def increase_evm_supply(store: StoreView, amount: int) -> None:
    state = get_state(store)
    set_state(store, replace(state, evm_supply=state.evm_supply + amount))
