"""Typed errors of the market module (codes 40-59)."""
from __future__ import annotations

from akechain.chain.codec import AppError


class ProviderNotFoundError(AppError):
    code = 40


class ProviderExistsError(AppError):
    code = 41


class ProviderHasLeasesError(AppError):
    code = 42


class InsufficientCollateralError(AppError):
    code = 43


class JobNotFoundError(AppError):
    code = 44


class JobNotOpenError(AppError):
    """A bid or bid withdrawal on a job whose bid window has closed (or that is cancelled/closed)."""

    code = 45


class PriceAboveMaxError(AppError):
    code = 46


class DuplicateBidError(AppError):
    code = 47


class BidNotFoundError(AppError):
    code = 48


class ProviderNotEligibleError(AppError):
    """Profile does not satisfy the spec, or the job's allow/deny list excludes the provider."""

    code = 49


class TooManyBidsError(AppError):
    code = 50


class LeaseNotFoundError(AppError):
    code = 51


class NotLeaseProviderError(AppError):
    code = 52


class DuplicateReceiptError(AppError):
    code = 53


class LeaseStateError(AppError):
    code = 54


class NotJobConsumerError(AppError):
    code = 55


class InvalidJobError(AppError):
    """A job that is well-formed but breaks a state-held bound (a param)."""

    code = 56


class JobClosedError(AppError):
    code = 57


class RevealNotOpenError(AppError):
    """A reveal before the lease's reveal phase opened (all replicas committed) or after it ended."""

    code = 58
