"""Typed errors of the verify module (codes 70-79)."""
from __future__ import annotations

from akechain.chain.codec import AppError


class ChallengeWindowClosedError(AppError):
    code = 70


class ChallengeNotAllowedError(AppError):
    code = 71


class ChallengeNotFoundError(AppError):
    code = 72


class NotRefereeError(AppError):
    code = 73


class ChallengeExistsError(AppError):
    code = 74


class NoRefereeError(AppError):
    code = 75
