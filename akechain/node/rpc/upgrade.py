"""JSON views of the upgrade module for the HTTP API (`/upgrade/{view}`).

`/upgrade/plan`: `plan`, the pending plan ({`name`, `height`, `info`}) or null. `/upgrade/applied`:
`applied`, the plans applied, each {`name`, `height`} by name. `/upgrade/versions`: `versions`, each
module's consensus version as the state records it (what the next upgrade migrates from).
"""
from __future__ import annotations

from typing import Any, Callable

from akechain.chain.modules.upgrade import keeper
from akechain.chain.store import StoreView


def get_plan_json(store: StoreView) -> dict[str, Any]:
    plan = keeper.get_plan(store)
    return {"plan": None if plan is None else {"name": plan.name, "height": plan.height, "info": plan.info}}


def get_applied_json(store: StoreView) -> dict[str, Any]:
    return {"applied": [{"name": name, "height": height} for name, height in keeper.get_applied(store).items()]}


def get_versions_json(store: StoreView) -> dict[str, Any]:
    return {"versions": keeper.get_versions(store)}


VIEWS: dict[str, Callable[[StoreView], dict[str, Any]]] = {
    "plan": get_plan_json, "applied": get_applied_json, "versions": get_versions_json,
}


def get_view(store: StoreView, view: str) -> dict[str, Any]:
    """Raises ValueError (a 400) for a view that does not exist."""
    if view not in VIEWS:
        raise ValueError(f"no upgrade view {view!r}: one of {', '.join(VIEWS)}")
    return VIEWS[view](store)
