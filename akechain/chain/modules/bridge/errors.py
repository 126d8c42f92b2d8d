"""Typed errors of the bridge module (codes 200-219): why a registration, transfer, signature, claim
or piece of evidence is refused (state untouched)."""
from __future__ import annotations

from akechain.chain.codec import AppError


class NotAValidatorError(AppError):
    """Registrations, signatures and claims come only from validators (claims: of the active set)."""

    code = 200


class EvmKeyAlreadyRegisteredError(AppError):
    """A validator registers one EVM key, once."""

    code = 201


class EvmKeyInUseError(AppError):
    """Another validator registered that EVM address."""

    code = 202


class InvalidEvmSignatureError(AppError):
    """The signature does not recover to the EVM address it must come from (wrong key, wrong bridge id)."""

    code = 203


class NoEvmKeyError(AppError):
    code = 204


class QueueFullError(AppError):
    code = 205


class TransferNotQueuedError(AppError):
    """Unknown, or already batched (a batch may reach the EVM side at any moment: no cancel then)."""

    code = 206


class NotTransferOwnerError(AppError):
    code = 207


class UnknownSigningRequestError(AppError):
    """No valset or batch with that nonce awaits signatures."""

    code = 208


class NotARequiredSignerError(AppError):
    code = 209


class AlreadyConfirmedError(AppError):
    code = 210


class ClaimNonceError(AppError):
    """A claim's event nonce must be the orchestrator's last + 1 (no gap, no repeat)."""

    code = 211


class EvidenceOfExistingItemError(AppError):
    """The signed valset or batch is one the chain made: signing it was the validator's duty."""

    code = 212


class UnknownEvmSignerError(AppError):
    """The signature recovers to an EVM address no validator registered."""

    code = 213


class EvidenceAlreadyPunishedError(AppError):
    code = 214
