"""The upgrades this binary handles: `UPGRADES` lists those a release ships (each an `Upgrade`: a plan
name and the new module descriptors with their migrations), and `akechain start --upgrade-plugin
MODULE:ATTR` adds one from an importable Python module (an operator's patch, and how tests run "the
new version" without a second checkout). A node whose registry holds a plan's upgrade migrates at
the plan's height and continues; one without it stops there (see modules/upgrade/preblock.py)."""
from __future__ import annotations

import importlib
from collections.abc import Iterable

from akechain.chain.module import Upgrade
from akechain.chain.registry import MODULES, Registry

UPGRADES: tuple[Upgrade, ...] = ()  # a release appends its plan here, with the modules it migrates


class UpgradePluginError(ValueError):
    """A plugin spec that does not name an importable `Upgrade`."""


def load_upgrade_plugin(spec: str) -> Upgrade:
    """`MODULE:ATTR`, e.g. `upgrade_plugin:UPGRADE` (MODULE on the Python path)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UpgradePluginError(f"upgrade plugin {spec!r} must be MODULE:ATTR")
    try:
        upgrade = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise UpgradePluginError(f"upgrade plugin {spec!r}: {exc}") from exc
    if not isinstance(upgrade, Upgrade):
        raise UpgradePluginError(f"upgrade plugin {spec!r} is a {type(upgrade).__name__}, not an Upgrade")
    return upgrade


def build_registry(plugins: Iterable[str] = ()) -> Registry:
    """The chain's modules with the shipped upgrades and those of `plugins` (specs)."""
    return Registry(MODULES, UPGRADES + tuple(load_upgrade_plugin(spec) for spec in plugins))
