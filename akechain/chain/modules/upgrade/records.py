"""Upgrade state records and their keys (prefixes 0x70-0x72).

At most one plan is pending (0x70); applied plans stay by name (0x71), so a name is never scheduled
twice; each module's consensus version as the state records it (0x72), what migrations start from.
"""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.crypto import module_account

PLAN_KEY = b"\x70"
APPLIED_PREFIX = b"\x71"  # + plan name -> the height it was applied at
VERSION_PREFIX = b"\x72"  # + module name -> its consensus version in state
MAX_NAME = 64
MAX_INFO = 1024
# gov's authority, the sender of a passed proposal's messages (gov carries this module's messages, so
# this module does not import gov)
GOV_AUTHORITY = module_account("gov")


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    height: int  # the block at which every node stops, or, knowing the plan, migrates and continues
    info: str  # free text for operators (where to get the release)


@dataclass(frozen=True, slots=True)
class AppliedPlan:
    height: int


@dataclass(frozen=True, slots=True)
class ModuleVersion:
    version: int


def get_applied_key(name: str) -> bytes:
    return APPLIED_PREFIX + name.encode()


def get_version_key(module: str) -> bytes:
    return VERSION_PREFIX + module.encode()


# what genesis exports and imports; the versions are the binary's, written at init_chain
TABLES: dict[bytes, type] = {PLAN_KEY: Plan, APPLIED_PREFIX: AppliedPlan}
