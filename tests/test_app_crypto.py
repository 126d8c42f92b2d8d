"""Addresses (bech32 "ake1…") and the encrypted keystore."""
from __future__ import annotations

import base64
import hashlib
import stat

import bech32
import pytest
from hypothesis import given
from hypothesis import strategies as st

from akechain.chain.crypto import (
    AddressError,
    compute_address,
    format_address,
    get_address,
    get_pub_key,
    is_valid_signature,
    parse_address,
    sign,
    signing_key_from_seed,
)
from akechain.client.keystore import (
    CorruptKeyFileError,
    InvalidKeyNameError,
    KeyExistsError,
    KeyNotFoundError,
    Keystore,
    WrongPassphraseError,
)

SEED = bytes(range(32))


@given(st.binary(min_size=20, max_size=20))
def test_address_round_trip(address: bytes) -> None:
    text = format_address(address)
    assert text.startswith("ake1")
    assert parse_address(text) == address


def test_address_is_sha256_prefix_of_pub_key() -> None:
    key = signing_key_from_seed(SEED)
    assert get_address(key) == hashlib.sha256(get_pub_key(key)).digest()[:20] == compute_address(get_pub_key(key))


@pytest.mark.parametrize(
    "text, message",
    [
        (format_address(b"\x01" * 20)[:-1] + "x", "checksum"),
        (bech32.bech32_encode("cosmos", bech32.convertbits(b"\x01" * 20, 8, 5)), "prefix"),
        (bech32.bech32_encode("ake", bech32.convertbits(b"\x01" * 19, 8, 5)), "20-byte"),
        ("ake1", "checksum"),
        ("", "checksum"),
    ],
)
def test_bad_addresses_are_rejected(text: str, message: str) -> None:
    with pytest.raises(AddressError, match=message):
        parse_address(text)


def test_signatures() -> None:
    key = signing_key_from_seed(SEED)
    signature = sign(key, b"msg")
    assert is_valid_signature(get_pub_key(key), b"msg", signature)
    assert not is_valid_signature(get_pub_key(key), b"msh", signature)
    assert not is_valid_signature(get_pub_key(key), b"msg", signature[:-1] + bytes([signature[-1] ^ 1]))
    assert not is_valid_signature(b"\x00" * 31, b"msg", signature)


def test_keystore_round_trip(tmp_path) -> None:
    store = Keystore(tmp_path / "keys")
    alice = store.add("alice", "pw-a")
    bob = store.add("bob", "pw-b", seed=SEED)
    assert [k.name for k in store.list()] == ["alice", "bob"]
    assert store.show("bob") == bob
    assert bob.address == format_address(get_address(signing_key_from_seed(SEED)))
    assert bytes(store.load("bob", "pw-b")) == SEED
    assert get_pub_key(store.load("alice", "pw-a")) == alice.pub_key
    assert store.export_seed("bob", "pw-b") == SEED.hex()

    other = Keystore(tmp_path / "other")
    assert other.import_encrypted("bob2", store.export_encrypted("bob"), "pw-b").address == bob.address
    assert other.import_seed("bob3", SEED.hex(), "new").address == bob.address

    for path in (tmp_path / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        content = path.read_bytes()
        for form in (SEED, SEED.hex().encode(), base64.b64encode(SEED)):
            assert form not in content


def test_keystore_errors(tmp_path) -> None:
    store = Keystore(tmp_path)
    store.add("alice", "right", seed=SEED)
    with pytest.raises(WrongPassphraseError, match="wrong passphrase"):
        store.load("alice", "wrong")
    with pytest.raises(KeyExistsError):
        store.add("alice", "x", seed=SEED)
    with pytest.raises(KeyNotFoundError):
        store.load("carol", "x")
    with pytest.raises(InvalidKeyNameError):
        store.add("../evil", "x")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(CorruptKeyFileError):
        store.show("broken")
