"""Typed errors of the feegrant module (codes 230-239)."""
from __future__ import annotations

from akechain.chain.codec import AppError


class AllowanceNotFoundError(AppError):
    code = 230


class AllowanceTakenError(AppError):
    """The grantee already has an allowance from another granter (it, or that granter, revokes it first)."""

    code = 231


class SelfAllowanceError(AppError):
    code = 232
