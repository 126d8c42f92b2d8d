"""A module's records as genesis rows: `[[hex key, hex canonical record], ...]`, each key under one of
the module's tables (its record type by key prefix). Exports write every record, sorted by key, so a
re-import gives the same state and app hash; imports decode each row as its table's type."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from akechain.chain.codec import GenesisError, check_json_fields, get_json_field
from akechain.chain.module import Genesis
from akechain.chain.params import ParamSet
from akechain.chain.store import StoreView
from state.codec import CodecError, decode, encode


def init_state_rows(store: StoreView, rows: list, tables: Mapping[bytes, type], where: str) -> None:
    for i, item in enumerate(rows):
        try:
            key_hex, value_hex = item
            key, value = bytes.fromhex(key_hex), bytes.fromhex(value_hex)
            record = decode(tables[key[:1]], value)
        except (TypeError, ValueError, KeyError, CodecError) as exc:
            raise GenesisError(f"{where}[{i}]: not a [key, record] pair of a {where.split('.')[0]} table: {exc}") from exc
        store.set(key, record)


def export_state_rows(store: StoreView, tables: Mapping[bytes, type]) -> list[list[str]]:
    return sorted([key.hex(), encode(record).hex()] for prefix, cls in tables.items() for key, record in store.iterate(prefix, cls))


PARAMS_AND_STATE_FIELDS = {"params", "state"}


def init_params_and_state(store: StoreView, obj: object, name: str, params: ParamSet, default: Any,
                          tables: Mapping[bytes, type], on_params: Callable[[StoreView, Any], None] | None = None) -> None:
    """The genesis section `{"params": {...}, "state": [rows]}` of module `name` (None: default
    params, no records). `on_params` seeds what follows from the params before an exported state
    may overwrite it."""
    record = default if obj is None else params.from_json(get_json_field(obj, "params", dict, name))
    params.set(store, record)
    if on_params is not None:
        on_params(store, record)
    if obj is None:
        return
    check_json_fields(obj, PARAMS_AND_STATE_FIELDS, name)  # type: ignore[arg-type]
    if "state" in obj:  # type: ignore[operator]
        init_state_rows(store, get_json_field(obj, "state", list, name), tables, f"{name}.state")


def export_params_and_state(store: StoreView, params: ParamSet, tables: Mapping[bytes, type]) -> dict:
    return {"params": params.to_json(params.get(store)), "state": export_state_rows(store, tables)}


def state_rows_genesis(name: str, tables: Mapping[bytes, type]) -> Genesis:
    """The optional genesis section `{"state": [rows]}` of module `name`, whose records have no params:
    an exported chain's records (a new chain has none)."""
    def init(store: StoreView, obj: object) -> None:
        if obj is None:
            return
        check_json_fields(obj, {"state"}, name)  # type: ignore[arg-type]
        if "state" in obj:  # type: ignore[operator]
            init_state_rows(store, get_json_field(obj, "state", list, name), tables, f"{name}.state")

    def export(store: StoreView) -> dict:
        return {"state": export_state_rows(store, tables)}

    return Genesis(init, export, optional=True)
