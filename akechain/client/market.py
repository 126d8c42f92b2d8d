"""Client-side helpers for market messages: human input → `Resources` / `Policy`, and the
workload a job carries.

A job's `workload` field holds the compact JSON `{"argv": [...], "image": "..."}` (sorted keys,
ASCII): the command a provider runs (no shell: argv as given) and optionally a docker image. The
chain stores the bytes as they are (at most `MAX_WORKLOAD`); the consumer encodes them here and
the provider agent decodes them here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Mapping

from akechain.chain.codec import InvalidMsgError
from akechain.chain.modules.market.msgs import (
    MAX_WORKLOAD,
    POLICY_NONE,
    POLICY_REDUNDANCY,
    POLICY_SPOT_CHECK,
    Policy,
    Resources,
)

RESOURCE_FIELDS = {f.name: f.type for f in fields(Resources)}


class MarketInputError(ValueError):
    """Malformed human input for a market message (resources, policy, workload)."""


@dataclass(frozen=True, slots=True)
class Workload:
    argv: tuple[str, ...]
    image: str  # "" = run argv as a local process
    network: bool = False  # the command needs network access (only agents that allow it run it)


def parse_resources(text: str) -> Resources:
    """`cpu_cores=2,memory_mb=512,gpu_model=A100,gpu_count=1`; fields left out are 0 / ""."""
    values: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep:
            raise MarketInputError(f"resources: {item!r} must look like field=value")
        values[name.strip()] = value.strip()
    return resources_from_mapping(values)


def resources_from_mapping(values: Mapping[str, object]) -> Resources:
    """A Resources record from names → values (a TOML table or parsed flags); missing = 0 / ""."""
    unknown = sorted(set(values) - set(RESOURCE_FIELDS))
    if unknown:
        raise MarketInputError(f"resources: unknown field(s) {unknown}; known: {sorted(RESOURCE_FIELDS)}")
    parsed: dict[str, object] = {}
    for name in RESOURCE_FIELDS:
        value = values.get(name, "" if name == "gpu_model" else 0)
        if name == "gpu_model":
            parsed[name] = str(value)
            continue
        try:
            parsed[name] = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise MarketInputError(f"resources: {name} must be an integer, got {value!r}") from None
    resources = Resources(**parsed)  # type: ignore[arg-type]
    try:
        resources.validate("resources")
    except InvalidMsgError as exc:
        raise MarketInputError(str(exc)) from None
    return resources


def build_policy(redundancy: str | None, spot_check_bps: int | None) -> Policy:
    """No flag: no verification; `K/N`: k-of-n redundancy; a rate: spot checks."""
    if redundancy and spot_check_bps:
        raise MarketInputError("choose one of redundancy and spot checks")
    if spot_check_bps:
        return Policy(POLICY_SPOT_CHECK, spot_check_bps, 1, 1)
    if not redundancy:
        return Policy(POLICY_NONE, 0, 1, 1)
    k, sep, n = redundancy.partition("/")
    if not sep or not k.isdigit() or not n.isdigit():
        raise MarketInputError(f"redundancy must look like K/N (e.g. 2/3), got {redundancy!r}")
    policy = Policy(POLICY_REDUNDANCY, 0, int(k), int(n))
    try:
        policy.validate()
    except InvalidMsgError as exc:
        raise MarketInputError(str(exc)) from None
    return policy


def sorted_attributes(attributes: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(sorted(set(attributes)))


def encode_workload(argv: list[str] | tuple[str, ...], image: str = "", network: bool = False) -> bytes:
    """The workload bytes naming `argv` (run without a shell), optionally a docker image, and
    whether it needs network access (written only when it does, so older workloads stay valid)."""
    if not argv:
        raise MarketInputError("a workload needs a command")
    doc: dict[str, object] = {"argv": list(argv), "image": image}
    if network:
        doc["network"] = True
    payload = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    if len(payload) > MAX_WORKLOAD:
        raise MarketInputError(f"command too long: the workload takes {len(payload)} bytes, at most {MAX_WORKLOAD}")
    return payload


def decode_workload(payload: bytes) -> Workload | None:
    """The workload a job names, or None if it names none (or a malformed one)."""
    try:
        doc = json.loads(payload)
    except ValueError:  # UnicodeDecodeError included
        return None
    if not isinstance(doc, dict) or not {"argv", "image"} <= set(doc) <= {"argv", "image", "network"}:
        return None
    argv, image, network = doc["argv"], doc["image"], doc.get("network", False)
    if not isinstance(argv, list) or not argv or not all(isinstance(arg, str) for arg in argv):
        return None
    if not isinstance(image, str) or not isinstance(network, bool):
        return None
    return Workload(tuple(argv), image, network)
