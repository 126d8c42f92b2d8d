"""The escrow module's descriptor. It has no messages: the market opens, funds, streams and refunds
escrows as its jobs and leases move; its records are exported in the market genesis section."""
from __future__ import annotations

from akechain.chain.module import Module
from akechain.chain.modules.escrow.invariants import INVARIANTS
from akechain.chain.modules.escrow.keeper import ESCROW_ACCOUNT, TABLES, query_escrow

MODULE = Module(
    name="escrow",
    prefixes=tuple(TABLES),
    error_codes=range(60, 70),
    invariants=INVARIANTS,
    tables=TABLES,
    queries={"escrow": query_escrow},
    accounts=(ESCROW_ACCOUNT,),
)
