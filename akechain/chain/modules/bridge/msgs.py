"""Bridge messages: a validator registers its EVM key; anyone sends AKE to an EVM address (and
cancels while it waits); orchestrators sign valsets and batches and claim the contract's events;
anyone submits evidence of a signature over something the chain never made."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import InvalidMsgError, Msg, check_positive_amount, check_uint63
from akechain.chain.modules.bridge.evm import EVM_ADDRESS_LENGTH
from state.codec import tagged

EVM_SIGNATURE_LENGTH = 65
MAX_RECIPIENT_LENGTH = 128  # the contract takes any string: orchestrators cut longer ones to this
MAX_VALSET_MEMBERS = 1_000  # staking's max_validators bound
MAX_BATCH_TRANSFERS = 100  # the max_batch_size bound
ZERO_EVM_ADDRESS = bytes(EVM_ADDRESS_LENGTH)


def check_evm_address(value: object, what: str) -> None:
    if type(value) is not bytes or len(value) != EVM_ADDRESS_LENGTH:
        raise InvalidMsgError(f"{what} must be a {EVM_ADDRESS_LENGTH}-byte EVM address")


def check_evm_signature(value: object) -> None:
    if type(value) is not bytes or len(value) != EVM_SIGNATURE_LENGTH or value[64] not in (27, 28):
        raise InvalidMsgError("signature must be 65 bytes r ‖ s ‖ v with v 27 or 28")


@tagged(Msg, "bridge/register-evm-key")
@dataclass(frozen=True, slots=True)
class MsgRegisterEvmKey(Msg):
    """By a validator's operator: `signature` by the EVM key over `registration_digest(bridge id, operator)`."""

    evm_address: bytes
    signature: bytes

    def validate_basic(self) -> None:
        check_evm_address(self.evm_address, "evm_address")
        if self.evm_address == ZERO_EVM_ADDRESS:
            raise InvalidMsgError("evm_address must not be the zero address")
        check_evm_signature(self.signature)


@tagged(Msg, "bridge/send-to-evm")
@dataclass(frozen=True, slots=True)
class MsgSendToEvm(Msg):
    """Lock `amount` uake in the bridge and queue its mint to `destination` on the EVM side."""

    destination: bytes
    amount: int

    def validate_basic(self) -> None:
        check_evm_address(self.destination, "destination")
        if self.destination == ZERO_EVM_ADDRESS:
            raise InvalidMsgError("destination must not be the zero address (the mint would burn it)")
        check_positive_amount(self.amount, "amount")


@tagged(Msg, "bridge/cancel")
@dataclass(frozen=True, slots=True)
class MsgCancelSendToEvm(Msg):
    """Unlock a transfer of the sender's that is still queued."""

    transfer_id: int

    def validate_basic(self) -> None:
        check_uint63(self.transfer_id, "transfer_id")


@tagged(Msg, "bridge/confirm-valset")
@dataclass(frozen=True, slots=True)
class MsgConfirmValset(Msg):
    """An orchestrator's EVM signature over valset `nonce`'s checkpoint."""

    nonce: int
    signature: bytes

    def validate_basic(self) -> None:
        check_uint63(self.nonce, "nonce")
        check_evm_signature(self.signature)


@tagged(Msg, "bridge/confirm-batch")
@dataclass(frozen=True, slots=True)
class MsgConfirmBatch(Msg):
    """An orchestrator's EVM signature over batch `nonce`'s digest."""

    nonce: int
    signature: bytes

    def validate_basic(self) -> None:
        check_uint63(self.nonce, "nonce")
        check_evm_signature(self.signature)


def check_claim_header(event_nonce: object, evm_height: object) -> None:
    check_uint63(event_nonce, "event_nonce")
    if event_nonce == 0:
        raise InvalidMsgError("event_nonce starts at 1 (0 is the contract's deployment)")
    check_uint63(evm_height, "evm_height")


@tagged(Msg, "bridge/deposit-claim")
@dataclass(frozen=True, slots=True)
class MsgDepositClaim(Msg):
    """The contract's `SendToAke` event: `amount` burned there by `evm_sender` for `ake_recipient`."""

    event_nonce: int
    evm_height: int
    evm_sender: bytes
    ake_recipient: str  # as the event has it (cut to MAX_RECIPIENT_LENGTH); an invalid one pays the treasury
    amount: int

    def validate_basic(self) -> None:
        check_claim_header(self.event_nonce, self.evm_height)
        check_evm_address(self.evm_sender, "evm_sender")
        if type(self.ake_recipient) is not str or len(self.ake_recipient) > MAX_RECIPIENT_LENGTH:
            raise InvalidMsgError(f"ake_recipient must be a string of at most {MAX_RECIPIENT_LENGTH} characters")
        check_uint63(self.amount, "amount")


@tagged(Msg, "bridge/batch-executed-claim")
@dataclass(frozen=True, slots=True)
class MsgBatchExecutedClaim(Msg):
    """The contract's `BatchExecuted` event."""

    event_nonce: int
    evm_height: int
    batch_nonce: int

    def validate_basic(self) -> None:
        check_claim_header(self.event_nonce, self.evm_height)
        check_uint63(self.batch_nonce, "batch_nonce")


@tagged(Msg, "bridge/valset-updated-claim")
@dataclass(frozen=True, slots=True)
class MsgValsetUpdatedClaim(Msg):
    """The contract's `ValsetUpdated` event (after its deployment's)."""

    event_nonce: int
    evm_height: int
    valset_nonce: int

    def validate_basic(self) -> None:
        check_claim_header(self.event_nonce, self.evm_height)
        check_uint63(self.valset_nonce, "valset_nonce")


Claim = MsgDepositClaim | MsgBatchExecutedClaim | MsgValsetUpdatedClaim


@tagged(Msg, "bridge/valset-signature-evidence")
@dataclass(frozen=True, slots=True)
class MsgValsetSignatureEvidence(Msg):
    """A validator's EVM signature over a valset checkpoint the chain never made (anyone may submit it)."""

    valset_nonce: int
    validators: tuple[bytes, ...]
    powers: tuple[int, ...]
    signature: bytes

    def validate_basic(self) -> None:
        check_uint63(self.valset_nonce, "valset_nonce")
        if len(self.validators) > MAX_VALSET_MEMBERS or len(self.powers) != len(self.validators):
            raise InvalidMsgError(f"a valset has at most {MAX_VALSET_MEMBERS} members, one power each")
        for address in self.validators:
            check_evm_address(address, "validators[]")
        for power in self.powers:
            check_uint63(power, "powers[]")
        check_evm_signature(self.signature)


@tagged(Msg, "bridge/batch-signature-evidence")
@dataclass(frozen=True, slots=True)
class MsgBatchSignatureEvidence(Msg):
    """A validator's EVM signature over a batch digest the chain never made (anyone may submit it)."""

    amounts: tuple[int, ...]
    destinations: tuple[bytes, ...]
    batch_nonce: int
    batch_timeout: int
    signature: bytes

    def validate_basic(self) -> None:
        if len(self.amounts) > MAX_BATCH_TRANSFERS or len(self.destinations) != len(self.amounts):
            raise InvalidMsgError(f"a batch has at most {MAX_BATCH_TRANSFERS} transfers, one destination each")
        for amount in self.amounts:
            check_uint63(amount, "amounts[]")
        for address in self.destinations:
            check_evm_address(address, "destinations[]")
        check_uint63(self.batch_nonce, "batch_nonce")
        check_uint63(self.batch_timeout, "batch_timeout")
        check_evm_signature(self.signature)
