"""Slashing's laws: each missed-blocks counter is the bits set in its bitmap and fits the window, and
a tombstone is for good (staking's record and the signing info agree, and it stays jailed)."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.slashing.records import (
    MISSED_CHUNK_PREFIX,
    SIGNING_INFO_PREFIX,
    MissedChunk,
    SigningInfo,
)
from akechain.chain.modules.staking.keeper import get_validator_by_consensus_address
from akechain.chain.modules.staking.records import VALIDATOR_PREFIX, Validator
from akechain.chain.store import StoreView
from consensus.types import address_of

ADDR = 20


def check_missed_counters(store: StoreView) -> None:
    bits: dict[bytes, int] = {}
    for key, chunk in store.iterate(MISSED_CHUNK_PREFIX, MissedChunk):
        address = key[1:1 + ADDR]
        bits[address] = bits.get(address, 0) + sum(bin(b).count("1") for b in chunk.bits)
    for key, info in store.iterate(SIGNING_INFO_PREFIX, SigningInfo):
        address = key[1:]
        counted = bits.pop(address, 0)
        if counted != info.missed_blocks_counter or counted > info.window:
            raise InvariantBrokenError(f"signing info {address.hex()} counts {info.missed_blocks_counter} missed blocks, "
                                       f"its bitmap {counted} (window {info.window})")
    if bits:
        raise InvariantBrokenError(f"missed-blocks bits without a signing info: {sorted(a.hex() for a in bits)}")


def check_tombstones(store: StoreView) -> None:
    for key, info in store.iterate(SIGNING_INFO_PREFIX, SigningInfo):
        validator = get_validator_by_consensus_address(store, key[1:])
        if validator is None or validator.operator != info.operator:
            continue  # a removed validator's record (its key may be taken anew: the first vote resets it)
        if info.tombstoned and not (validator.tombstoned and validator.jailed):
            raise InvariantBrokenError(f"validator {validator.operator.hex()} double-signed but is not jailed for good")
    for _, validator in store.iterate(VALIDATOR_PREFIX, Validator):
        if validator.tombstoned:
            info = store.get(SIGNING_INFO_PREFIX + address_of(validator.consensus_pub_key), SigningInfo)
            if not validator.jailed or info is None or not info.tombstoned:
                raise InvariantBrokenError(f"tombstoned validator {validator.operator.hex()} is free or forgot its offence")


INVARIANTS = {
    "missed-counters": check_missed_counters,
    "tombstones": check_tombstones,
}
