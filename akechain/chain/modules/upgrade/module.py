"""The upgrade module's descriptor: plans scheduled by passed proposals, the halt at their height and
the modules' migrations (run by the app before any begin block: see preblock.py)."""
from __future__ import annotations

from akechain.chain.module import Genesis, Module
from akechain.chain.modules.upgrade import genesis
from akechain.chain.modules.upgrade.handlers import HANDLERS
from akechain.chain.modules.upgrade.queries import QUERIES
from akechain.chain.modules.upgrade.records import PLAN_KEY, APPLIED_PREFIX, VERSION_PREFIX, Plan, AppliedPlan, ModuleVersion

MODULE = Module(
    name="upgrade",
    prefixes=(PLAN_KEY, APPLIED_PREFIX, VERSION_PREFIX),
    error_codes=range(240, 250),
    handlers=HANDLERS,
    genesis=Genesis(genesis.init_genesis, genesis.export_genesis, optional=True),
    tables={PLAN_KEY: Plan, APPLIED_PREFIX: AppliedPlan, VERSION_PREFIX: ModuleVersion},
    queries=QUERIES,
    strategies="akechain.chain.modules.upgrade.strategies",
)
