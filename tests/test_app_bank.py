"""The bank and auth under random tx sequences, against a dict model of balances and nonces."""
from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from akechain.chain.crypto import get_address
from akechain.chain.modules.bank.keeper import InsufficientFundsError
from akechain.chain.modules.bank.msgs import MsgMultiSend, MsgSend, Output
from akechain.chain.tx import (
    BadNonceError,
    CannotPayFeeError,
    FeeTooLowError,
    InvalidSignatureError,
    WrongChainError,
    build_tx,
)
from test_app_support import AUTH_PARAMS, BANK_PARAMS, CHAIN_ID, TREASURY, make_app, make_genesis, make_keys, run_block

KEYS = make_keys(4)
ADDRESSES = [get_address(k) for k in KEYS] + [TREASURY]  # the treasury also receives sends
GENESIS_AMOUNT = 10**6
accounts = st.integers(0, len(KEYS) - 1)
recipients = st.integers(0, len(ADDRESSES) - 1)
amounts = st.integers(1, GENESIS_AMOUNT)
fees = st.integers(0, 3 * AUTH_PARAMS.min_fee)


class BankMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.app, _ = make_app(make_genesis(KEYS, GENESIS_AMOUNT)["app_state"])
        self.balances = {a: GENESIS_AMOUNT for a in ADDRESSES[: len(KEYS)]}  # model, pending txs applied
        self.nonces = {a: 0 for a in ADDRESSES}
        self.burned = 0
        self.initial = GENESIS_AMOUNT * len(KEYS)
        self.block: list[tuple[bytes, int]] = []  # (tx, expected code)
        self.committed: list[bytes] = []
        self.last_nonces = dict(self.nonces)

    # -- model ---------------------------------------------------------------------------------

    def expect(self, tx: bytes, sender: bytes, nonce: int, fee: int, outputs: list[list[tuple[bytes, int]]]) -> None:
        """Apply the tx to the model: stateless/ante failures change nothing, a failing message
        costs only the fee and nonce."""
        code = 0
        if nonce != self.nonces[sender]:
            code = BadNonceError.code
        elif fee < AUTH_PARAMS.min_fee:
            code = FeeTooLowError.code
        elif self.balances.get(sender, 0) < fee:
            code = CannotPayFeeError.code
        if not code:
            self.balances[sender] -= fee
            burn = fee * BANK_PARAMS.burn_bps // 10_000
            self.burned += burn
            self.credit(TREASURY, fee - burn)
            self.nonces[sender] += 1
            before = dict(self.balances)
            for msg_outputs in outputs:  # one list of outputs per message, all or nothing
                total = sum(amount for _, amount in msg_outputs)
                if self.balances[sender] < total:
                    code = InsufficientFundsError.code
                    self.balances = before
                    break
                self.balances[sender] -= total
                for to, amount in msg_outputs:
                    self.credit(to, amount)
        self.block.append((tx, code))

    def credit(self, address: bytes, amount: int) -> None:
        self.balances[address] = self.balances.get(address, 0) + amount

    # -- rules ---------------------------------------------------------------------------------

    @rule(s=accounts, sends=st.lists(st.tuples(recipients, amounts), min_size=1, max_size=3), fee=fees)
    def send(self, s: int, sends: list[tuple[int, int]], fee: int) -> None:
        """One tx of 1-3 MsgSend: a later message failing must undo the earlier ones."""
        sender = ADDRESSES[s]
        nonce = self.nonces[sender]
        msgs = [MsgSend(ADDRESSES[r], amount) for r, amount in sends]
        tx = build_tx(KEYS[s], CHAIN_ID, nonce, fee, msgs)
        self.expect(tx, sender, nonce, fee, [[(msg.to, msg.amount)] for msg in msgs])

    @rule(s=accounts, outs=st.lists(st.tuples(recipients, amounts), min_size=1, max_size=3),
          fee=fees)
    def multi_send(self, s: int, outs: list[tuple[int, int]], fee: int) -> None:
        sender = ADDRESSES[s]
        nonce = self.nonces[sender]
        outputs = [(ADDRESSES[r], amount // 3 + 1) for r, amount in outs]
        msg = MsgMultiSend(tuple(Output(to, amount) for to, amount in outputs))
        self.expect(build_tx(KEYS[s], CHAIN_ID, nonce, fee, [msg]), sender, nonce, fee, [outputs])

    @rule(s=accounts, skip=st.integers(1, 3))
    def wrong_nonce(self, s: int, skip: int) -> None:
        sender = ADDRESSES[s]
        nonce = self.nonces[sender] + skip
        self.expect(build_tx(KEYS[s], CHAIN_ID, nonce, 20, [MsgSend(TREASURY, 1)]), sender, nonce, 20, [[(TREASURY, 1)]])

    @precondition(lambda self: self.committed)
    @rule(index=st.integers(0, 10**6))
    def replay(self, index: int) -> None:
        self.block.append((self.committed[index % len(self.committed)], BadNonceError.code))

    @rule(s=accounts)
    def bad_signature(self, s: int) -> None:
        tx = build_tx(KEYS[s], CHAIN_ID, self.nonces[ADDRESSES[s]], 20, [MsgSend(TREASURY, 1)])
        self.block.append((tx[:-1] + bytes([tx[-1] ^ 1]), InvalidSignatureError.code))

    @rule(s=accounts)
    def wrong_chain(self, s: int) -> None:
        tx = build_tx(KEYS[s], "other-chain", self.nonces[ADDRESSES[s]], 20, [MsgSend(TREASURY, 1)])
        self.block.append((tx, WrongChainError.code))

    @rule()
    def end_block(self) -> None:
        txs = [tx for tx, _ in self.block]
        result, _ = run_block(self.app, txs)
        assert [r.code for r in result.tx_results] == [code for _, code in self.block], [r.log for r in result.tx_results]
        self.committed += [tx for tx, code in self.block if code in (0, InsufficientFundsError.code)]
        self.block = []
        for address in ADDRESSES:
            account = self.app.get_account(address)
            assert account.balance == self.balances.get(address, 0)
            assert account.nonce == self.nonces[address]
            assert account.nonce >= self.last_nonces[address]
        self.last_nonces = dict(self.nonces)
        supply = self.app.get_supply()
        assert (supply.initial, supply.total, supply.burned) == (self.initial, self.initial - self.burned, self.burned)

    # -- invariants on committed state --------------------------------------------------------

    @invariant()
    def bank_invariants_hold(self) -> None:
        self.app.check_invariants()


BankMachine.TestCase.settings = settings(max_examples=75, stateful_step_count=40, deadline=None)
TestBank = BankMachine.TestCase
