"""Typed errors of the escrow module (codes 60-69)."""
from __future__ import annotations

from akechain.chain.codec import AppError


class NothingToWithdrawError(AppError):
    code = 60


class EscrowNotFoundError(AppError):
    code = 61


class StreamNotFoundError(AppError):
    code = 62


class EscrowClosedError(AppError):
    code = 63
