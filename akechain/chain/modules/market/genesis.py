"""Market genesis (with the records of escrow, verify and reputation, the modules it drives):

    {"params": {...see market/params.py...},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # optional; export writes it

Records are exported as their canonical bytes under their key, so an export re-imports to exactly
the same state (and app hash); import decodes each one strictly as the record its prefix names.
Without a "market" section the chain starts with default params and no market state.
"""
from __future__ import annotations

from akechain.chain.codec import GenesisError, check_json_fields, get_json_field
from akechain.chain.modules.escrow.keeper import TABLES as ESCROW_TABLES
from akechain.chain.modules.market.params import DEFAULT_PARAMS, PARAMS
from akechain.chain.modules.market.records import TABLES as MARKET_TABLES
from akechain.chain.modules.reputation.keeper import TABLES as REPUTATION_TABLES
from akechain.chain.modules.verify.keeper import TABLES as VERIFY_TABLES
from akechain.chain.store import StoreView
from state.codec import CodecError, decode, encode

TABLES: dict[bytes, type] = {**MARKET_TABLES, **ESCROW_TABLES, **VERIFY_TABLES, **REPUTATION_TABLES}


def init_genesis(store: StoreView, obj: object) -> None:
    if obj is None:
        PARAMS.set(store, DEFAULT_PARAMS)
        return
    PARAMS.set(store, PARAMS.from_json(get_json_field(obj, "params", dict, "market")))
    check_json_fields(obj, {"params", "state"}, "market")  # type: ignore[arg-type]
    for i, item in enumerate(obj.get("state", [])):  # type: ignore[union-attr]
        where = f"market.state[{i}]"
        try:
            key_hex, value_hex = item
            key, value = bytes.fromhex(key_hex), bytes.fromhex(value_hex)
            cls = TABLES[key[:1]]
            record = decode(cls, value)
        except (TypeError, ValueError, KeyError, CodecError) as exc:
            raise GenesisError(f"{where}: not a [key, record] pair of a market table: {exc}") from exc
        store.set(key, record)


def export_genesis(store: StoreView) -> dict:
    state = [
        [key.hex(), encode(record).hex()]
        for prefix, cls in TABLES.items()
        for key, record in store.iterate(prefix, cls)
    ]
    return {"params": PARAMS.to_json(PARAMS.get(store)), "state": sorted(state)}
