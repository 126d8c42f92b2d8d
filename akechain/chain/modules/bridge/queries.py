"""Read-only bridge queries for RPC, CLI, the orchestrator and tests (committed state; none writes).
Lists are bounded by the module's own bounds (queue, pending batches and valsets, claims ahead)."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.modules.bridge import keeper as k
from akechain.chain.modules.bridge.params import BPS, Params, get_params
from akechain.chain.modules.bridge.records import (
    ATTESTATION_PREFIX,
    BATCH,
    BATCH_PREFIX,
    EVM_KEY_PREFIX,
    TRANSFER_PREFIX,
    VALSET,
    VALSET_PREFIX,
    Attestation,
    Batch,
    BridgeState,
    EvmKey,
    OutgoingTransfer,
    SigningRequest,
    Valset,
)
from akechain.chain.store import StoreView, take


@dataclass(frozen=True, slots=True)
class Signature:
    operator: bytes
    evm_address: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class SignedItem:
    """A valset or batch with the signatures the chain holds for it, and the share of the latest
    valset's normalised power they carry (> 6667 bps: a relayer can submit it)."""

    nonce: int
    digest: bytes  # b"" once its signing window closed
    signers: tuple[bytes, ...]  # operators that must sign while the window is open
    signatures: tuple[Signature, ...]
    signed_power_bps: int


@dataclass(frozen=True, slots=True)
class TransferView:
    transfer: OutgoingTransfer
    status: str  # queued, batched, signed (> 2/3 signed: ready to relay), minted
    batch_nonce: int  # 0 while queued


@dataclass(frozen=True, slots=True)
class AttestationView:
    event_nonce: int
    attestation: Attestation
    power_bps: int  # of the active set's power


def get_signed_item(store: StoreView, kind: int, nonce: int) -> SignedItem:
    request: SigningRequest | None = k.get_signing_request(store, kind, nonce)
    signatures = tuple(Signature(operator, k.get_evm_key(store, operator) or b"", confirm.signature)
                       for operator, confirm in k.iterate_confirms(store, kind, nonce))
    latest = k.get_latest_valset(store)
    signed = {s.evm_address for s in signatures}
    power = 0 if latest is None else sum(m.power for m in latest.members if m.evm_address in signed)
    total = 0 if latest is None else sum(m.power for m in latest.members)
    return SignedItem(nonce, b"" if request is None else request.digest, () if request is None else request.signers,
                      signatures,
                      power * BPS // total if total else 0)


def query_params(store: StoreView) -> Params:
    return get_params(store)


def query_state(store: StoreView) -> BridgeState:
    return k.get_state(store)


def query_evm_key(store: StoreView, operator: bytes) -> bytes | None:
    return k.get_evm_key(store, operator)


def query_evm_keys(store: StoreView) -> list[tuple[bytes, bytes]]:
    """(operator, EVM address) of every registration."""
    return [(key[1:], record.address) for key, record in store.iterate(EVM_KEY_PREFIX, EvmKey)]


def query_valsets(store: StoreView) -> list[Valset]:
    return [valset for _, valset in store.iterate(VALSET_PREFIX, Valset)]


def query_valset(store: StoreView, nonce: int) -> Valset | None:
    return k.get_valset(store, nonce)


def query_latest_valset(store: StoreView) -> Valset | None:
    return k.get_latest_valset(store)


def query_batches(store: StoreView) -> list[Batch]:
    return [batch for _, batch in store.iterate(BATCH_PREFIX, Batch)]


def query_batch(store: StoreView, nonce: int) -> Batch | None:
    return k.get_batch(store, nonce)


def query_valset_signatures(store: StoreView, nonce: int) -> SignedItem:
    return get_signed_item(store, VALSET, nonce)


def query_batch_signatures(store: StoreView, nonce: int) -> SignedItem:
    return get_signed_item(store, BATCH, nonce)


def query_signing_request(store: StoreView, kind: int, nonce: int) -> SigningRequest | None:
    return k.get_signing_request(store, kind, nonce)


def query_transfers(store: StoreView, limit: int | None = None) -> list[TransferView]:
    """Batched transfers (newest batch first), then the queue (oldest first)."""
    views = []
    for batch in reversed(query_batches(store)):
        if batch.executed:
            status = "minted"
        else:
            status = "signed" if k.has_supermajority(get_signed_item(store, BATCH, batch.nonce).signed_power_bps, BPS) else "batched"
        views.extend(TransferView(t, status, batch.nonce) for t in batch.transfers)
    views.extend(TransferView(t, "queued", 0) for _, t in store.iterate(TRANSFER_PREFIX, OutgoingTransfer))
    return take(views, limit)


def query_attestations(store: StoreView) -> list[AttestationView]:
    powers = k.get_active_powers(store)
    total = sum(powers.values())
    return [AttestationView(int.from_bytes(key[1:9], "big"), attestation,
                            sum(powers.get(v, 0) for v in attestation.voters) * BPS // total if total else 0)
            for key, attestation in store.iterate(ATTESTATION_PREFIX, Attestation)]


def query_last_event_nonce(store: StoreView, operator: bytes) -> int:
    """The event nonce `operator` claimed last; its next claim must carry this + 1."""
    return k.get_last_event_nonce(store, operator)


QUERIES = {
    "params": query_params,
    "state": query_state,
    "evm_key": query_evm_key,
    "evm_keys": query_evm_keys,
    "valsets": query_valsets,
    "valset": query_valset,
    "latest_valset": query_latest_valset,
    "batches": query_batches,
    "batch": query_batch,
    "valset_signatures": query_valset_signatures,
    "batch_signatures": query_batch_signatures,
    "signing_request": query_signing_request,
    "transfers": query_transfers,
    "attestations": query_attestations,
    "last_event_nonce": query_last_event_nonce,
}
