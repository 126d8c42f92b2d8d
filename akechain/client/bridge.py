"""Client side of the bridge: the validator's EVM key in the encrypted keystore (its 32-byte seed is
the secp256k1 private key) and the registration that proves it."""
from __future__ import annotations

import secrets

from akechain.chain.modules.bridge.evm import compute_bridge_id, evm_address, registration_digest, sign_digest
from akechain.chain.modules.bridge.msgs import MsgRegisterEvmKey
from akechain.client.keystore import Keystore, KeyNotFoundError

DEFAULT_EVM_KEY_NAME = "evm"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def load_or_create_evm_key(keystore: Keystore, name: str, passphrase: str) -> bytes:
    """The EVM private key stored as `name` (created when absent), encrypted like every other key."""
    try:
        return bytes.fromhex(keystore.export_seed(name, passphrase))
    except KeyNotFoundError:
        key = secrets.token_bytes(32)
        while not 0 < int.from_bytes(key, "big") < SECP256K1_N:
            key = secrets.token_bytes(32)
        keystore.add(name, passphrase, key)
        return key


def build_register_msg(evm_key: bytes, chain_id: str, operator: bytes) -> MsgRegisterEvmKey:
    digest = registration_digest(compute_bridge_id(chain_id), operator)
    return MsgRegisterEvmKey(evm_address(evm_key), sign_digest(evm_key, digest).to_bytes())
