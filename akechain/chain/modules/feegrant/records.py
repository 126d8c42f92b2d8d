"""Feegrant state (prefix 0xf4): at most one allowance per grantee, so the ante reads one key per tx."""
from __future__ import annotations

from dataclasses import dataclass

ALLOWANCE_PREFIX = b"\xf4"  # + grantee


@dataclass(frozen=True, slots=True)
class Allowance:
    granter: bytes
    remaining: int  # uake of fees the granter still pays for the grantee


def get_allowance_key(grantee: bytes) -> bytes:
    return ALLOWANCE_PREFIX + grantee


TABLES: dict[bytes, type] = {ALLOWANCE_PREFIX: Allowance}
