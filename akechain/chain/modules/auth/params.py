"""Auth params: the limits every tx is checked against before its messages run, and the fee rule:
a tx pays a base plus a part per message, per byte and per work unit (`akechain.chain.work`), so
packing 32 messages or 16 KiB into one tx, or heavy messages rather than light ones, costs what it
makes every node do and store. `max_block_work` caps the work of one block (its txs' sum), so one
block executes and commits within the block interval whatever its txs are."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from akechain.chain.codec import MAX_UINT63
from akechain.chain.params import ParamSet, param

PARAMS_KEY = b"\x02"


@dataclass(frozen=True, slots=True)
class Params:
    min_fee: int = param(lo=0, hi=MAX_UINT63, default=1_000)  # uake per tx; the mempool prices by fee: the spam floor
    fee_per_msg: int = param(lo=0, hi=10**12, default=10)  # uake per message on top of min_fee
    fee_per_byte: int = param(lo=0, hi=10**9, default=1)  # uake per byte of the signed tx on top of min_fee
    max_tx_bytes: int = param(lo=256, hi=4 * 1024 * 1024, default=16 * 1024)  # >= 256 fits a multi-msg tx; <= codec cap
    max_memo_length: int = param(lo=0, hi=1024, default=256)  # characters
    fee_per_work: int = param(lo=0, hi=10**9, default=1)  # uake per work unit of the tx on top of min_fee
    # work units per block: ~0.5 s of one core of the reference machine for execute + commit; at
    # least ~60 one-transfer txs, at most ~100 s (then the cap is no cap); a tx above it is refused
    max_block_work: int = param(lo=10_000, hi=100_000_000, default=500_000)


PARAMS = ParamSet("auth", PARAMS_KEY, Params)
DEFAULT_PARAMS = Params()
get_params = PARAMS.get


def compute_required_fee(params: Params, msg_count: int, tx_bytes: int, work: int) -> int:
    """The least fee a tx of `msg_count` messages, `tx_bytes` wire bytes and `work` units may pay."""
    return params.min_fee + params.fee_per_msg * msg_count + params.fee_per_byte * tx_bytes + params.fee_per_work * work


def compute_tx_fee(params: Params, msg_count: int, work: int, size_with_fee: Callable[[int], int]) -> int:
    """The least fee that covers the tx it is written into (`size_with_fee(fee)`: the wire bytes
    with that fee; `work`: its work units, which do not depend on the fee). A larger fee can only add bytes to its own encoding, so raising the fee to the
    requirement of the last size reaches a fixed point within a few rounds."""
    fee = compute_required_fee(params, msg_count, 0, work)
    while (required := compute_required_fee(params, msg_count, size_with_fee(fee), work)) > fee:
        fee = required
    return fee
