"""The checks and charges every tx passes before its messages run (cosmos-sdk's "ante handler").

Whatever the messages then do, the fee stays charged and the nonce stays consumed: that is what
makes a failing tx cost its sender something and stops it from being replayed.
"""
from __future__ import annotations

from akechain.chain.crypto import Address
from akechain.chain.modules.auth.keeper import get_nonce, increase_nonce
from akechain.chain.modules.auth.params import compute_required_fee, get_params
from akechain.chain.modules.bank.keeper import get_balance, process_fee
from akechain.chain.modules.feegrant.keeper import take_fee_payer
from akechain.chain.modules.kpi.counters import increase_counters
from akechain.chain.store import StoreView
from akechain.chain.tx import BadNonceError, CannotPayFeeError, FeeTooLowError, Tx, TxTooHeavyError, verify_memo


def process_ante(store: StoreView, tx: Tx, sender: Address, tx_bytes: int, work: int) -> None:
    """`tx_bytes`: the length of the tx's wire bytes, `work`: its work units; its fee pays for both."""
    body = tx.body
    params = get_params(store)
    verify_memo(tx, params.max_memo_length)
    # Verify the tx fits in a block: no proposal may carry more than max_block_work
    if work > params.max_block_work:
        raise TxTooHeavyError(f"tx is {work} work units, a block holds at most {params.max_block_work}")
    # Verify the nonce is the account's next one (replays and gaps are rejected)
    expected = get_nonce(store, sender)
    if body.nonce != expected:
        raise BadNonceError(f"nonce {body.nonce} is not the account's next nonce {expected}")
    # Verify the fee pays for the tx: a base, its messages, its bytes and its work
    required = compute_required_fee(params, len(body.msgs), tx_bytes, work)
    if body.fee < required:
        raise FeeTooLowError(
            f"fee {body.fee} uake is below the required {required} uake (min_fee {params.min_fee} + "
            f"{params.fee_per_msg} x {len(body.msgs)} msgs + {params.fee_per_byte} x {tx_bytes} bytes + "
            f"{params.fee_per_work} x {work} work units)"
        )
    # Verify the payer can pay the fee: the sender, or the granter of its fee allowance
    payer = take_fee_payer(store, sender, body.fee)
    balance = get_balance(store, payer)
    if balance < body.fee:
        raise CannotPayFeeError(f"balance {balance} uake cannot pay the fee {body.fee} uake")
    process_fee(store, payer, body.fee)
    increase_counters(store, fees=body.fee)
    increase_nonce(store, sender, body.pub_key)
