"""Auth genesis: {"params": {...}, "accounts": [{"address": "ake1…", "nonce": 0, "pub_key": "<hex or empty>"}]}."""
from __future__ import annotations

from akechain.chain.codec import MAX_UINT63, GenesisError, check_json_fields, get_json_field
from akechain.chain.crypto import CryptoError, format_address, parse_address
from akechain.chain.multisig import compute_account_address
from akechain.chain.modules.auth.keeper import ACCOUNT_PREFIX, Account, get_account, set_account
from akechain.chain.modules.auth.params import PARAMS
from akechain.chain.store import StoreView


def init_genesis(store: StoreView, obj: object) -> None:
    PARAMS.set(store, PARAMS.from_json(get_json_field(obj, "params", dict, "auth")))
    check_json_fields(obj, {"params", "accounts"}, "auth")
    for i, item in enumerate(get_json_field(obj, "accounts", list, "auth")):
        where = f"auth.accounts[{i}]"
        check_json_fields(item if isinstance(item, dict) else {}, {"address", "nonce", "pub_key"}, where)
        try:
            address = parse_address(get_json_field(item, "address", str, where))
            pub_key = bytes.fromhex(get_json_field(item, "pub_key", str, where))
            # Verify a revealed key belongs to the account
            if pub_key and compute_account_address(pub_key) != address:
                raise GenesisError(f"{where}.pub_key does not belong to the address")
        except (CryptoError, ValueError) as exc:
            raise GenesisError(f"{where}: {exc}") from exc
        nonce = get_json_field(item, "nonce", int, where)
        if not 0 <= nonce <= MAX_UINT63:
            raise GenesisError(f"{where}.nonce {nonce} out of range")
        if get_account(store, address) is not None:
            raise GenesisError(f"{where}: duplicate account {format_address(address)}")
        set_account(store, address, Account(nonce=nonce, pub_key=pub_key))


def export_genesis(store: StoreView) -> dict:
    accounts = [
        {"address": format_address(key[len(ACCOUNT_PREFIX):]), "nonce": account.nonce, "pub_key": account.pub_key.hex()}
        for key, account in store.iterate(ACCOUNT_PREFIX, Account)
    ]
    return {"params": PARAMS.to_json(PARAMS.get(store)), "accounts": accounts}
