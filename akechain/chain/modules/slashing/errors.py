"""Typed errors of the slashing module (codes 140-159): why an unjail is refused, and why a piece of
evidence is (recorded as an event, state untouched)."""
from __future__ import annotations

from akechain.chain.codec import AppError


class ValidatorNotJailedError(AppError):
    code = 140


class JailNotOverError(AppError):
    """Unjail before the jail's end (block time)."""

    code = 141


class ValidatorTombstonedError(AppError):
    """A double signer is jailed for good."""

    code = 142


class SelfDelegationTooLowToUnjailError(AppError):
    code = 143


class UnknownEvidenceValidatorError(AppError):
    """Evidence names a consensus address no validator has."""

    code = 144


class EvidenceTooOldError(AppError):
    code = 145


class EvidenceNotInSetError(AppError):
    """The validator was not in the set at the evidence's height (as far as the kept spans tell)."""

    code = 146
