"""The bank and auth under random tx sequences (the kit's bank strategies, valid and invalid, with
envelope faults and replays of committed txs), against a dict model of balances, nonces and supply
(fees reach the fee collector; each block starts by minting the emission and splitting the collector
into burn and treasury, no validator having signed)."""
from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from akechain.chain.codec import InvalidMsgError
from akechain.chain.modules.bank.keeper import FEE_COLLECTOR, TREASURY, InsufficientFundsError
from akechain.chain.modules.bank.msgs import MsgMultiSend, MsgSend
from akechain.chain.tx import BadNonceError, CannotPayFeeError, FeeTooLowError, InvalidSignatureError, WrongChainError
from akechain.testing import ChainMachine, TxDraft
from akechain.testing.driver import is_valid_basic
from consensus.abci import FinalizeResult

FAULT_CODES = {"nonce": BadNonceError.code, "signature": InvalidSignatureError.code, "chain": WrongChainError.code}


class BankMachine(ChainMachine):
    modules = ("bank",)
    account_count = 4

    def __init__(self) -> None:
        super().__init__()
        self.balances = {a: self.chain.query("bank", "balance", a) for a in (*self.driver.accounts, TREASURY)}
        self.nonces = {a: 0 for a in self.driver.accounts}
        supply = self.chain.query("bank", "supply")  # after block 1, which genesis commits with
        self.initial, self.burned, self.minted = supply.initial, supply.burned, supply.minted
        params = self.chain.app.get_params()
        self.min_fee, self.distribution = params["auth"]["min_fee"], params["distribution"]
        self.committed: list[bytes] = []

    @precondition(lambda self: self.committed)
    @rule(index=st.integers(0, 10**6))
    def replay_a_committed_tx(self, index: int) -> None:
        self.driver.submit_raw(self.committed[index % len(self.committed)])

    def end_block(self) -> FinalizeResult:
        """Predict every tx's code from the model, run the block, and compare codes and state."""
        self.split_fee_collector()
        signed = dict(self.driver.nonces)  # the nonce each draft is signed with (the driver's, as it signs)
        expected = [self.expect(draft, signed) for draft in self.driver.pending]
        result = super().end_block()
        assert [r.code for r in result.tx_results] == expected, [r.log for r in result.tx_results]
        txs = self.chain.blocks[-1].request.txs
        self.committed += [tx for tx, r in zip(txs, result.tx_results) if r.code in (0, InsufficientFundsError.code)]
        for address, balance in self.balances.items():
            assert self.chain.query("bank", "balance", address) == balance
        for address, nonce in self.nonces.items():
            assert self.chain.app.get_account(address).nonce == nonce
        supply = self.chain.query("bank", "supply")
        assert (supply.initial, supply.burned, supply.minted) == (self.initial, self.burned, self.minted)
        assert supply.total == self.initial + self.minted - self.burned
        return result

    def split_fee_collector(self) -> None:
        """Begin block: the emission is minted into the collector, which is emptied into burn and treasury."""
        emission = self.distribution["emission_per_block"]  # the first epoch, far from the cap
        self.minted += emission
        pot = self.balances.pop(FEE_COLLECTOR, 0) + emission
        burn = pot * self.distribution["burn_bps"] // 10_000
        self.burned += burn
        if pot > burn:
            self.credit(TREASURY, pot - burn)

    def expect(self, draft: TxDraft | bytes, signed: dict[bytes, int]) -> int:
        """The model's code for one tx: stateless and ante failures change nothing, a failing message
        costs only the fee and nonce, the messages of a tx apply all or nothing."""
        if isinstance(draft, bytes):
            return BadNonceError.code  # a committed tx again
        if draft.fault in FAULT_CODES:
            return FAULT_CODES[draft.fault]
        if not is_valid_basic(draft.msgs):
            return InvalidMsgError.code
        nonce = signed[draft.sender]
        signed[draft.sender] += draft.fault == ""
        if nonce != self.nonces[draft.sender]:
            return BadNonceError.code
        if draft.fault == "fee":
            return FeeTooLowError.code
        if self.balances.get(draft.sender, 0) < self.min_fee:
            return CannotPayFeeError.code
        self.debit(draft.sender, self.min_fee)
        self.credit(FEE_COLLECTOR, self.min_fee)
        self.nonces[draft.sender] += 1
        before = dict(self.balances)
        for msg in draft.msgs:
            outputs = [(msg.to, msg.amount)] if isinstance(msg, MsgSend) else [(o.to, o.amount) for o in msg.outputs]
            assert isinstance(msg, (MsgSend, MsgMultiSend))
            if self.balances.get(draft.sender, 0) < sum(amount for _, amount in outputs):
                self.balances = before
                return InsufficientFundsError.code
            self.debit(draft.sender, sum(amount for _, amount in outputs))
            for to, amount in outputs:
                self.credit(to, amount)
        return 0

    def credit(self, address: bytes, amount: int) -> None:
        self.balances[address] = self.balances.get(address, 0) + amount

    def debit(self, address: bytes, amount: int) -> None:
        self.balances[address] -= amount
        if not self.balances[address]:
            del self.balances[address]  # stored balances are positive: an emptied account reads 0


BankMachine.TestCase.settings = settings(max_examples=75, stateful_step_count=40, deadline=None)
TestBank = BankMachine.TestCase
