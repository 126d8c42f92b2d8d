"""Typed errors of the gov module (codes 180-199). Those a message can be refused for without
state are InvalidMsgError subclasses, so admission refuses them with their own code."""
from __future__ import annotations

from akechain.chain.codec import AppError, InvalidMsgError


class ProposalNotFoundError(AppError):
    code = 180


class NotInDepositPeriodError(AppError):
    """A deposit to a proposal whose deposit and voting periods are over."""

    code = 181


class NotInVotingPeriodError(AppError):
    """A vote on a proposal that is not (or no longer) open for votes."""

    code = 182


class NoVotingPowerError(AppError):
    """A vote by an account with no bonded stake, no validator and no one delegating power to it."""

    code = 183


class InitialDepositTooLowError(AppError):
    code = 184


class ProposalMsgError(InvalidMsgError):
    """A proposal message governance cannot execute (an unknown type, or a nested proposal)."""

    code = 185


class ParamChangeError(AppError):
    """A param change naming no module with params, an unknown param, or a value outside its bounds."""

    code = 186


class NotAuthorityError(AppError):
    """A governance-only message (param change, treasury spend, grant) sent by an account, not a passed proposal."""

    code = 187


class DelegationLoopError(AppError):
    """Delegating governance power to oneself or to an account that delegates its own onward."""

    code = 188


class NoVoteDelegationError(AppError):
    code = 189


class ProposalTooLargeError(AppError):
    """More messages, or more bytes, than the params allow a proposal."""

    code = 190


class GrantNotFoundError(AppError):
    code = 191


class TooManyGrantsError(AppError):
    code = 192


class TreasuryRecipientError(AppError):
    """A spend or grant to a module account (its funds move only by its module's logic)."""

    code = 193


class GuardianPowerError(AppError):
    """A guardian action by an account that is not the guardian, or that the guardian no longer has."""

    code = 194


class GuardianChangeError(AppError):
    """A guardian change that would widen its powers (governance only narrows them) or revive it."""

    code = 195


class PausedError(AppError):
    """An action the guardian has paused (new market jobs, the bridge)."""

    code = 196
