"""Who pays a tx's fee: the sender, or the granter of its fee allowance while the allowance covers
the fee and the granter's balance does (the ante asks, so admission and execution agree)."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.modules.bank.keeper import get_balance
from akechain.chain.modules.feegrant.records import Allowance, get_allowance_key
from akechain.chain.store import StoreView


def get_allowance(store: StoreView, grantee: bytes) -> Allowance | None:
    return store.get(get_allowance_key(grantee), Allowance)


def take_fee_payer(store: StoreView, sender: bytes, fee: int) -> bytes:
    """The account that pays `fee` for `sender`; a granter's allowance is lowered by it."""
    allowance = get_allowance(store, sender)
    if allowance is None or fee == 0 or allowance.remaining < fee or get_balance(store, allowance.granter) < fee:
        return sender
    store.set(get_allowance_key(sender), replace(allowance, remaining=allowance.remaining - fee))
    return allowance.granter
