"""Passphrase-encrypted key files, one per name, in a directory (the CLI's `keys` commands).

Each file is JSON holding the argon2id salt and limits, the secretbox nonce and ciphertext of the
32-byte ed25519 seed, and the public key and address (so `list`/`show` need no passphrase). The
seed is never written in the clear; files are created 0600 in a 0700 directory. A multisig entry
holds only its members' public keys and threshold (no secret): it names the account that
`--generate-only` builds txs for, and its members sign them with their own keys.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.signing
import nacl.utils

from akechain.chain.crypto import (
    SEED_LENGTH,
    CryptoError,
    compute_address,
    format_address,
    generate_signing_key,
    get_pub_key,
    signing_key_from_seed,
)
from akechain.chain.multisig import compute_account_address, encode_multisig_key

FORMAT_VERSION = 1
KDF_NAME = "argon2id"
CIPHER_NAME = "xsalsa20poly1305"
# Interactive limits: ~0.1 s per unlock; an attacker's guesses cost the same memory-hard work.
OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class KeystoreError(Exception):
    """Base of every keystore failure."""


class InvalidKeyNameError(KeystoreError):
    """Names become file names, so only [A-Za-z0-9_.-] (max 64, no leading dot) are allowed."""


class KeyNotFoundError(KeystoreError):
    pass


class KeyExistsError(KeystoreError):
    pass


class WrongPassphraseError(KeystoreError):
    pass


class CorruptKeyFileError(KeystoreError):
    """A key file that is not valid keystore JSON, or whose contents disagree with each other."""


class NoPrivateKeyError(KeystoreError):
    """A multisig entry: it has no key of its own to sign or export."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    name: str
    address: str  # bech32 "ake1…"
    pub_key: bytes


def compute_secret(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase.encode(), salt, opslimit=opslimit, memlimit=memlimit
    )


def encrypt_seed(name: str, seed: bytes, passphrase: str) -> dict:
    """The JSON document of a key file for `seed`."""
    pub_key = get_pub_key(signing_key_from_seed(seed))
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(compute_secret(passphrase, salt, OPSLIMIT, MEMLIMIT))
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    return {
        "version": FORMAT_VERSION,
        "name": name,
        "address": format_address(compute_address(pub_key)),
        "pub_key": pub_key.hex(),
        "kdf": {"name": KDF_NAME, "salt": salt.hex(), "opslimit": OPSLIMIT, "memlimit": MEMLIMIT},
        "cipher": {"name": CIPHER_NAME, "nonce": nonce.hex(), "ciphertext": box.encrypt(seed, nonce).ciphertext.hex()},
    }


def decrypt_seed(doc: dict, passphrase: str) -> bytes:
    """The seed inside a key file document; checks it matches the stored public key."""
    if "multisig" in doc:
        raise NoPrivateKeyError(f"{doc.get('name')!r} is a multisig account: its members sign, each with their own key")
    try:
        kdf, cipher = doc["kdf"], doc["cipher"]
        if kdf["name"] != KDF_NAME or cipher["name"] != CIPHER_NAME:
            raise CorruptKeyFileError(f"unsupported kdf/cipher {kdf['name']!r}/{cipher['name']!r}")
        salt = bytes.fromhex(kdf["salt"])
        opslimit, memlimit = int(kdf["opslimit"]), int(kdf["memlimit"])
        nonce, ciphertext = bytes.fromhex(cipher["nonce"]), bytes.fromhex(cipher["ciphertext"])
        pub_key = bytes.fromhex(doc["pub_key"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptKeyFileError(f"malformed key file: {exc!r}") from exc
    # Bound the limits a (possibly foreign) file may ask for, so importing it cannot exhaust memory.
    if not (OPSLIMIT <= opslimit <= nacl.pwhash.argon2id.OPSLIMIT_SENSITIVE
            and MEMLIMIT <= memlimit <= nacl.pwhash.argon2id.MEMLIMIT_SENSITIVE):
        raise CorruptKeyFileError(f"argon2id limits out of range: opslimit={opslimit} memlimit={memlimit}")
    if len(salt) != nacl.pwhash.argon2id.SALTBYTES:
        raise CorruptKeyFileError("argon2id salt has the wrong length")
    box = nacl.secret.SecretBox(compute_secret(passphrase, salt, opslimit, memlimit))
    try:
        seed = box.decrypt(ciphertext, nonce)
    except (nacl.exceptions.CryptoError, ValueError) as exc:
        raise WrongPassphraseError(f"wrong passphrase for key {doc.get('name')!r}") from exc
    if len(seed) != SEED_LENGTH or get_pub_key(signing_key_from_seed(seed)) != pub_key:
        raise CorruptKeyFileError("decrypted seed does not match the stored public key")
    return seed


def get_key_info(doc: dict) -> KeyInfo:
    try:
        pub_key = bytes.fromhex(doc["pub_key"])
        address = format_address(compute_account_address(pub_key))
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptKeyFileError(f"malformed key file: {exc!r}") from exc
    if doc.get("address") != address:
        raise CorruptKeyFileError(f"address {doc.get('address')!r} does not match the public key")
    return KeyInfo(name=doc.get("name", ""), address=address, pub_key=pub_key)


class Keystore:
    """A directory of encrypted key files `<name>.json`."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def add(self, name: str, passphrase: str, seed: bytes | None = None) -> KeyInfo:
        """Create key `name` from `seed`, or from a fresh random key when no seed is given."""
        if seed is None:
            seed = bytes(generate_signing_key())
        doc = encrypt_seed(name, seed, passphrase)
        self._write(name, doc)
        return get_key_info(doc)

    def add_multisig(self, name: str, threshold: int, pub_keys: list[bytes]) -> KeyInfo:
        """Record the k-of-n account of `pub_keys` (public data only); raises KeystoreError for a bad set."""
        try:
            pub_key = encode_multisig_key(threshold, pub_keys)
        except CryptoError as exc:
            raise KeystoreError(str(exc)) from None
        doc = {"version": FORMAT_VERSION, "name": name, "address": format_address(compute_account_address(pub_key)),
               "pub_key": pub_key.hex(), "multisig": {"threshold": threshold, "pub_keys": sorted(k.hex() for k in pub_keys)}}
        self._write(name, doc)
        return get_key_info(doc)

    def import_seed(self, name: str, seed_hex: str, passphrase: str) -> KeyInfo:
        try:
            seed = bytes.fromhex(seed_hex.strip())
        except ValueError as exc:
            raise KeystoreError("seed must be hex") from exc
        return self.add(name, passphrase, seed)

    def import_encrypted(self, name: str, blob: str | bytes, passphrase: str) -> KeyInfo:
        """Import a blob from `export_encrypted`; the passphrase proves it decrypts before it is saved."""
        try:
            doc = json.loads(blob)
        except ValueError as exc:
            raise CorruptKeyFileError("exported key is not JSON") from exc
        if not isinstance(doc, dict):
            raise CorruptKeyFileError("exported key is not a JSON object")
        decrypt_seed(doc, passphrase)
        doc = {**doc, "name": name}
        info = get_key_info(doc)
        self._write(name, doc)
        return info

    def list(self) -> list[KeyInfo]:
        if not self.directory.is_dir():
            return []
        return [self.show(p.stem) for p in sorted(self.directory.glob("*.json"))]

    def show(self, name: str) -> KeyInfo:
        return get_key_info(self._read(name))

    def export_encrypted(self, name: str) -> str:
        """The key file itself: still encrypted, safe to move between machines."""
        return json.dumps(self._read(name), indent=2, sort_keys=True)

    def export_seed(self, name: str, passphrase: str) -> str:
        """The raw seed as hex: anyone holding it controls the account, so callers must ask explicitly."""
        return decrypt_seed(self._read(name), passphrase).hex()

    def load(self, name: str, passphrase: str) -> nacl.signing.SigningKey:
        return signing_key_from_seed(decrypt_seed(self._read(name), passphrase))

    def _path(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise InvalidKeyNameError(f"invalid key name {name!r}: use letters, digits, '_', '.', '-' (max 64)")
        return self.directory / f"{name}.json"

    def _read(self, name: str) -> dict:
        path = self._path(name)
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise KeyNotFoundError(f"no key named {name!r} in {self.directory}") from exc
        except ValueError as exc:
            raise CorruptKeyFileError(f"{path} is not valid JSON") from exc
        if not isinstance(doc, dict):
            raise CorruptKeyFileError(f"{path} is not a JSON object")
        return doc

    def _write(self, name: str, doc: dict) -> None:
        path = self._path(name)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise KeyExistsError(f"a key named {name!r} already exists") from exc
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
