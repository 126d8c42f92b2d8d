"""A verifiable random function over a validator's ed25519 key (ECVRF, RFC 9381's construction on
edwards25519, built from libsodium's group operations through pynacl).

Why not the proposer's ed25519 signature: a signature is deterministic only when the signer follows
RFC 8032; verification accepts any nonce, so a proposer can produce as many valid signatures of the
same message as it likes and keep the one whose hash suits it. A VRF output is unique: it is
`x·H(pub key, input)` for the key's secret scalar x, whatever nonce the proof used, and the proof
shows it was formed with x. So for one key and one input there is exactly one output that verifies.

Proof = Gamma (32) ‖ c (16) ‖ s (32): Gamma = x·H, and a Schnorr-style proof that log_B(Y) =
log_H(Gamma). Points are checked to be canonical and in the prime-order subgroup
(`crypto_core_ed25519_is_valid_point`), so no small-order component can vary Gamma.
"""
from __future__ import annotations

import hashlib

from nacl import bindings as sodium
from nacl.exceptions import RuntimeError as SodiumError

PROOF_SIZE = 80
OUTPUT_SIZE = 32
_C_SIZE = 16


class InvalidVrfProofError(ValueError):
    """A proof that does not show its output was formed with the claimed key."""


def compute_seed_input(chain_id: str, height: int) -> bytes:
    """What a proposer proves for a height: nothing it can choose."""
    encoded = chain_id.encode()
    return b"akechain/seed" + len(encoded).to_bytes(2, "big") + encoded + height.to_bytes(8, "big")


def prove(seed: bytes, alpha: bytes) -> bytes:
    """The proof for `alpha` by the ed25519 key with this 32-byte seed."""
    expanded = hashlib.sha512(seed).digest()
    x = _reduce(_clamp(expanded[:32]))
    public = sodium.crypto_scalarmult_ed25519_base_noclamp(x)
    h = _hash_to_curve(public, alpha)
    gamma = sodium.crypto_scalarmult_ed25519_noclamp(x, h)
    k = _reduce(hashlib.sha512(expanded[32:] + h).digest())  # deterministic nonce, as RFC 8032
    c = _challenge(public, h, gamma, sodium.crypto_scalarmult_ed25519_base_noclamp(k),
                   sodium.crypto_scalarmult_ed25519_noclamp(k, h))
    s = sodium.crypto_core_ed25519_scalar_add(k, sodium.crypto_core_ed25519_scalar_mul(_widen(c), x))
    return gamma + c + s


def verify(pub_key: bytes, alpha: bytes, proof: bytes) -> bytes:
    """The unique output of `pub_key` for `alpha`, if `proof` shows it; else InvalidVrfProofError."""
    if len(proof) != PROOF_SIZE or len(pub_key) != 32:
        raise InvalidVrfProofError(f"a VRF proof is {PROOF_SIZE} bytes and a key 32")
    gamma, c, s = proof[:32], proof[32:32 + _C_SIZE], proof[32 + _C_SIZE:]
    # Verify the points are canonical, in the prime-order subgroup, and s is a reduced scalar
    if not (sodium.crypto_core_ed25519_is_valid_point(pub_key) and sodium.crypto_core_ed25519_is_valid_point(gamma)):
        raise InvalidVrfProofError("VRF key or Gamma is not a prime-order point")
    if _reduce(s + bytes(32)) != s:
        raise InvalidVrfProofError("VRF proof scalar is not reduced")
    h = _hash_to_curve(pub_key, alpha)
    try:
        # U = s·B − c·Y, V = s·H − c·Gamma; both equal k·B and k·H for an honest proof
        u = sodium.crypto_core_ed25519_sub(sodium.crypto_scalarmult_ed25519_base_noclamp(s),
                                           sodium.crypto_scalarmult_ed25519_noclamp(_widen(c), pub_key))
        v = sodium.crypto_core_ed25519_sub(sodium.crypto_scalarmult_ed25519_noclamp(s, h),
                                           sodium.crypto_scalarmult_ed25519_noclamp(_widen(c), gamma))
    except SodiumError as exc:  # an identity point along the way: not an honest proof
        raise InvalidVrfProofError(f"VRF proof does not verify: {exc}") from None
    if _challenge(pub_key, h, gamma, u, v) != c:
        raise InvalidVrfProofError("VRF proof does not verify against the key")
    return proof_to_output(proof)


def proof_to_output(proof: bytes) -> bytes:
    """The output a proof carries (meaningful once `verify` accepted the proof)."""
    return hashlib.sha256(b"akechain/vrf-output" + proof[:32]).digest()


def _hash_to_curve(public: bytes, alpha: bytes) -> bytes:
    """Elligator 2 onto the prime-order subgroup (libsodium clears the cofactor)."""
    return sodium.crypto_core_ed25519_from_uniform(hashlib.sha256(b"akechain/vrf-h2c" + public + alpha).digest())


def _challenge(public: bytes, h: bytes, gamma: bytes, u: bytes, v: bytes) -> bytes:
    return hashlib.sha512(b"akechain/vrf-c" + public + h + gamma + u + v).digest()[:_C_SIZE]


def _clamp(scalar: bytes) -> bytes:
    clamped = bytearray(scalar)
    clamped[0] &= 248
    clamped[31] &= 127
    clamped[31] |= 64
    return bytes(clamped)


def _reduce(wide: bytes) -> bytes:
    """A 32- or 64-byte little-endian integer mod the group order."""
    return sodium.crypto_core_ed25519_scalar_reduce(wide.ljust(64, b"\x00"))


def _widen(c: bytes) -> bytes:
    return c.ljust(32, b"\x00")
