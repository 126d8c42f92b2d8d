"""Auth params: the limits every tx is checked against before its messages run."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import MAX_UINT63, GenesisError, check_json_fields, get_json_field
from akechain.chain.store import StoreView, load_params, save_params

PARAMS_KEY = b"\x02"
MAX_TX_BYTES_BOUNDS = (256, 4 * 1024 * 1024)  # below 256 no multi-msg tx fits; above, the codec cap
MAX_MEMO_LENGTH_BOUNDS = (0, 1024)


@dataclass(frozen=True, slots=True)
class Params:
    min_fee: int  # uake per tx; the mempool prices by fee, so this is the floor against spam
    max_tx_bytes: int
    max_memo_length: int  # characters

    def validate(self) -> None:
        if type(self.min_fee) is not int or not 0 <= self.min_fee <= MAX_UINT63:
            raise GenesisError(f"auth.params.min_fee {self.min_fee!r} out of range [0, {MAX_UINT63}]")
        lo, hi = MAX_TX_BYTES_BOUNDS
        if type(self.max_tx_bytes) is not int or not lo <= self.max_tx_bytes <= hi:
            raise GenesisError(f"auth.params.max_tx_bytes {self.max_tx_bytes!r} out of range [{lo}, {hi}]")
        lo, hi = MAX_MEMO_LENGTH_BOUNDS
        if type(self.max_memo_length) is not int or not lo <= self.max_memo_length <= hi:
            raise GenesisError(f"auth.params.max_memo_length {self.max_memo_length!r} out of range [{lo}, {hi}]")


DEFAULT_PARAMS = Params(min_fee=1_000, max_tx_bytes=16 * 1024, max_memo_length=256)


def get_params(store: StoreView) -> Params:
    return load_params(store, PARAMS_KEY, Params, "auth")


def set_params(store: StoreView, params: Params) -> None:
    save_params(store, PARAMS_KEY, params)


def params_from_json(obj: object) -> Params:
    where = "auth.params"
    params = Params(
        min_fee=get_json_field(obj, "min_fee", int, where),
        max_tx_bytes=get_json_field(obj, "max_tx_bytes", int, where),
        max_memo_length=get_json_field(obj, "max_memo_length", int, where),
    )
    check_json_fields(obj, {"min_fee", "max_tx_bytes", "max_memo_length"}, where)
    params.validate()
    return params


def params_to_json(params: Params) -> dict:
    return {"min_fee": params.min_fee, "max_tx_bytes": params.max_tx_bytes, "max_memo_length": params.max_memo_length}
