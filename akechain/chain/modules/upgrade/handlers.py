"""Scheduling and cancelling plans: messages only a passed proposal sends (the gov authority)."""
from __future__ import annotations

from akechain.chain.crypto import Address
from akechain.chain.modules.upgrade import keeper as k
from akechain.chain.modules.upgrade.errors import NoUpgradePlanError, NotGovAuthorityError, UpgradePlanError
from akechain.chain.modules.upgrade.msgs import MsgCancelUpgrade, MsgSoftwareUpgrade
from akechain.chain.modules.upgrade.records import GOV_AUTHORITY, PLAN_KEY, Plan
from akechain.chain.store import BlockContext, Event, StoreView, make_event


def require_authority(sender: Address, msg: object) -> None:
    if sender != GOV_AUTHORITY:
        raise NotGovAuthorityError(f"{type(msg).__name__} is executed only by a passed proposal")


def process_software_upgrade(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgSoftwareUpgrade) -> list[Event]:
    require_authority(sender, msg)
    # Verify the plan is still ahead and its name was never applied (a name means one set of migrations)
    if msg.height <= ctx.height:
        raise UpgradePlanError(f"plan {msg.name!r} at height {msg.height} is not after the current height {ctx.height}")
    applied = k.get_applied_height(store, msg.name)
    if applied is not None:
        raise UpgradePlanError(f"plan {msg.name!r} was applied at height {applied}")
    replaced = k.get_plan(store)
    store.set(PLAN_KEY, Plan(msg.name, msg.height, msg.info))
    return [make_event("schedule_upgrade", name=msg.name, height=msg.height,
                       replaced="" if replaced is None else replaced.name)]


def process_cancel_upgrade(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgCancelUpgrade) -> list[Event]:
    require_authority(sender, msg)
    plan = k.get_plan(store)
    if plan is None:
        raise NoUpgradePlanError("no upgrade plan is pending")
    store.delete(PLAN_KEY)
    return [make_event("cancel_upgrade", name=plan.name, height=plan.height)]


HANDLERS = {MsgSoftwareUpgrade: process_software_upgrade, MsgCancelUpgrade: process_cancel_upgrade}
