"""Market genesis (also escrow, verify and reputation state):

    {"params": {...see market/params.py...},
     "state": [["<hex key>", "<hex canonical record>"], ...]}   # optional; export writes it

Records are exported as their canonical bytes under their key, so an export re-imports to exactly
the same state (and app hash); import decodes each one strictly as the record its prefix names.
Without a "market" section the chain starts with DEFAULT_PARAMS and no market state.
"""
from __future__ import annotations

from akechain.chain.codec import GenesisError, check_json_fields, get_json_field
from akechain.chain.modules.escrow.keeper import ESCROW_PREFIX, ESCROW_QUEUE_PREFIX, Due, Escrow
from akechain.chain.modules.market.params import DEFAULT_PARAMS, get_params, params_from_json, params_to_json, set_params
from akechain.chain.modules.market.records import (
    BID_PREFIX,
    JOB_PREFIX,
    LEASE_PREFIX,
    OPEN_JOB_PREFIX,
    PROVIDER_LEASE_PREFIX,
    PROVIDER_PREFIX,
    QUEUE_PREFIX,
    SEQUENCES_KEY,
    Bid,
    Job,
    Lease,
    Marker,
    Provider,
    Sequences,
)
from akechain.chain.modules.reputation.keeper import REPUTATION_PREFIX, Reputation
from akechain.chain.store import StoreView
from akechain.chain.modules.verify.keeper import CHALLENGE_PREFIX, Challenge
from state.codec import CodecError, decode, encode

TABLES: dict[bytes, type] = {
    PROVIDER_PREFIX: Provider,
    JOB_PREFIX: Job,
    BID_PREFIX: Bid,
    LEASE_PREFIX: Lease,
    PROVIDER_LEASE_PREFIX: Marker,
    OPEN_JOB_PREFIX: Marker,
    SEQUENCES_KEY: Sequences,
    QUEUE_PREFIX: Marker,
    ESCROW_PREFIX: Escrow,
    ESCROW_QUEUE_PREFIX: Due,
    CHALLENGE_PREFIX: Challenge,
    REPUTATION_PREFIX: Reputation,
}


def init_genesis(store: StoreView, obj: object) -> None:
    if obj is None:
        set_params(store, DEFAULT_PARAMS)
        return
    set_params(store, params_from_json(get_json_field(obj, "params", dict, "market")))
    check_json_fields(obj, {"params", "state"}, "market")
    for i, item in enumerate(obj.get("state", [])):
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
    return {"params": params_to_json(get_params(store)), "state": sorted(state)}
