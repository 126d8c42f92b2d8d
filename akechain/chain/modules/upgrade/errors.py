"""Upgrade errors: codes 240-249 for what a tx or a proposal gets wrong; the halts are not AppErrors,
since they stop the node rather than fail a tx."""
from __future__ import annotations

from akechain.chain.codec import AppError


class UpgradePlanError(AppError):
    """A plan whose height is not in the future, or whose name was applied already."""

    code = 240


class NoUpgradePlanError(AppError):
    code = 241


class NotGovAuthorityError(AppError):
    """Plans are scheduled and cancelled only by a passed proposal (the gov authority)."""

    code = 242


UPGRADE_ERRORS = (UpgradePlanError, NoUpgradePlanError, NotGovAuthorityError)


class UpgradeHaltError(RuntimeError):
    """The block cannot be applied by this binary: the node must stop before it, with nothing applied."""


class UpgradeNeededError(UpgradeHaltError):
    """The plan is due and this binary has no handler for it (the old version)."""


class BinaryUpdatedEarlyError(UpgradeHaltError):
    """This binary handles a plan that is not due yet (the new version, started too early)."""


class BinaryTooOldError(UpgradeHaltError):
    """The state holds a module at a later version than this binary's: the chain was upgraded past it."""


class MigrationFailedError(UpgradeHaltError):
    """A module's migration failed at the plan's height: nothing of the block is applied."""
