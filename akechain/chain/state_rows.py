"""A module's records as genesis rows: `[[hex key, hex canonical record], ...]`, each key under one of
the module's tables (its record type by key prefix). Exports write every record, sorted by key, so a
re-import gives the same state and app hash; imports decode each row as its table's type."""
from __future__ import annotations

from typing import Mapping

from akechain.chain.codec import GenesisError
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
