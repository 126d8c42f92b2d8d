"""Bridge state records and their keys (prefixes 0xe0-0xec).

Outgoing transfers wait in a queue keyed by id until end block moves them into a batch; valsets and
batches wait for the orchestrators' signatures (their signing requests live until the window to
sign is over, so a late signer is still checked); attestations of EVM events live until their
event nonce executes. Every digest the chain ever asked validators to sign is remembered, so a
signature over anything else is evidence.
"""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import Msg
from akechain.chain.crypto import module_account

EVM_KEY_PREFIX = b"\xe1"  # + operator -> EvmKey
EVM_OWNER_PREFIX = b"\xe2"  # + EVM address -> EvmOwner
TRANSFER_PREFIX = b"\xe3"  # + u64 id -> OutgoingTransfer (queued: not yet in a batch)
BATCH_PREFIX = b"\xe4"  # + u64 batch nonce -> Batch
VALSET_PREFIX = b"\xe5"  # + u64 valset nonce -> Valset
SIGNING_PREFIX = b"\xe6"  # + kind + u64 nonce -> SigningRequest
CONFIRM_PREFIX = b"\xe7"  # + kind + u64 nonce + operator -> Confirm
SIGNING_DUE_PREFIX = b"\xe8"  # + u64 due height + kind + u64 nonce -> Marker
ATTESTATION_PREFIX = b"\xe9"  # + u64 event nonce + claim hash -> Attestation
EVENT_NONCE_PREFIX = b"\xea"  # + operator -> LastEventNonce
CHECKPOINT_PREFIX = b"\xeb"  # + digest -> Marker: every valset checkpoint and batch digest made
PUNISHED_PREFIX = b"\xec"  # + digest + operator -> Marker: a bad signature is punished once
STATE_KEY = b"\xed"

BRIDGE_ACCOUNT = module_account("bridge")  # holds every AKE locked for the EVM side

VALSET, BATCH = 0, 1  # signing request kinds
KIND_NAMES = ("valset", "batch")
HASH = 32


@dataclass(frozen=True, slots=True)
class EvmKey:
    address: bytes  # 20-byte EVM address


@dataclass(frozen=True, slots=True)
class EvmOwner:
    operator: bytes


@dataclass(frozen=True, slots=True)
class OutgoingTransfer:
    id: int
    sender: bytes
    destination: bytes  # EVM address
    amount: int


@dataclass(frozen=True, slots=True)
class Batch:
    nonce: int
    transfers: tuple[OutgoingTransfer, ...]
    timeout: int  # EVM block height from which the contract refuses it
    created_height: int
    executed: bool  # the validators attested its BatchExecuted event (kept a while for queries)

    @property
    def total(self) -> int:
        return sum(t.amount for t in self.transfers)


@dataclass(frozen=True, slots=True)
class ValsetMember:
    evm_address: bytes
    power: int  # normalised to POWER_SCALE over the set
    operator: bytes


@dataclass(frozen=True, slots=True)
class Valset:
    nonce: int
    members: tuple[ValsetMember, ...]  # EVM addresses strictly ascending, as the contract wants
    created_height: int


@dataclass(frozen=True, slots=True)
class SigningRequest:
    """What validators must sign (a valset checkpoint or batch digest) and who must."""

    digest: bytes
    signers: tuple[bytes, ...]  # operators, sorted
    due_height: int


@dataclass(frozen=True, slots=True)
class Confirm:
    signature: bytes  # 65 bytes r ‖ s ‖ v


@dataclass(frozen=True, slots=True)
class Attestation:
    claim: Msg  # the claim message, identical from every voter
    voters: tuple[bytes, ...]  # operators, in order of arrival


@dataclass(frozen=True, slots=True)
class LastEventNonce:
    nonce: int


@dataclass(frozen=True, slots=True)
class Marker:
    pass


@dataclass(frozen=True, slots=True)
class BridgeState:
    next_transfer_id: int
    last_batch_nonce: int  # of the last batch made (0: none yet)
    valset_count: int  # valsets made; the latest has nonce valset_count - 1
    last_observed_event_nonce: int  # the last EVM event executed
    last_observed_evm_height: int
    last_observed_valset_nonce: int  # the contract's current set, as attested (-1: none seen yet)
    last_observed_batch_nonce: int
    queued_count: int  # records under TRANSFER_PREFIX
    evm_supply: int  # ERC-20 supply as the executed events tell (minted by batches, less deposits back)


INITIAL_STATE = BridgeState(1, 0, 0, 0, 0, -1, 0, 0, 0)


def u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def get_transfer_key(transfer_id: int) -> bytes:
    return TRANSFER_PREFIX + u64(transfer_id)


def get_signing_key(kind: int, nonce: int) -> bytes:
    return SIGNING_PREFIX + bytes([kind]) + u64(nonce)


def get_confirm_prefix(kind: int, nonce: int) -> bytes:
    return CONFIRM_PREFIX + bytes([kind]) + u64(nonce)


def get_signing_due_key(due_height: int, kind: int, nonce: int) -> bytes:
    return SIGNING_DUE_PREFIX + u64(due_height) + bytes([kind]) + u64(nonce)


def get_attestation_prefix(event_nonce: int) -> bytes:
    return ATTESTATION_PREFIX + u64(event_nonce)


TABLES: dict[bytes, type] = {
    EVM_KEY_PREFIX: EvmKey,
    EVM_OWNER_PREFIX: EvmOwner,
    TRANSFER_PREFIX: OutgoingTransfer,
    BATCH_PREFIX: Batch,
    VALSET_PREFIX: Valset,
    SIGNING_PREFIX: SigningRequest,
    CONFIRM_PREFIX: Confirm,
    SIGNING_DUE_PREFIX: Marker,
    ATTESTATION_PREFIX: Attestation,
    EVENT_NONCE_PREFIX: LastEventNonce,
    CHECKPOINT_PREFIX: Marker,
    PUNISHED_PREFIX: Marker,
    STATE_KEY: BridgeState,
}
