"""Work units: what a tx makes every node do, priced and capped per block (as the Cosmos SDK's gas
and its consensus `block.max_gas`, but declared, not metered: a tx's work is known before it runs).

One unit is about one microsecond of one core of the reference machine (the dev box `bench.market`
runs on) for executing and committing the work. A tx costs `TX_WORK` (signature, fee and nonce
writes, their commit) plus its messages' declared work: each module names a cost per message type in
its descriptor (`Module.work`), either a number or, for a message that carries others (authz exec)
or a list (multi-send), a function of the message. A message type that declares nothing costs
`DEFAULT_MSG_WORK`. The fee pays `auth.fee_per_work` per unit; `auth.max_block_work` caps the sum
over a block's txs (proposers stop at it, validators reject a block above it).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from akechain.chain.codec import Msg

TX_WORK = 100  # verify one signature, charge the fee, bump the nonce, commit those records
DEFAULT_MSG_WORK = 200  # a handler of a few reads and writes

# a message's work: units, or (msg, work of a nested message) -> units
MsgWork = int | Callable[[Any, Callable[[Msg], int]], int]


def compute_tx_work(table: Mapping[type[Msg], MsgWork], msgs: Iterable[Msg]) -> int:
    """The work of a tx carrying `msgs`, by the costs of `table` (message type -> its work)."""

    def measure(msg: Msg) -> int:
        cost = table.get(type(msg), DEFAULT_MSG_WORK)
        return cost if isinstance(cost, int) else cost(msg, measure)

    return TX_WORK + sum(measure(msg) for msg in msgs)
