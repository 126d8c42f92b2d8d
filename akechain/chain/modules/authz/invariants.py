"""Authz's law: no grant has spent more of its period than its limit."""
from __future__ import annotations

from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.authz.records import GRANT_PREFIX, Grant
from akechain.chain.store import StoreView


def check_spend_limits(store: StoreView) -> None:
    for key, grant in store.iterate(GRANT_PREFIX, Grant):
        if not 0 <= grant.spent <= grant.spend_limit:
            raise InvariantBrokenError(f"grant {key.hex()} spent {grant.spent} of a {grant.spend_limit} uake limit")


INVARIANTS = {"spend_limits": check_spend_limits}
