"""Bank params: how each tx fee is split between burning and the treasury."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import GenesisError, check_json_fields, get_json_field
from akechain.chain.crypto import ADDRESS_LENGTH, AddressError, format_address, parse_address
from akechain.chain.store import StoreView, load_params, save_params

PARAMS_KEY = b"\x12"
BPS_DENOMINATOR = 10_000


@dataclass(frozen=True, slots=True)
class Params:
    burn_bps: int  # share of every fee that is destroyed; the rest goes to `treasury`
    treasury: bytes  # 20-byte address

    def validate(self) -> None:
        if type(self.burn_bps) is not int or not 0 <= self.burn_bps <= BPS_DENOMINATOR:
            raise GenesisError(f"bank.params.burn_bps {self.burn_bps!r} out of range [0, {BPS_DENOMINATOR}]")
        if type(self.treasury) is not bytes or len(self.treasury) != ADDRESS_LENGTH:
            raise GenesisError("bank.params.treasury must be a 20-byte address")


def get_params(store: StoreView) -> Params:
    return load_params(store, PARAMS_KEY, Params, "bank")


def set_params(store: StoreView, params: Params) -> None:
    save_params(store, PARAMS_KEY, params)


def params_from_json(obj: object) -> Params:
    where = "bank.params"
    treasury = get_json_field(obj, "treasury", str, where)
    try:
        treasury_address = parse_address(treasury)
    except AddressError as exc:
        raise GenesisError(f"{where}.treasury: {exc}") from exc
    params = Params(burn_bps=get_json_field(obj, "burn_bps", int, where), treasury=treasury_address)
    check_json_fields(obj, {"burn_bps", "treasury"}, where)
    params.validate()
    return params


def params_to_json(params: Params) -> dict:
    return {"burn_bps": params.burn_bps, "treasury": format_address(params.treasury)}
