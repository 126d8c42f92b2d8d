"""JSON views of records for the HTTP API: bytes as hex, account addresses as bech32."""
from __future__ import annotations

import dataclasses
from typing import Any

from akechain.chain.crypto import format_address
from akechain.chain.tx import Tx, compute_tx_hash, get_sender
from state.codec import Tagged

# Fields that hold 20-byte account addresses and are shown as bech32 "ake1…".
ADDRESS_FIELDS = frozenset({
    "to", "sender", "address", "recipient", "owner", "provider", "consumer",
    "allow", "deny", "verifier", "verifiers", "challenger", "referee", "depositor",
    "operator", "validator", "delegator", "src_validator", "dst_validator",
})


def record_to_json(value: Any, field_name: str = "") -> Any:
    """A JSON-ready view of a codec record, recursively."""
    if isinstance(value, bytes):
        return format_address(value) if field_name in ADDRESS_FIELDS and len(value) == 20 else value.hex()
    if isinstance(value, (tuple, list)):
        return [record_to_json(item, field_name) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        doc = {f.name: record_to_json(getattr(value, f.name), f.name) for f in dataclasses.fields(value)}
        if isinstance(value, Tagged):
            doc = {"type": value.TAG, **doc}
        return doc
    return value


def events_to_json(events: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> list[dict[str, Any]]:
    """ABCI events as [{"type": ..., "attributes": {key: value}}] (keys are unique within an event)."""
    return [{"type": kind, "attributes": dict(attributes)} for kind, attributes in events]


def tx_to_json(raw: bytes, tx: Tx) -> dict[str, Any]:
    body = tx.body
    return {
        "hash": compute_tx_hash(raw).hex(),
        "sender": format_address(get_sender(tx)),
        "nonce": body.nonce,
        "fee": body.fee,
        "memo": body.memo,
        "msgs": [record_to_json(msg) for msg in body.msgs],
    }
