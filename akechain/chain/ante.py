"""The checks and charges every tx passes before its messages run (cosmos-sdk's "ante handler").

Whatever the messages then do, the fee stays charged and the nonce stays consumed: that is what
makes a failing tx cost its sender something and stops it from being replayed.
"""
from __future__ import annotations

from akechain.chain.crypto import Address
from akechain.chain.modules.auth.keeper import get_nonce, increase_nonce
from akechain.chain.modules.auth.params import get_params
from akechain.chain.modules.bank.keeper import get_balance, process_fee
from akechain.chain.store import StoreView
from akechain.chain.tx import BadNonceError, CannotPayFeeError, FeeTooLowError, Tx, verify_memo


def process_ante(store: StoreView, tx: Tx, sender: Address) -> None:
    body = tx.body
    params = get_params(store)
    verify_memo(tx, params.max_memo_length)
    # Verify the nonce is the account's next one (replays and gaps are rejected)
    expected = get_nonce(store, sender)
    if body.nonce != expected:
        raise BadNonceError(f"nonce {body.nonce} is not the account's next nonce {expected}")
    # Verify the fee meets the minimum
    if body.fee < params.min_fee:
        raise FeeTooLowError(f"fee {body.fee} uake is below the minimum {params.min_fee} uake")
    # Verify the sender can pay the fee
    balance = get_balance(store, sender)
    if balance < body.fee:
        raise CannotPayFeeError(f"balance {balance} uake cannot pay the fee {body.fee} uake")
    process_fee(store, sender, body.fee)
    increase_nonce(store, sender, body.pub_key)
