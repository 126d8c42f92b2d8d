"""The machine's raw ed25519 verify rate: the baseline every benchmark quotes its ratio against."""
from __future__ import annotations

import time

import nacl.bindings
import nacl.signing


def measure_verify_seconds(count: int) -> float:
    """Time `count` bare libsodium verifies (the call the app itself uses) of a tx-sized message."""
    key = nacl.signing.SigningKey(bytes(32))
    message = b"x" * 150
    signed = key.sign(message).signature + message
    pub_key = bytes(key.verify_key)
    started = time.perf_counter()
    for _ in range(count):
        nacl.bindings.crypto_sign_open(signed, pub_key)
    return time.perf_counter() - started


def measure_verify_rate(count: int = 20_000) -> float:
    return count / measure_verify_seconds(count)
