"""Fees pay for the work: a base, a part per message, per byte of the signed tx and per work unit. A tx
that packs 32 messages and pays only the base fee is refused, saying what it must pay; the wallet
computes and pays exactly the required fee of the tx it signs."""
from __future__ import annotations

from typing import Any

from akechain.chain.crypto import format_address, get_address
from akechain.chain.genesis import build_genesis
from akechain.chain.modules.auth.params import PARAMS, Params, compute_required_fee, compute_tx_fee
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.registry import DEFAULT_REGISTRY
from akechain.chain.tx import MAX_MSGS, FeeTooLowError, build_tx, build_tx_paying_fee, decode_tx
from akechain.client.wallet import TxOptions, Wallet, WalletRefusedError
from tests.test_app_support import CHAIN_ID, make_app, make_keys, run_block

FEE_PARAMS = Params(min_fee=1_000, fee_per_msg=10, fee_per_byte=1)
KEYS = make_keys(2)
RECIPIENT = get_address(KEYS[1])
MSGS = [MsgSend(RECIPIENT, 1)] * MAX_MSGS
work = DEFAULT_REGISTRY.compute_tx_work


def make_fee_app() -> Any:
    app, _ = make_app(build_genesis(CHAIN_ID, (), {get_address(k): 10**9 for k in KEYS}, auth_params=FEE_PARAMS)["app_state"])
    return app


def test_a_32_message_tx_paying_the_base_fee_is_refused_with_the_required_amount() -> None:
    app = make_fee_app()
    raw = build_tx(KEYS[0], CHAIN_ID, 0, FEE_PARAMS.min_fee, MSGS)
    required = compute_required_fee(FEE_PARAMS, MAX_MSGS, len(raw), work(MSGS))
    assert required > FEE_PARAMS.min_fee + 10 * MAX_MSGS
    check = app.check_tx(raw)
    assert check.code == FeeTooLowError.code and f"required {required} uake" in check.log
    result, _ = run_block(app, [raw])
    assert result.tx_results[0].code == FeeTooLowError.code and f"required {required} uake" in result.tx_results[0].log


def test_the_required_fee_is_accepted_and_one_less_is_not() -> None:
    app = make_fee_app()
    raw = build_tx_paying_fee(KEYS[0], CHAIN_ID, 0, MSGS, FEE_PARAMS)
    fee = decode_tx(raw, 1 << 20).body.fee
    assert fee == compute_required_fee(FEE_PARAMS, MAX_MSGS, len(raw), work(MSGS))
    assert app.check_tx(build_tx(KEYS[0], CHAIN_ID, 0, fee - 1, MSGS)).code == FeeTooLowError.code
    result, _ = run_block(app, [raw])
    assert result.tx_results[0].code == 0, result.tx_results[0].log


def test_the_fee_covers_its_own_bytes_at_the_least() -> None:
    """The fee is written into the bytes it pays for: the result is the least fixed point."""
    for params in (FEE_PARAMS, Params(min_fee=0, fee_per_msg=0, fee_per_byte=1_000_000), Params(min_fee=5, fee_per_msg=0, fee_per_byte=0, fee_per_work=0)):
        def size(fee: int) -> int:
            return len(build_tx(KEYS[0], CHAIN_ID, 7, fee, MSGS[:3]))
        fee = compute_tx_fee(params, 3, work(MSGS[:3]), size)
        assert fee >= compute_required_fee(params, 3, size(fee), work(MSGS[:3]))
        assert fee == params.min_fee or fee - 1 < compute_required_fee(params, 3, size(fee - 1), work(MSGS[:3]))


class StubNode:
    """Answers what a node on CHAIN_ID with FEE_PARAMS would."""

    url = "stub"

    def __init__(self, params: Params) -> None:
        self.params_json = PARAMS.to_json(params)

    def status(self) -> dict[str, Any]:
        return {"chain_id": CHAIN_ID}

    def params(self) -> dict[str, Any]:
        return {"auth": self.params_json}

    def account(self, address: str) -> dict[str, Any]:
        return {"nonce": 3}


def test_the_wallet_computes_and_pays_the_required_fee_of_each_tx() -> None:
    wallet = Wallet(StubNode(FEE_PARAMS), KEYS[0], TxOptions(chain_id=CHAIN_ID))  # type: ignore[arg-type]
    for msgs in (MSGS[:1], MSGS):
        raw = wallet.sign(msgs)
        body = decode_tx(raw, 1 << 20).body
        assert body.nonce == 3 and body.fee == compute_required_fee(FEE_PARAMS, len(msgs), len(raw), work(msgs))
    assert format_address(get_address(KEYS[0])) == wallet.address


def test_the_default_max_fee_is_a_multiple_of_the_trusted_required_fee() -> None:
    """A node claiming 10x the fee params the wallet trusts is refused; a fair one is paid."""
    def cap(msgs: list, tx_bytes: int) -> int:
        return 10 * compute_required_fee(FEE_PARAMS, len(msgs), tx_bytes, work(msgs))
    greedy = Params(min_fee=10 * FEE_PARAMS.min_fee + 1, fee_per_msg=100, fee_per_byte=10, fee_per_work=10)
    wallet = Wallet(StubNode(greedy), KEYS[0], TxOptions(chain_id=CHAIN_ID, max_fee_for=cap))  # type: ignore[arg-type]
    try:
        wallet.sign(MSGS[:1])
        raise AssertionError("the wallet paid a greedy node")
    except WalletRefusedError as exc:
        assert "above the max fee" in str(exc)
    fair = Wallet(StubNode(FEE_PARAMS), KEYS[0], TxOptions(chain_id=CHAIN_ID, max_fee_for=cap))  # type: ignore[arg-type]
    assert decode_tx(fair.sign(MSGS), 1 << 20).body.fee > FEE_PARAMS.min_fee
