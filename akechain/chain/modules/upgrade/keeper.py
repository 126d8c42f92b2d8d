"""Upgrade state access: the pending plan, applied plans and the modules' stored consensus versions."""
from __future__ import annotations

from akechain.chain.modules.upgrade.records import (
    APPLIED_PREFIX,
    PLAN_KEY,
    VERSION_PREFIX,
    AppliedPlan,
    ModuleVersion,
    Plan,
    get_applied_key,
    get_version_key,
)
from akechain.chain.store import StoreView


def get_plan(store: StoreView) -> Plan | None:
    return store.get(PLAN_KEY, Plan)


def get_applied_height(store: StoreView, name: str) -> int | None:
    record = store.get(get_applied_key(name), AppliedPlan)
    return None if record is None else record.height


def get_applied(store: StoreView) -> dict[str, int]:
    """Every applied plan's name -> height, by name."""
    return {key[len(APPLIED_PREFIX):].decode(): record.height for key, record in store.iterate(APPLIED_PREFIX, AppliedPlan)}


def get_version(store: StoreView, module: str) -> int | None:
    record = store.get(get_version_key(module), ModuleVersion)
    return None if record is None else record.version


def set_version(store: StoreView, module: str, version: int) -> None:
    store.set(get_version_key(module), ModuleVersion(version))


def get_versions(store: StoreView) -> dict[str, int]:
    return {key[len(VERSION_PREFIX):].decode(): record.version for key, record in store.iterate(VERSION_PREFIX, ModuleVersion)}
