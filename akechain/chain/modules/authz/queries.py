"""Read-only authz queries (committed state)."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.modules.authz.records import GRANT_PREFIX, Grant
from akechain.chain.store import StoreView


@dataclass(frozen=True, slots=True)
class GrantView:
    granter: bytes
    grantee: bytes
    grant: Grant


def query_grants(store: StoreView, granter: bytes) -> list[GrantView]:
    """Every grant `granter` has given (expired ones included until revoked or replaced)."""
    return [GrantView(granter, key[-20:], grant) for key, grant in store.iterate(GRANT_PREFIX + granter, Grant)]


def query_grant(store: StoreView, granter: bytes, grantee: bytes) -> Grant | None:
    return store.get(GRANT_PREFIX + granter + grantee, Grant)


QUERIES = {"grants": query_grants, "grant": query_grant}
