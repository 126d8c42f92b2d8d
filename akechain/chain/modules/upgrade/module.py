"""The upgrade module's descriptor: plans scheduled by passed proposals, the halt at their height and
the modules' migrations (run by the app before any begin block: see preblock.py)."""
from __future__ import annotations

from akechain.chain.module import Module
from akechain.chain.modules.upgrade.handlers import HANDLERS
from akechain.chain.modules.upgrade.queries import QUERIES
from akechain.chain.modules.upgrade.records import PLAN_KEY, APPLIED_PREFIX, TABLES, VERSION_PREFIX, Plan, AppliedPlan, ModuleVersion
from akechain.chain.state_rows import state_rows_genesis

MODULE = Module(
    name="upgrade",
    prefixes=(PLAN_KEY, APPLIED_PREFIX, VERSION_PREFIX),
    error_codes=range(240, 250),
    handlers=HANDLERS,
    genesis=state_rows_genesis("upgrade", TABLES),
    tables={PLAN_KEY: Plan, APPLIED_PREFIX: AppliedPlan, VERSION_PREFIX: ModuleVersion},
    queries=QUERIES,
    strategies="akechain.chain.modules.upgrade.strategies",
)
