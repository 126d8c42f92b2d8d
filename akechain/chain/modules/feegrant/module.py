"""The feegrant module's descriptor: fee allowances (as the Cosmos SDK's x/feegrant basic allowance),
which the ante consults for every tx (`take_fee_payer`)."""
from __future__ import annotations

from akechain.chain.module import Module
from akechain.chain.modules.feegrant.handlers import HANDLERS
from akechain.chain.modules.feegrant.keeper import get_allowance
from akechain.chain.modules.feegrant.records import TABLES
from akechain.chain.state_rows import state_rows_genesis

MODULE = Module(
    name="feegrant",
    prefixes=tuple(TABLES),
    error_codes=range(230, 240),
    handlers=HANDLERS,
    genesis=state_rows_genesis("feegrant", TABLES),
    tables=TABLES,
    queries={"allowance": get_allowance},
    strategies="akechain.chain.modules.feegrant.strategies",
)
