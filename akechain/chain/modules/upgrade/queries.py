"""Read-only upgrade queries: the pending plan, the applied plans, the modules' consensus versions."""
from __future__ import annotations

from akechain.chain.modules.upgrade import keeper as k
from akechain.chain.modules.upgrade.records import Plan
from akechain.chain.store import StoreView


def query_plan(store: StoreView) -> Plan | None:
    return k.get_plan(store)


QUERIES = {"plan": query_plan, "applied": k.get_applied, "versions": k.get_versions}
