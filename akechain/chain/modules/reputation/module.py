"""The reputation module's descriptor. It has no messages: the market records each settlement,
penalty and slash; its params are the market's `reputation_*` params (the genesis format keeps them
there) and its records are exported in the market genesis section."""
from __future__ import annotations

from akechain.chain.module import Module
from akechain.chain.modules.reputation.keeper import HISTORY_PREFIX, REPUTATION_PREFIX, TABLES

MODULE = Module(name="reputation", prefixes=(REPUTATION_PREFIX, HISTORY_PREFIX), error_codes=range(80, 90), tables=TABLES)
