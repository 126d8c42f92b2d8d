"""Bank genesis.

    {"balances": [{"address": "ake1…", "amount": 1000000}],          # uake, positive, no duplicates
     "supply": {"initial": …, "total": …, "burned": …, "minted": …}} # optional; export writes it

Without "supply" the chain starts fresh: initial = total = sum of balances, burned = minted = 0. With
it (a re-imported export) it must agree with the balances, so burns and mints since the original
genesis survive. (The fee split is distribution's; the bank has no params.)
"""
from __future__ import annotations

from akechain.chain.codec import (
    MAX_UINT63,
    GenesisError,
    InvalidMsgError,
    check_json_fields,
    check_positive_amount,
    get_json_field,
)
from akechain.chain.crypto import AddressError, format_address, parse_address
from akechain.chain.modules.bank.keeper import (
    BALANCE_PREFIX,
    Balance,
    Supply,
    get_balance,
    get_supply,
    increase_balance,
    set_supply,
)
from akechain.chain.store import StoreView


def init_genesis(store: StoreView, obj: object) -> None:
    check_json_fields(obj, {"balances", "supply"}, "bank")
    total = 0
    for i, item in enumerate(get_json_field(obj, "balances", list, "bank")):
        where = f"bank.balances[{i}]"
        check_json_fields(item if isinstance(item, dict) else {}, {"address", "amount"}, where)
        try:
            address = parse_address(get_json_field(item, "address", str, where))
            amount = get_json_field(item, "amount", int, where)
            check_positive_amount(amount, f"{where}.amount")
        except (AddressError, InvalidMsgError) as exc:
            raise GenesisError(str(exc)) from exc
        if get_balance(store, address):
            raise GenesisError(f"{where}: duplicate balance for {format_address(address)}")
        total += amount
        if total > MAX_UINT63:
            raise GenesisError(f"bank: total supply exceeds {MAX_UINT63} uake")
        increase_balance(store, address, amount)
    supply = Supply(initial=total, total=total, burned=0, minted=0)
    if "supply" in obj:
        supply = supply_from_json(obj["supply"])
        # Verify the exported supply agrees with the balances
        if supply.total != total or supply.initial + supply.minted - supply.burned != supply.total:
            raise GenesisError(f"bank.supply {supply} disagrees with the balances (sum {total})")
    set_supply(store, supply)


def supply_from_json(obj: object) -> Supply:
    names = ("initial", "total", "burned", "minted")
    check_json_fields(obj if isinstance(obj, dict) else {}, set(names), "bank.supply")
    return Supply(**{name: get_json_field(obj, name, int, "bank.supply") for name in names})


def export_genesis(store: StoreView) -> dict:
    supply = get_supply(store)
    return {
        "balances": [
            {"address": format_address(key[len(BALANCE_PREFIX):]), "amount": balance.amount}
            for key, balance in store.iterate(BALANCE_PREFIX, Balance)
        ],
        "supply": {"initial": supply.initial, "total": supply.total, "burned": supply.burned, "minted": supply.minted},
    }
