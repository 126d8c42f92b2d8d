"""JSON views of bridge records for the HTTP API (`/bridge/...`): outgoing transfers with their state
(queued, batched, signed by > 2/3, minted), batches and valsets with the orchestrators' signatures
and the share of power they carry, pending EVM-event claims, params and the counters, and one
orchestrator's registration and next event nonce. EVM addresses and signatures are 0x-hex."""
from __future__ import annotations

from typing import Any

from akechain.chain.crypto import format_address
from akechain.chain.modules.bridge import queries
from akechain.chain.modules.bridge.params import PARAMS
from akechain.chain.store import StoreView
from akechain.node.rpc.render import record_to_json


def hex0x(raw: bytes) -> str:
    return "0x" + raw.hex()


def get_signed_json(item: queries.SignedItem) -> dict[str, Any]:
    return {
        "digest": hex0x(item.digest) if item.digest else None,
        "signers": [format_address(operator) for operator in item.signers],
        "signatures": [{"validator": format_address(s.operator), "evm_address": hex0x(s.evm_address),
                        "signature": hex0x(s.signature)} for s in item.signatures],
        "signed_power_bps": item.signed_power_bps,
    }


def get_transfers(store: StoreView, limit: int | None = None) -> list[dict[str, Any]]:
    return [{"id": v.transfer.id, "sender": format_address(v.transfer.sender),
             "destination": hex0x(v.transfer.destination), "amount": v.transfer.amount, "status": v.status,
             "batch_nonce": v.batch_nonce} for v in queries.query_transfers(store, limit)]


def get_batches(store: StoreView) -> list[dict[str, Any]]:
    return [{"nonce": b.nonce, "transfers": [{"id": t.id, "destination": hex0x(t.destination), "amount": t.amount}
                                             for t in b.transfers],
             "total": b.total, "timeout": b.timeout, "created_height": b.created_height, "executed": b.executed,
             **get_signed_json(queries.query_batch_signatures(store, b.nonce))} for b in queries.query_batches(store)]


def get_valset_json(store: StoreView, valset) -> dict[str, Any]:
    return {"nonce": valset.nonce, "created_height": valset.created_height,
            "members": [{"evm_address": hex0x(m.evm_address), "power": m.power, "validator": format_address(m.operator)}
                        for m in valset.members],
            **get_signed_json(queries.query_valset_signatures(store, valset.nonce))}


def get_valsets(store: StoreView) -> list[dict[str, Any]]:
    return [get_valset_json(store, v) for v in queries.query_valsets(store)]


def get_claims(store: StoreView) -> dict[str, Any]:
    state = queries.query_state(store)
    return {
        "last_observed_event_nonce": state.last_observed_event_nonce,
        "last_observed_evm_height": state.last_observed_evm_height,
        "pending": [{"event_nonce": a.event_nonce, "type": a.attestation.claim.TAG,
                     "claim": record_to_json(a.attestation.claim),
                     "voters": [format_address(v) for v in a.attestation.voters], "power_bps": a.power_bps}
                    for a in queries.query_attestations(store)],
    }


def get_params(store: StoreView) -> dict[str, Any]:
    return PARAMS.to_json(queries.query_params(store))


def get_state(store: StoreView) -> dict[str, Any]:
    return {**record_to_json(queries.query_state(store)),
            "evm_keys": [{"validator": format_address(op), "evm_address": hex0x(evm)}
                         for op, evm in queries.query_evm_keys(store)]}


def get_orchestrator(store: StoreView, operator: bytes) -> dict[str, Any]:
    evm = queries.query_evm_key(store, operator)
    return {"validator": format_address(operator), "evm_address": None if evm is None else hex0x(evm),
            "last_event_nonce": queries.query_last_event_nonce(store, operator)}


VIEWS = {
    "transfers": get_transfers,
    "batches": get_batches,
    "valsets": get_valsets,
    "claims": get_claims,
    "params": get_params,
    "state": get_state,
}


def get_view(store: StoreView, view: str) -> Any:
    """`/bridge/{view}`; an unknown view is the client's mistake (ValueError: 400)."""
    if view not in VIEWS:
        raise ValueError(f"no bridge view {view!r}: one of {', '.join(VIEWS)}")
    return VIEWS[view](store)
