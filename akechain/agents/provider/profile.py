"""A provider's on-chain profile, from flags or a TOML file:

    region = "eu-west"
    endpoint = "https://p1.example"
    attributes = ["tier=gold"]
    collateral = 50000000          # uake staked when registering
    [hardware]
    cpu_cores = 4
    memory_mb = 8192
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from akechain.client.market import MarketInputError, resources_from_mapping, sorted_attributes
from akechain.chain.modules.market.msgs import MsgRegisterProvider, MsgUpdateProvider, Resources

PROFILE_KEYS = {"region", "endpoint", "attributes", "collateral", "hardware"}


@dataclass(frozen=True, slots=True)
class Profile:
    hardware: Resources
    region: str
    attributes: tuple[str, ...]
    endpoint: str
    collateral: int

    def register_msg(self) -> MsgRegisterProvider:
        return MsgRegisterProvider(self.hardware, self.region, self.attributes, self.endpoint, self.collateral)

    def update_msg(self) -> MsgUpdateProvider:
        return MsgUpdateProvider(self.hardware, self.region, self.attributes, self.endpoint)


def load_profile(path: Path) -> Profile:
    try:
        doc = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MarketInputError(f"cannot read profile {path}: {exc}") from exc
    unknown = sorted(set(doc) - PROFILE_KEYS)
    if unknown:
        raise MarketInputError(f"profile {path}: unknown key(s) {unknown}; known: {sorted(PROFILE_KEYS)}")
    attributes = doc.get("attributes", [])
    if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
        raise MarketInputError(f"profile {path}: attributes must be a list of key=value strings")
    collateral = doc.get("collateral", 0)
    if type(collateral) is not int or collateral < 0:
        raise MarketInputError(f"profile {path}: collateral must be a non-negative integer")
    return Profile(resources_from_mapping(doc.get("hardware", {})), str(doc.get("region", "")),
                   sorted_attributes(attributes), str(doc.get("endpoint", "")), collateral)
