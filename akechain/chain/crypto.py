"""Ed25519 account keys (pynacl) and bech32 addresses ("ake1…").

An address is the first 20 bytes of sha256(pub key): short enough for state keys, and it commits
to the key so a tx's sender address is derived, never claimed.
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from typing import NewType

import bech32
import nacl.bindings
import nacl.exceptions
import nacl.signing

Address = NewType("Address", bytes)

ADDRESS_PREFIX = "ake"
ADDRESS_LENGTH = 20
PUB_KEY_LENGTH = 32
SEED_LENGTH = 32
SIGNATURE_LENGTH = 64


class CryptoError(ValueError):
    """Malformed keys, addresses or signatures."""


class AddressError(CryptoError):
    """Text that is not a valid "ake1…" bech32 address."""


class KeyFormatError(CryptoError):
    """Bytes that are not a valid ed25519 seed or public key."""


def compute_address(pub_key: bytes) -> Address:
    if len(pub_key) != PUB_KEY_LENGTH:
        raise KeyFormatError(f"ed25519 public key must be {PUB_KEY_LENGTH} bytes, got {len(pub_key)}")
    return Address(hashlib.sha256(pub_key).digest()[:ADDRESS_LENGTH])


@functools.lru_cache(maxsize=1 << 16)
def module_account(name: str) -> Address:
    """The address of a module's account (escrow, collateral, bonds, pools): derived from its name,
    so no private key exists for it and only the module's own logic moves its funds."""
    return Address(hashlib.sha256(b"module/" + name.encode()).digest()[:20])


def format_address(address: bytes) -> str:
    """Bech32 text of an address; cached because pure-Python bech32 costs more than a signature
    check and every tx event names its sender and recipients."""
    if len(address) != ADDRESS_LENGTH:
        raise AddressError(f"address must be {ADDRESS_LENGTH} bytes, got {len(address)}")
    return _encode_address(bytes(address))


@functools.lru_cache(maxsize=65_536)
def _encode_address(address: bytes) -> str:
    return bech32.bech32_encode(ADDRESS_PREFIX, bech32.convertbits(address, 8, 5))


def parse_address(text: str) -> Address:
    if not isinstance(text, str):
        raise AddressError(f"address must be a string, got {type(text).__name__}")
    hrp, data = bech32.bech32_decode(text)
    if hrp is None or data is None:
        raise AddressError(f"{text!r} is not valid bech32 (bad characters, case or checksum)")
    if hrp != ADDRESS_PREFIX:
        raise AddressError(f"{text!r} has prefix {hrp!r}, expected {ADDRESS_PREFIX!r}")
    raw = bech32.convertbits(data, 5, 8, False)
    if raw is None or len(raw) != ADDRESS_LENGTH:
        raise AddressError(f"{text!r} does not encode a {ADDRESS_LENGTH}-byte address")
    return Address(bytes(raw))


def generate_signing_key() -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey.generate()


def signing_key_from_seed(seed: bytes) -> nacl.signing.SigningKey:
    if not isinstance(seed, bytes) or len(seed) != SEED_LENGTH:
        raise KeyFormatError(f"ed25519 seed must be {SEED_LENGTH} bytes")
    return nacl.signing.SigningKey(seed)


def get_pub_key(signing_key: nacl.signing.SigningKey) -> bytes:
    return bytes(signing_key.verify_key)


def get_address(signing_key: nacl.signing.SigningKey) -> Address:
    return compute_address(get_pub_key(signing_key))


def sign(signing_key: nacl.signing.SigningKey, message: bytes) -> bytes:
    return signing_key.sign(message).signature


def is_valid_signature(pub_key: bytes, message: bytes, signature: bytes) -> bool:
    """Ed25519 verification that never raises: malformed keys or signatures are simply invalid."""
    if len(pub_key) != PUB_KEY_LENGTH or len(signature) != SIGNATURE_LENGTH:
        return False
    try:
        nacl.bindings.crypto_sign_open(signature + message, pub_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.CryptoError, ValueError, TypeError):
        return False
    return True


SignatureCheck = tuple[bytes, bytes, bytes]  # (pub_key, message, signature)


def verify_signatures(checks: Sequence[SignatureCheck]) -> list[bool]:
    """`is_valid_signature` of each check, in order: the batch a worker process runs for the node
    (plain bytes in and booleans out, so it crosses a process boundary cheaply)."""
    return [is_valid_signature(pub_key, message, signature) for pub_key, message, signature in checks]
