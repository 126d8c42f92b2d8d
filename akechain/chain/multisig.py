"""k-of-n multisig accounts of ed25519 keys, carried in a tx's existing `pub_key` and `signature` bytes.

A multisig key is `0x01 || threshold || key_1 || ... || key_n` with the n ed25519 keys strictly
ascending (so one key set and threshold has one encoding, and no key counts twice); its address is
the first 20 bytes of sha256("ake/multisig" || that encoding): it commits to the set and the
threshold, and the domain keeps it apart from single-key addresses. A multisig signature is a run
of `index || signature` entries (the key's place in the set, strictly ascending) over the same
sign bytes as any tx, at least `threshold` of them, all valid. Neither form can be mistaken for a
single key (32 bytes) or signature (64 bytes): their lengths are 2 + 32n and 65m.

The tx codec is untouched, so single-key txs encode exactly as before. The extra signature checks
(at most MAX_MULTISIG_KEYS) are paid for by the fee per byte of the 65-byte entries.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

from akechain.chain.crypto import (
    ADDRESS_LENGTH,
    PUB_KEY_LENGTH,
    SIGNATURE_LENGTH,
    Address,
    KeyFormatError,
    compute_address,
    is_valid_signature,
)

MULTISIG_TAG = 0x01
MAX_MULTISIG_KEYS = 16
ENTRY_LENGTH = 1 + SIGNATURE_LENGTH
ADDRESS_DOMAIN = b"ake/multisig"


@dataclass(frozen=True, slots=True)
class MultisigKey:
    threshold: int
    pub_keys: tuple[bytes, ...]  # strictly ascending


def is_multisig_key(pub_key: bytes) -> bool:
    return len(pub_key) != PUB_KEY_LENGTH


def encode_multisig_key(threshold: int, pub_keys: Sequence[bytes]) -> bytes:
    """The canonical multisig key of a set (any order given; duplicates refused)."""
    keys = tuple(sorted(pub_keys))
    key = MultisigKey(threshold, keys)
    check_multisig_key(key)
    return bytes([MULTISIG_TAG, threshold]) + b"".join(keys)


def check_multisig_key(key: MultisigKey) -> None:
    n = len(key.pub_keys)
    if not 2 <= n <= MAX_MULTISIG_KEYS:
        raise KeyFormatError(f"a multisig key holds 2 to {MAX_MULTISIG_KEYS} keys, got {n}")
    if not 1 <= key.threshold <= n:
        raise KeyFormatError(f"multisig threshold must be 1 to {n}, got {key.threshold}")
    if any(len(k) != PUB_KEY_LENGTH for k in key.pub_keys):
        raise KeyFormatError(f"multisig members must be {PUB_KEY_LENGTH}-byte ed25519 keys")
    if any(a >= b for a, b in zip(key.pub_keys, key.pub_keys[1:])):
        raise KeyFormatError("multisig keys must be distinct and in ascending order")


def decode_multisig_key(pub_key: bytes) -> MultisigKey:
    if len(pub_key) < 2 or pub_key[0] != MULTISIG_TAG or (len(pub_key) - 2) % PUB_KEY_LENGTH:
        raise KeyFormatError(f"a key is {PUB_KEY_LENGTH} bytes (ed25519) or a multisig key, got {len(pub_key)} bytes")
    body = pub_key[2:]
    key = MultisigKey(pub_key[1], tuple(body[i:i + PUB_KEY_LENGTH] for i in range(0, len(body), PUB_KEY_LENGTH)))
    check_multisig_key(key)
    return key


def compute_account_address(pub_key: bytes) -> Address:
    """The address a tx's `pub_key` (an ed25519 key or a multisig key) signs for."""
    if not is_multisig_key(pub_key):
        return compute_address(pub_key)
    decode_multisig_key(pub_key)
    return Address(hashlib.sha256(ADDRESS_DOMAIN + pub_key).digest()[:ADDRESS_LENGTH])


def encode_multisig_signature(signatures: dict[int, bytes]) -> bytes:
    """Entries for {index in the sorted key set: signature}, in index order."""
    return b"".join(bytes([index]) + signatures[index] for index in sorted(signatures))


def decode_multisig_signature(signature: bytes, key: MultisigKey) -> dict[int, bytes]:
    """{index: signature}; raises KeyFormatError for a malformed run or one below the threshold."""
    if len(signature) % ENTRY_LENGTH:
        raise KeyFormatError(f"a multisig signature is {ENTRY_LENGTH}-byte entries, got {len(signature)} bytes")
    entries = [signature[i:i + ENTRY_LENGTH] for i in range(0, len(signature), ENTRY_LENGTH)]
    indexes = [entry[0] for entry in entries]
    if any(a >= b for a, b in zip(indexes, indexes[1:])) or (indexes and indexes[-1] >= len(key.pub_keys)):
        raise KeyFormatError("multisig signature indexes must ascend and name keys of the set")
    if len(entries) < key.threshold:
        raise KeyFormatError(f"{len(entries)} signatures, the multisig needs {key.threshold} of {len(key.pub_keys)}")
    return {entry[0]: entry[1:] for entry in entries}


def is_valid_multisig(pub_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` holds at least threshold valid signatures of distinct members; never raises."""
    try:
        key = decode_multisig_key(pub_key)
        signatures = decode_multisig_signature(signature, key)
    except KeyFormatError:
        return False
    return all(is_valid_signature(key.pub_keys[i], message, s) for i, s in signatures.items())
