"""Accounts: one record per address holding the next nonce and, once it has signed, its public key."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.crypto import Address
from akechain.chain.store import StoreView

ACCOUNT_PREFIX = b"\x01"


@dataclass(frozen=True, slots=True)
class Account:
    nonce: int  # the nonce the account's next tx must carry
    pub_key: bytes  # empty until the account's first tx reveals it


def get_account_key(address: bytes) -> bytes:
    return ACCOUNT_PREFIX + address


def get_account(store: StoreView, address: bytes) -> Account | None:
    return store.get(ACCOUNT_PREFIX + address, Account)


def get_nonce(store: StoreView, address: bytes) -> int:
    account = store.get(ACCOUNT_PREFIX + address, Account)
    return 0 if account is None else account.nonce


def set_account(store: StoreView, address: bytes, account: Account) -> None:
    store.set(ACCOUNT_PREFIX + address, account)


def ensure_account(store: StoreView, address: Address) -> None:
    """Create the account on first receipt, so every funded address is a known account."""
    key = ACCOUNT_PREFIX + address
    if store.get(key, Account) is None:
        store.set(key, Account(nonce=0, pub_key=b""))


def increase_nonce(store: StoreView, address: Address, pub_key: bytes) -> None:
    """Consume the account's nonce (and record its key), whatever its tx's messages do."""
    store.set(ACCOUNT_PREFIX + address, Account(nonce=get_nonce(store, address) + 1, pub_key=pub_key))
