"""Typed errors of the staking module (codes 100-119). Those a message can be refused for without
state are InvalidMsgError subclasses, so admission refuses them with their own code."""
from __future__ import annotations

from akechain.chain.codec import AppError, InvalidMsgError


class ValidatorNotFoundError(AppError):
    code = 100


class ValidatorExistsError(AppError):
    code = 101


class ConsensusKeyInUseError(AppError):
    """Another validator signs with this consensus key (or did, until it was removed)."""

    code = 102


class CommissionAboveMaxError(InvalidMsgError):
    code = 103


class CommissionChangeError(AppError):
    """A commission change larger than the validator's daily max, or a second change within a day."""

    code = 104


class SelfDelegationTooLowError(AppError):
    code = 105


class ValidatorTombstonedError(AppError):
    code = 106


class InsufficientDelegationError(AppError):
    code = 107


class DelegationNotFoundError(AppError):
    code = 108


class SelfRedelegationError(InvalidMsgError):
    code = 109


class TransitiveRedelegationError(AppError):
    """Redelegating away from a validator the stake was itself redelegated to, before that matured."""

    code = 110


class TooManyEntriesError(AppError):
    code = 111


class UnbondingEntryNotFoundError(AppError):
    code = 112


class CancelTooMuchError(AppError):
    code = 113


class InvalidSharesError(AppError):
    """An amount worth no share of the validator (too small, or the validator holds no tokens)."""

    code = 114


class ConsensusKeyIsAccountKeyError(AppError):
    """The consensus key must not be the operator's account key: a hot signing key must not hold funds."""

    code = 115
