"""JSON views of records for the HTTP API (bytes as hex, account addresses as bech32), and back
(`record_from_json`: proposal files carry messages in this form)."""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from akechain.chain.crypto import CryptoError, format_address, parse_address
from akechain.chain.tx import Tx, compute_tx_hash, get_sender
from state.codec import Tagged

# Fields that hold 20-byte account addresses and are shown as bech32 "ake1…".
ADDRESS_FIELDS = frozenset({
    "to", "sender", "address", "recipient", "owner", "provider", "consumer",
    "allow", "deny", "verifier", "verifiers", "challenger", "referee", "depositor",
    "operator", "validator", "delegator", "src_validator", "dst_validator",
    "proposer", "voter", "delegate", "granter", "grantee",
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


class RecordJsonError(ValueError):
    """A JSON document that is not the `record_to_json` form of the expected record."""


def record_from_json(tp: Any, doc: Any, field_name: str = "", where: str = "") -> Any:
    """The inverse of `record_to_json`: a codec record of type `tp` from its JSON view (messages as
    `{"type": tag, ...fields}`, addresses bech32 or hex, other bytes hex). Raises RecordJsonError."""
    where = where or getattr(tp, "__name__", str(tp))
    if tp is bool or tp is int or tp is str:
        if type(doc) is not tp:
            raise RecordJsonError(f"{where}: expected {tp.__name__}, got {type(doc).__name__}")
        return doc
    if tp is bytes:
        return _bytes_from_json(doc, field_name, where)
    origin = typing.get_origin(tp)
    if origin is tuple:
        if not isinstance(doc, list):
            raise RecordJsonError(f"{where}: expected a list")
        (item,) = [arg for arg in typing.get_args(tp) if arg is not Ellipsis]
        return tuple(record_from_json(item, x, field_name, f"{where}[{i}]") for i, x in enumerate(doc))
    if isinstance(tp, types.UnionType) or origin is typing.Union:
        (inner,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return None if doc is None else record_from_json(inner, doc, field_name, where)
    if not isinstance(doc, dict):
        raise RecordJsonError(f"{where}: expected a JSON object")
    fields = dict(doc)
    if isinstance(tp, type) and Tagged in tp.__bases__:  # a union: the member named by "type"
        member = tp._registry.get(fields.get("type"))  # type: ignore[attr-defined]
        if member is None:
            raise RecordJsonError(f"{where}: unknown message type {fields.get('type')!r}")
        tp = member
    if isinstance(tp, type) and issubclass(tp, Tagged):
        if fields.pop("type", tp.TAG) != tp.TAG:
            raise RecordJsonError(f"{where}: expected type {tp.TAG!r}")
        where = tp.TAG
    hints = typing.get_type_hints(tp)
    names = [f.name for f in dataclasses.fields(tp)]
    unknown = set(fields) - set(names)
    missing = [name for name in names if name not in fields]
    if unknown or missing:
        raise RecordJsonError(f"{where}: unknown fields {sorted(unknown)}, missing fields {missing}")
    return tp(**{name: record_from_json(hints[name], fields[name], name, f"{where}.{name}") for name in names})


def _bytes_from_json(doc: Any, field_name: str, where: str) -> bytes:
    if type(doc) is not str:
        raise RecordJsonError(f"{where}: expected a string")
    if field_name in ADDRESS_FIELDS and doc.startswith("ake1"):
        try:
            return parse_address(doc)
        except CryptoError as exc:
            raise RecordJsonError(f"{where}: {exc}") from exc
    try:
        return bytes.fromhex(doc)
    except ValueError:
        raise RecordJsonError(f"{where}: expected hex or an ake1 address") from None
