"""The bridge message server: registration, the outgoing queue, orchestrator signatures, event claims
and bad-signature evidence. Each handler is bounded by its message (evidence by its valset or
batch, at most the msgs' bounds) and by the active set's size."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.bank.keeper import process_transfer
from akechain.chain.modules.bridge import keeper as k
from akechain.chain.modules.bridge.errors import (
    AlreadyConfirmedError,
    ClaimNonceError,
    EvidenceAlreadyPunishedError,
    EvidenceOfExistingItemError,
    EvmKeyAlreadyRegisteredError,
    EvmKeyInUseError,
    InvalidEvmSignatureError,
    NoEvmKeyError,
    NotARequiredSignerError,
    NotAValidatorError,
    NotTransferOwnerError,
    QueueFullError,
    TransferNotQueuedError,
    UnknownEvmSignerError,
    UnknownSigningRequestError,
)
from akechain.chain.modules.bridge.evm import (
    EvmSignature,
    EvmSignatureError,
    batch_digest,
    compute_bridge_id,
    recover_signer,
    registration_digest,
    valset_checkpoint,
)
from akechain.chain.modules.bridge.msgs import (
    Claim,
    MsgBatchExecutedClaim,
    MsgBatchSignatureEvidence,
    MsgCancelSendToEvm,
    MsgConfirmBatch,
    MsgConfirmValset,
    MsgDepositClaim,
    MsgRegisterEvmKey,
    MsgSendToEvm,
    MsgValsetSignatureEvidence,
    MsgValsetUpdatedClaim,
)
from akechain.chain.modules.bridge.params import get_params
from akechain.chain.modules.bridge.records import (
    BATCH,
    BRIDGE_ACCOUNT,
    PUNISHED_PREFIX,
    VALSET,
    Attestation,
    Confirm,
    Marker,
    OutgoingTransfer,
    get_attestation_prefix,
    get_confirm_prefix,
    get_transfer_key,
)
from akechain.chain.modules.gov.guardian import verify_not_paused
from akechain.chain.modules.gov.records import PAUSE_BRIDGE
from akechain.chain.modules.staking.keeper import get_validator
from akechain.chain.store import BlockContext, Event, StoreView, make_event


def recover(digest: bytes, signature: bytes) -> bytes:
    try:
        return recover_signer(digest, EvmSignature.from_bytes(signature))
    except EvmSignatureError as exc:
        raise InvalidEvmSignatureError(str(exc)) from exc


def process_register_evm_key(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgRegisterEvmKey) -> list[Event]:
    # Verify the sender runs a validator that has no EVM key yet, and the address is nobody's
    if get_validator(store, sender) is None:
        raise NotAValidatorError(f"{format_address(sender)} is not a validator operator")
    if k.get_evm_key(store, sender) is not None:
        raise EvmKeyAlreadyRegisteredError(f"validator {format_address(sender)} already registered an EVM key")
    if k.get_evm_owner(store, msg.evm_address) is not None:
        raise EvmKeyInUseError(f"EVM address 0x{msg.evm_address.hex()} is registered by another validator")
    # Verify the EVM key signed this validator's address on this chain
    signer = recover(registration_digest(compute_bridge_id(ctx.chain_id), sender), msg.signature)
    if signer != msg.evm_address:
        raise InvalidEvmSignatureError(f"the signature is by 0x{signer.hex()}, not 0x{msg.evm_address.hex()} "
                                       f"(or not over this validator and chain id)")
    k.set_evm_key(store, sender, msg.evm_address)
    return [make_event("bridge_register", validator=format_address(sender), evm_address="0x" + msg.evm_address.hex())]


def process_send_to_evm(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgSendToEvm) -> list[Event]:
    verify_not_paused(store, PAUSE_BRIDGE)  # the guardian's emergency stop (gov): no new transfers out
    state = k.get_state(store)
    # Verify the queue has room (the sender's funds are checked by the transfer)
    limit = get_params(store).max_queued_transfers
    if state.queued_count >= limit:
        raise QueueFullError(f"the outgoing queue holds its maximum of {limit} transfers")
    process_transfer(store, sender, BRIDGE_ACCOUNT, msg.amount)
    transfer = OutgoingTransfer(state.next_transfer_id, sender, msg.destination, msg.amount)
    store.set(get_transfer_key(transfer.id), transfer)
    k.set_state(store, replace(state, next_transfer_id=transfer.id + 1, queued_count=state.queued_count + 1))
    return [make_event("bridge_send", id=transfer.id, sender=format_address(sender),
                       destination="0x" + msg.destination.hex(), amount=msg.amount)]


def process_cancel(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgCancelSendToEvm) -> list[Event]:
    # Verify the transfer is still queued and the sender's
    transfer = store.get(get_transfer_key(msg.transfer_id), OutgoingTransfer)
    if transfer is None:
        raise TransferNotQueuedError(f"transfer {msg.transfer_id} is not queued (unknown, or already batched)")
    if transfer.sender != sender:
        raise NotTransferOwnerError(f"transfer {msg.transfer_id} was sent by {format_address(transfer.sender)}")
    store.delete(get_transfer_key(transfer.id))
    process_transfer(store, BRIDGE_ACCOUNT, sender, transfer.amount)
    state = k.get_state(store)
    k.set_state(store, replace(state, queued_count=state.queued_count - 1))
    return [make_event("bridge_cancel", id=transfer.id, sender=format_address(sender), amount=transfer.amount)]


def process_confirm(store: StoreView, sender: Address, kind: int, nonce: int, signature: bytes) -> list[Event]:
    # Verify the request awaits this validator's signature and the signature is by its EVM key
    request = k.get_signing_request(store, kind, nonce)
    what = ("valset", "batch")[kind]
    if request is None:
        raise UnknownSigningRequestError(f"no {what} {nonce} awaits signatures")
    if sender not in request.signers:
        raise NotARequiredSignerError(f"{format_address(sender)} is not a signer of {what} {nonce}")
    if k.get_confirm(store, kind, nonce, sender) is not None:
        raise AlreadyConfirmedError(f"{format_address(sender)} already signed {what} {nonce}")
    evm_address = k.get_evm_key(store, sender)
    if evm_address is None:
        raise NoEvmKeyError(f"validator {format_address(sender)} has no EVM key")
    signer = recover(request.digest, signature)
    if signer != evm_address:
        raise InvalidEvmSignatureError(f"the signature over {what} {nonce} is by 0x{signer.hex()}, "
                                       f"not the validator's 0x{evm_address.hex()}")
    store.set(get_confirm_prefix(kind, nonce) + sender, Confirm(signature))
    return [make_event("bridge_confirm", item=what, nonce=nonce, validator=format_address(sender))]


def process_confirm_valset(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgConfirmValset) -> list[Event]:
    return process_confirm(store, sender, VALSET, msg.nonce, msg.signature)


def process_confirm_batch(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgConfirmBatch) -> list[Event]:
    return process_confirm(store, sender, BATCH, msg.nonce, msg.signature)


def process_claim(store: StoreView, ctx: BlockContext, sender: Address, msg: Claim) -> list[Event]:
    """Record the sender's vote for `msg`; end block executes an event once > 2/3 of the power
    attested one same claim for it, in event-nonce order."""
    # Verify the sender is in the active set and claims its next event nonce, not too far ahead
    if sender not in k.get_active_powers(store):
        raise NotAValidatorError(f"{format_address(sender)} is not in the active validator set")
    expected = k.get_last_event_nonce(store, sender) + 1
    if msg.event_nonce != expected:
        raise ClaimNonceError(f"claim nonce {msg.event_nonce}, but {format_address(sender)}'s next is {expected}")
    ahead = get_params(store).max_claims_ahead
    if msg.event_nonce > k.get_state(store).last_observed_event_nonce + ahead:
        raise ClaimNonceError(f"claim nonce {msg.event_nonce} is more than {ahead} past the last executed event")
    key = get_attestation_prefix(msg.event_nonce) + k.compute_claim_hash(msg)
    attestation = store.get(key, Attestation)
    voters = (sender,) if attestation is None else (*attestation.voters, sender)
    store.set(key, Attestation(msg, voters))
    k.set_last_event_nonce(store, sender, msg.event_nonce)
    return [make_event("bridge_claim", event_nonce=msg.event_nonce, claim=msg.TAG, validator=format_address(sender))]


def process_bad_signature(store: StoreView, ctx: BlockContext, digest: bytes, signature: bytes) -> list[Event]:
    # Verify the chain never made what was signed, and the signer is a validator not yet punished for it
    if k.is_known_digest(store, digest):
        raise EvidenceOfExistingItemError("the chain made that valset or batch: signing it was right")
    signer = recover(digest, signature)
    operator = k.get_evm_owner(store, signer)
    if operator is None:
        raise UnknownEvmSignerError(f"no validator registered EVM address 0x{signer.hex()}")
    punished_key = PUNISHED_PREFIX + digest + operator
    if store.get(punished_key, Marker) is not None:
        raise EvidenceAlreadyPunishedError(f"validator {format_address(operator)} was punished for that signature")
    store.set(punished_key, Marker())
    burned = k.process_punishment(store, ctx, operator, get_params(store).slash_fraction_bad_signature)
    return [make_event("slash", validator=format_address(operator), reason="bad_bridge_signature", burned=burned)]


def process_valset_evidence(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgValsetSignatureEvidence) -> list[Event]:
    digest = valset_checkpoint(compute_bridge_id(ctx.chain_id), msg.valset_nonce, msg.validators, msg.powers)
    return process_bad_signature(store, ctx, digest, msg.signature)


def process_batch_evidence(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgBatchSignatureEvidence) -> list[Event]:
    digest = batch_digest(compute_bridge_id(ctx.chain_id), msg.amounts, msg.destinations, msg.batch_nonce, msg.batch_timeout)
    return process_bad_signature(store, ctx, digest, msg.signature)


HANDLERS = {
    MsgRegisterEvmKey: process_register_evm_key,
    MsgSendToEvm: process_send_to_evm,
    MsgCancelSendToEvm: process_cancel,
    MsgConfirmValset: process_confirm_valset,
    MsgConfirmBatch: process_confirm_batch,
    MsgDepositClaim: process_claim,
    MsgBatchExecutedClaim: process_claim,
    MsgValsetUpdatedClaim: process_claim,
    MsgValsetSignatureEvidence: process_valset_evidence,
    MsgBatchSignatureEvidence: process_batch_evidence,
}
