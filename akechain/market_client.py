"""Client-side helpers for market messages: human input → `Resources` / `Policy`, and a job's
workload carried in its attributes.

The on-chain Job has no command field, so the workload travels as job attributes
`cmd0=<b64>`, `cmd1=<b64>`, … (base64 of the JSON argv, in chunks that fit an attribute) and
optionally `image=<docker image>`. Job attributes are provider *requirements*, so a provider that
accepts a workload adds the same attributes to its profile in the tx that carries its bid (see
`akechain.provider.agent`): its signature then names exactly the command it agreed to run.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, fields
from typing import Mapping

from akechain.codec import InvalidMsgError
from akechain.modules.market.msgs import (
    MAX_ATTRIBUTES,
    MAX_TEXT,
    POLICY_NONE,
    POLICY_REDUNDANCY,
    POLICY_SPOT_CHECK,
    Policy,
    Resources,
)

CMD_CHUNK = MAX_TEXT - len("cmd0=") - 3  # base64 characters per attribute
MAX_CMD_CHUNKS = 10  # cmd0 … cmd9 sort in order
WORKLOAD_KEY = re.compile(r"^(cmd[0-9]|image)=")
RESOURCE_FIELDS = {f.name: f.type for f in fields(Resources)}


class MarketInputError(ValueError):
    """Malformed human input for a market message (resources, policy, workload)."""


@dataclass(frozen=True, slots=True)
class Workload:
    argv: tuple[str, ...]
    image: str  # "" = run argv as a local process


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


def encode_workload(argv: list[str] | tuple[str, ...], image: str = "") -> tuple[str, ...]:
    """The attributes naming a workload (no shell: argv is run as given)."""
    if not argv:
        raise MarketInputError("a workload needs a command")
    payload = base64.b64encode(json.dumps(list(argv), separators=(",", ":")).encode()).decode()
    chunks = [payload[i:i + CMD_CHUNK] for i in range(0, len(payload), CMD_CHUNK)]
    if len(chunks) > MAX_CMD_CHUNKS:
        raise MarketInputError(f"command too long: {len(payload)} base64 characters, at most {CMD_CHUNK * MAX_CMD_CHUNKS}")
    attributes = [f"cmd{i}={chunk}" for i, chunk in enumerate(chunks)]
    if image:
        attributes.append(f"image={image}")
    if len(attributes) > MAX_ATTRIBUTES:
        raise MarketInputError("the workload needs more attributes than a job may carry")
    return tuple(attributes)


def decode_workload(attributes: tuple[str, ...] | list[str]) -> Workload | None:
    """The workload a job names, or None if it names none (or a malformed one)."""
    chunks = sorted(a for a in attributes if a.startswith("cmd") and WORKLOAD_KEY.match(a))
    if not chunks:
        return None
    try:
        argv = json.loads(base64.b64decode("".join(a.partition("=")[2] for a in chunks), validate=True))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(argv, list) or not argv or not all(isinstance(arg, str) for arg in argv):
        return None
    image = next((a.partition("=")[2] for a in attributes if a.startswith("image=")), "")
    return Workload(tuple(argv), image)


def is_workload_attribute(attribute: str) -> bool:
    return WORKLOAD_KEY.match(attribute) is not None
