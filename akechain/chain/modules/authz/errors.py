"""Typed errors of the authz module (codes 220-229)."""
from __future__ import annotations

from akechain.chain.codec import AppError


class GrantNotFoundError(AppError):
    """No grant from this granter to this grantee (never given, or revoked)."""

    code = 220


class GrantExpiredError(AppError):
    code = 221


class MsgNotAllowedError(AppError):
    """A message whose type the grant does not list."""

    code = 222


class SpendLimitError(AppError):
    """The messages would take more of the granter's balance this period than the grant allows."""

    code = 223


class SelfGrantError(AppError):
    code = 224
