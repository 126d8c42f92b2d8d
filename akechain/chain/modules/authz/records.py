"""Authz state records and keys (prefix 0xf0): one grant per (granter, grantee), replaced by a new grant."""
from __future__ import annotations

from dataclasses import dataclass

GRANT_PREFIX = b"\xf0"  # + granter + grantee


@dataclass(frozen=True, slots=True)
class Grant:
    msg_types: tuple[str, ...]  # message tags the grantee may send for the granter, sorted
    spend_limit: int  # uake of the granter's balance the grantee's messages may take per period
    period_ms: int
    expiration_ms: int  # block time from which the grant is void
    period_start_ms: int  # start of the current period (periods are back to back from the grant)
    spent: int  # uake taken in the current period


def get_grant_key(granter: bytes, grantee: bytes) -> bytes:
    return GRANT_PREFIX + granter + grantee


TABLES: dict[bytes, type] = {GRANT_PREFIX: Grant}
