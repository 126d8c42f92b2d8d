"""The authz module's descriptor: hot keys acting for their owner within a grant (message types,
spend limit per period, expiry), as the Cosmos SDK's x/authz with a periodic spend limit."""
from __future__ import annotations

from akechain.chain.module import Module
from akechain.chain.modules.authz.handlers import HANDLERS
from akechain.chain.modules.authz.invariants import INVARIANTS
from akechain.chain.modules.authz.msgs import MsgExec
from akechain.chain.modules.authz.queries import QUERIES
from akechain.chain.modules.authz.records import TABLES
from akechain.chain.state_rows import state_rows_genesis

MODULE = Module(
    name="authz",
    prefixes=tuple(TABLES),
    error_codes=range(220, 230),
    handlers=HANDLERS,
    invariants=INVARIANTS,
    genesis=state_rows_genesis("authz", TABLES),
    tables=TABLES,
    queries=QUERIES,
    strategies="akechain.chain.modules.authz.strategies",
    # the grant check and spend-limit write, then the messages it carries at their own cost
    work={MsgExec: lambda msg, measure: 100 + sum(measure(inner) for inner in msg.msgs)},
)
