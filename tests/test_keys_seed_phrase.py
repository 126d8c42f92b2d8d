"""Seed phrases: the BIP-39 reference vectors (Trezor's, passphrase "TREZOR"), SLIP-0010's ed25519
vector 1, and `akechain keys add` / `keys add --recover` round trips through the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from mnemonic import Mnemonic

from akechain.chain.crypto import format_address, get_address, signing_key_from_seed
from akechain.client.seed_phrase import (
    DERIVATION_PATH,
    SeedPhraseError,
    compute_bip39_seed,
    compute_slip10_key,
    derive_account_seed,
    generate_phrase,
)
from tests.node_process import run_cli

# (entropy, phrase, seed with passphrase "TREZOR"): the first vectors of the BIP-39 reference list
BIP39_VECTORS = [
    ("00000000000000000000000000000000",
     "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
     "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"),
    ("7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
     "legal winner thank year wave sausage worth useful legal winner thank yellow",
     "2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607"),
    ("80808080808080808080808080808080",
     "letter advice cage absurd amount doctor acoustic avoid letter advice cage above",
     "d71de856f81a8acc65e6fc851a38d4d7ec216fd0796d0a6827a3ad6ed5511a30fa280f12eb2e47ed2ac03b5c462a0358d18d69fe4f985ec81778c1b370b652a8"),
    ("ffffffffffffffffffffffffffffffff",
     "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
     "ac27495480225222079d7be181583751e86f571027b0497b5b5d11218e0a8a13332572917f0f8e5a589620c6f15b11c61dee327651a14c34e18231052e48c069"),
    ("0000000000000000000000000000000000000000000000000000000000000000",
     "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon "
     "abandon abandon abandon abandon abandon abandon abandon abandon abandon art",
     "bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8"),
]
PINNED_ADDRESS = "ake1t9p72w4d5gnse4m8lqeamkqsmksf2tcm6ngvwr"  # m/44'/118'/0'/0'/0' of "abandon ... about"
# SLIP-0010 test vector 1 for ed25519: (path, chain code, private key)
SLIP10_SEED = "000102030405060708090a0b0c0d0e0f"
SLIP10_VECTORS = [
    ((), "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb",
     "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7"),
    ((0,), "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69",
     "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3"),
    ((0, 1), "a320425f77d1b5c2505a6b1b27382b37368ee640e3557c315416801243552f14",
     "b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2"),
    ((0, 1, 2), "2e69929e00b5ab250f49c3fb1c12f252de4fed2c1db88387094a0f8c4c9ccd6c",
     "92a5b23c0b8a99e37d07df3fb9966917f5d06e02ddbd909c7e184371463e9fc9"),
]


@pytest.mark.parametrize("entropy, phrase, seed", BIP39_VECTORS)
def test_bip39_reference_vectors(entropy: str, phrase: str, seed: str) -> None:
    assert Mnemonic("english").to_mnemonic(bytes.fromhex(entropy)) == phrase
    assert compute_bip39_seed(phrase, "TREZOR").hex() == seed
    assert compute_bip39_seed(phrase.upper().replace(" ", "   "), "TREZOR").hex() == seed  # typed loosely


@pytest.mark.parametrize("path, chain_code, private_key", SLIP10_VECTORS)
def test_slip10_ed25519_vector_1(path: tuple[int, ...], chain_code: str, private_key: str) -> None:
    key, code = compute_slip10_key(bytes.fromhex(SLIP10_SEED), path)
    assert (key.hex(), code.hex()) == (private_key, chain_code)


def test_a_phrase_always_gives_the_same_account_and_a_bad_one_is_refused() -> None:
    phrase = generate_phrase()
    assert len(phrase.split()) == 24
    seed = derive_account_seed(phrase)
    assert seed == compute_slip10_key(compute_bip39_seed(phrase), DERIVATION_PATH)[0] == derive_account_seed(f" {phrase} ")
    assert derive_account_seed(generate_phrase()) != seed
    words = phrase.split()
    with pytest.raises(SeedPhraseError):
        derive_account_seed(" ".join(words[1:] + words[:1]))  # the checksum catches a shuffled phrase
    with pytest.raises(SeedPhraseError):
        derive_account_seed(" ".join(words[:-1] + ["notaword"]))
    # the reference phrase's account, pinned: a change of derivation would move every user's account
    reference = derive_account_seed(BIP39_VECTORS[0][1])
    assert format_address(get_address(signing_key_from_seed(reference))) == PINNED_ADDRESS



def test_keys_add_shows_the_phrase_once_and_recover_restores_the_key(tmp_path: Path) -> None:
    passphrase = tmp_path / "pass"
    passphrase.write_text("seed phrase test\n")
    created = run_cli("keys", "add", "alice", "--home", str(tmp_path / "a"), "--passphrase-file", str(passphrase))
    doc = json.loads(created.stdout)
    phrase = doc["mnemonic"]
    assert len(phrase.split()) == 24 and "shown only this once" in created.stderr
    key_file = (tmp_path / "a" / "keyring" / "alice.json").read_text()
    seed = derive_account_seed(phrase)
    assert phrase not in key_file and " ".join(phrase.split()[:3]) not in key_file and seed.hex() not in key_file
    shown = json.loads(run_cli("keys", "show", "alice", "--home", str(tmp_path / "a")).stdout)
    assert "mnemonic" not in shown and shown["address"] == doc["address"]

    phrase_file = tmp_path / "phrase"
    phrase_file.write_text(phrase.upper() + "\n")
    recovered = json.loads(run_cli("keys", "add", "alice2", "--recover", "--mnemonic-file", str(phrase_file),
                                   "--home", str(tmp_path / "b"), "--passphrase-file", str(passphrase)).stdout)
    assert recovered["address"] == doc["address"] and "mnemonic" not in recovered
    exported = run_cli("keys", "export", "alice2", "--unsafe-seed", "--home", str(tmp_path / "b"),
                       "--passphrase-file", str(passphrase)).stdout.strip()
    assert exported == seed.hex()

    # export/import of the encrypted file still works, and moves the same account
    blob = tmp_path / "alice.key"
    blob.write_text(run_cli("keys", "export", "alice", "--home", str(tmp_path / "a")).stdout)
    imported = json.loads(run_cli("keys", "import", "carol", str(blob), "--home", str(tmp_path / "c"),
                                  "--passphrase-file", str(passphrase)).stdout)
    assert imported["address"] == doc["address"]

    phrase_file.write_text(" ".join(phrase.split()[:-1]) + " zoo\n")
    bad = run_cli("keys", "add", "x", "--recover", "--mnemonic-file", str(phrase_file), "--home", str(tmp_path / "d"),
                  "--passphrase-file", str(passphrase), check=False)
    assert bad.returncode == 1 and "not a valid BIP-39" in bad.stderr
