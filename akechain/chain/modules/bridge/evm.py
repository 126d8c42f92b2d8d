"""The EVM side's hashes and signatures, computed exactly as `AkeBridge.sol` computes them.

Pure functions over bytes and ints (ABI encoding by eth-abi, keccak by eth-utils, secp256k1 by
eth-keys): the bridge module verifies orchestrators' signatures with them in the state transition,
the orchestrator signs with them, and the contract tests check that both sides agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import eth_abi
import eth_keys
import eth_keys.exceptions
from eth_utils import keccak

EVM_ADDRESS_LENGTH = 20
POWER_SCALE = 2**32  # valset powers are normalised to this total, as Gravity does
_CHECKPOINT_TAG = keccak(b"checkpoint")
_BATCH_TAG = keccak(b"transactionBatch")
_REGISTER_TAG = keccak(b"registerEvmKey")
_PERSONAL_SIGN_PREFIX = b"\x19Ethereum Signed Message:\n32"


class EvmSignatureError(ValueError):
    """Bytes that are not a valid secp256k1 signature, key or address."""


@dataclass(frozen=True, slots=True)
class EvmSignature:
    """A recoverable secp256k1 signature in the contract's form (v is 27 or 28)."""

    v: int
    r: int
    s: int

    def as_tuple(self) -> tuple[int, bytes, bytes]:
        return (self.v, self.r.to_bytes(32, "big"), self.s.to_bytes(32, "big"))

    def to_bytes(self) -> bytes:
        return self.r.to_bytes(32, "big") + self.s.to_bytes(32, "big") + bytes([self.v])

    @classmethod
    def from_bytes(cls, raw: bytes) -> "EvmSignature":
        if len(raw) != 65 or raw[64] not in (27, 28):
            raise EvmSignatureError("an EVM signature is 65 bytes r ‖ s ‖ v with v 27 or 28")
        return cls(v=raw[64], r=int.from_bytes(raw[:32], "big"), s=int.from_bytes(raw[32:64], "big"))


def compute_bridge_id(chain_id: str) -> bytes:
    """The 32 bytes that bind every bridge signature to one AKE chain."""
    return keccak(b"akechain-bridge:" + chain_id.encode())


def valset_checkpoint(bridge_id: bytes, valset_nonce: int, validators: Sequence[bytes], powers: Sequence[int]) -> bytes:
    return keccak(
        eth_abi.encode(
            ["bytes32", "bytes32", "uint256", "address[]", "uint256[]"],
            [bridge_id, _CHECKPOINT_TAG, valset_nonce, list(validators), list(powers)],
        )
    )


def batch_digest(
    bridge_id: bytes, amounts: Sequence[int], destinations: Sequence[bytes], batch_nonce: int, batch_timeout: int
) -> bytes:
    return keccak(
        eth_abi.encode(
            ["bytes32", "bytes32", "uint256[]", "address[]", "uint256", "uint256"],
            [bridge_id, _BATCH_TAG, list(amounts), list(destinations), batch_nonce, batch_timeout],
        )
    )


def registration_digest(bridge_id: bytes, operator: bytes) -> bytes:
    """What a validator's EVM key signs to prove it belongs to that validator on that chain."""
    return keccak(eth_abi.encode(["bytes32", "bytes32", "bytes"], [bridge_id, _REGISTER_TAG, operator]))


def normalise_powers(powers: Sequence[int]) -> list[int]:
    """Scale powers to a POWER_SCALE total, rounding down (the contract sums what it is given, so
    rounding never lets less than 2/3 of the real power pass by more than a rounding unit each)."""
    total = sum(powers)
    if total <= 0:
        raise ValueError("a validator set needs positive total power")
    return [p * POWER_SCALE // total for p in powers]


def _personal_hash(digest: bytes) -> bytes:
    return keccak(_PERSONAL_SIGN_PREFIX + digest)


def sign_digest(private_key: bytes, digest: bytes) -> EvmSignature:
    """Sign as `eth_sign` does (EIP-191 personal form), what the contract's ECDSA recovery expects."""
    signature = eth_keys.keys.PrivateKey(private_key).sign_msg_hash(_personal_hash(digest))
    return EvmSignature(v=signature.v + 27, r=signature.r, s=signature.s)


def recover_signer(digest: bytes, signature: EvmSignature) -> bytes:
    """The 20-byte address that made `signature` over `digest`; malleable (high-s) signatures are
    refused, as OpenZeppelin's ECDSA does."""
    if not 0 < signature.r < eth_keys.constants.SECPK1_N or not 0 < signature.s <= eth_keys.constants.SECPK1_N // 2:
        raise EvmSignatureError("signature r or s out of range (high s is malleable)")
    try:
        sig = eth_keys.keys.Signature(vrs=(signature.v - 27, signature.r, signature.s))
        public_key = sig.recover_public_key_from_msg_hash(_personal_hash(digest))
    except (eth_keys.exceptions.BadSignature, eth_keys.exceptions.ValidationError, ValueError) as exc:
        raise EvmSignatureError(f"signature does not recover: {exc}") from exc
    return public_key.to_canonical_address()


def evm_address(private_key: bytes) -> bytes:
    return eth_keys.keys.PrivateKey(private_key).public_key.to_canonical_address()
