"""BIP-39 seed phrases for account keys, and the one way an ed25519 key is derived from them.

A phrase (24 English words from 256 bits of entropy, by the `mnemonic` package) becomes a 64-byte
BIP-39 seed (PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic" + an optional BIP-39 passphrase);
the account key is the SLIP-0010 ed25519 child at DERIVATION_PATH of that seed (every level
hardened, as ed25519 requires). Any SLIP-0010 wallet given the same words and path finds the same
key, and the same words always restore the same account.
"""
from __future__ import annotations

import hashlib
import hmac

from mnemonic import Mnemonic

COIN_TYPE = 118  # the Cosmos coin type, as Cosmos SDK chains use
DERIVATION_PATH = (44, COIN_TYPE, 0, 0, 0)  # m/44'/118'/0'/0'/0'
HARDENED = 0x8000_0000
STRENGTH_BITS = 256  # 24 words
_WORDS = Mnemonic("english")


class SeedPhraseError(ValueError):
    """Words that are not a valid BIP-39 English phrase (unknown word, wrong count or checksum)."""


def generate_phrase() -> str:
    return _WORDS.generate(strength=STRENGTH_BITS)


def normalize_phrase(phrase: str) -> str:
    """Lower case, single spaces; raises SeedPhraseError unless it is a valid phrase."""
    words = " ".join(phrase.lower().split())
    if not _WORDS.check(words):
        raise SeedPhraseError("not a valid BIP-39 English seed phrase (check the words, their order and count)")
    return words


def compute_bip39_seed(phrase: str, passphrase: str = "") -> bytes:
    return Mnemonic.to_seed(normalize_phrase(phrase), passphrase)


def compute_slip10_key(seed: bytes, path: tuple[int, ...]) -> tuple[bytes, bytes]:
    """(private key, chain code) of the SLIP-0010 ed25519 node at `path` (indexes, each hardened here)."""
    digest = hmac.new(b"ed25519 seed", seed, hashlib.sha512).digest()
    key, chain_code = digest[:32], digest[32:]
    for index in path:
        data = b"\x00" + key + (index | HARDENED).to_bytes(4, "big")
        digest = hmac.new(chain_code, data, hashlib.sha512).digest()
        key, chain_code = digest[:32], digest[32:]
    return key, chain_code


def derive_account_seed(phrase: str, passphrase: str = "") -> bytes:
    """The 32-byte ed25519 seed of the account a phrase stands for."""
    return compute_slip10_key(compute_bip39_seed(phrase, passphrase), DERIVATION_PATH)[0]
