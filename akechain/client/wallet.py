"""A key bound to a node: builds every tx one way (chain id, next nonce, the fee the chain's auth
params require for that tx, each overridable for offline signing) and submits it. Shared by `akechain tx …`, the provider agent and
the consumer command.

The node is not trusted: given a chain id, the wallet refuses a node that reports another one, and
given a max fee, it refuses to pay more whoever asked for it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import nacl.signing

from akechain.client.http import NodeClient
from akechain.chain.codec import Msg
from akechain.chain.crypto import compute_address, format_address, get_pub_key, parse_address
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
from akechain.chain.modules.auth.params import Params as AuthParams
from akechain.chain.modules.auth.params import compute_tx_fee
from akechain.chain.modules.authz.msgs import MsgExec
from akechain.chain.registry import DEFAULT_REGISTRY
from akechain.chain.tx import build_tx


class TxFailedError(Exception):
    """A tx was rejected at admission, failed in its block, or did not commit in time."""


class WalletRefusedError(TxFailedError):
    """The wallet will not sign or submit: its node is on another chain, or the fee is over the max."""


@dataclass(frozen=True, slots=True)
class TxOptions:
    """Overrides; None means ask the node (so all three given = signing offline). `chain_id`, when
    given, is also what the node must report; `max_fee` bounds any fee signed, else
    `max_fee_for(msgs, tx bytes)` bounds the fee of each tx (both None: no cap)."""

    fee: int | None = None
    nonce: int | None = None
    chain_id: str | None = None
    memo: str = ""
    max_fee: int | None = None
    max_fee_for: Callable[[Sequence[Msg], int], int] | None = None


class Wallet:
    def __init__(self, client: NodeClient, key: nacl.signing.SigningKey, options: TxOptions = TxOptions()) -> None:
        self.client = client
        self.key = key
        self.options = options
        self.address = format_address(compute_address(get_pub_key(key)))
        self._chain_id = options.chain_id
        self._fee_params: AuthParams | None = None  # the node's, fetched once
        self._node_checked = False

    def sign(self, msgs: Sequence[Msg]) -> bytes:
        options = self.options
        if options.nonce is None or options.fee is None:
            self.check_node()
        if self._chain_id is None:
            self._chain_id = str(self.client.status()["chain_id"])
        nonce = options.nonce
        if nonce is None:
            nonce = int(self.client.account(self.address)["nonce"])
        chain_id = self._chain_id

        def size_with_fee(fee: int) -> int:
            return len(build_tx(self.key, chain_id, nonce, fee, msgs, options.memo))

        fee = options.fee
        if fee is None:
            if self._fee_params is None:
                self._fee_params = AUTH_PARAMS.from_json(self.client.params()["auth"])
            fee = compute_tx_fee(self._fee_params, len(msgs), DEFAULT_REGISTRY.compute_tx_work(msgs), size_with_fee)
        # Verify the fee is one the wallet's owner agreed to, whoever chose it
        max_fee = options.max_fee
        if max_fee is None and options.max_fee_for is not None:
            max_fee = options.max_fee_for(msgs, size_with_fee(fee))
        if max_fee is not None and fee > max_fee:
            raise WalletRefusedError(f"fee {fee} uake is above the max fee {max_fee} uake (--max-fee)")
        return build_tx(self.key, chain_id, nonce, fee, msgs, options.memo)

    def check_node(self) -> None:
        """Raise WalletRefusedError if the node reports another chain than the one this wallet signs for."""
        if self.options.chain_id is None or self._node_checked:
            return
        reported = self.client.status().get("chain_id")
        if reported != self.options.chain_id:
            raise WalletRefusedError(
                f"node {self.client.url} reports chain id {reported!r}, but this wallet signs for "
                f"{self.options.chain_id!r}: refusing to sign for another chain"
            )
        self._node_checked = True

    def submit(self, raw: bytes, wait_commit: bool) -> dict[str, Any]:
        """Submit a signed tx to the node, once the node is known to be on the wallet's chain."""
        self.check_node()
        return self.client.submit(raw, wait_commit=wait_commit)

    def send(self, msgs: Sequence[Msg]) -> dict[str, Any]:
        """Sign, submit and wait for the commit; the block result (height, code, log, events) or
        TxFailedError. Nonces come from committed state, so one wallet sends one tx at a time."""
        answer = self.submit(self.sign(msgs), wait_commit=True)
        check, result = answer.get("check", {}), answer.get("result")
        if check.get("code", 1) != 0:
            raise TxFailedError(f"tx rejected: {check.get('log', 'unknown reason')}")
        if result is None:
            raise TxFailedError(f"tx {answer.get('hash')} was admitted but not committed before the timeout")
        if result["code"] != 0:
            raise TxFailedError(f"tx failed at height {result['height']} (code {result['code']}): {result['log']}")
        return {"hash": answer["hash"], **result}


class GranteeWallet:
    """A hot key acting for its owner (authz): every tx wraps its messages in `authz/exec` for the
    granter and is signed by the hot key, whose fees the granter's fee allowance pays (the ante
    charges the granter), so the hot key holds no funds. `address` is the granter's: the account the
    messages act for (the provider the agent serves as)."""

    def __init__(self, wallet: Wallet, granter: str) -> None:
        self.wallet = wallet
        self.client = wallet.client
        self.granter = granter
        self.address = format_address(parse_address(granter))  # canonical form; raises AddressError
        self.grantee = wallet.address

    def send(self, msgs: Sequence[Msg]) -> dict[str, Any]:
        return self.wallet.send([MsgExec(parse_address(self.address), tuple(msgs))])


def find_event(result: dict[str, Any], kind: str) -> dict[str, str] | None:
    """The attributes of the first `kind` event of a committed tx result."""
    return next((event["attributes"] for event in result.get("events", ()) if event["type"] == kind), None)
