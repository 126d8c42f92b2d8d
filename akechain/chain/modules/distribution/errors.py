"""Typed errors of the distribution module (codes 160-179)."""
from __future__ import annotations

from akechain.chain.codec import AppError


class NoDelegationError(AppError):
    """Withdraw rewards from a validator the sender does not delegate to."""

    code = 160


class NotValidatorError(AppError):
    """Withdraw commission by an account that operates no validator."""

    code = 161


class WithdrawAddressError(AppError):
    """A withdraw address that is a module account (its funds move only by its module's logic)."""

    code = 162
