"""Signed transactions: the body a sender signs, the envelope on the wire, and their stateless checks.

Sign bytes are the canonical codec encoding of `TxBody`; the chain id inside it stops a tx signed
for one chain from being replayed on another, and the nonce stops replays on the same chain.
The sender is not a field: its address is derived from the signing key (or multisig key set, see
`multisig`), so it cannot be claimed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

import nacl.signing

from akechain.chain.codec import AppError, InvalidMsgError, Msg, check_uint63
from akechain.chain.modules.auth.params import Params as AuthParams
from akechain.chain.modules.auth.params import compute_tx_fee
from akechain.chain.crypto import (
    PUB_KEY_LENGTH,
    SIGNATURE_LENGTH,
    Address,
    KeyFormatError,
    SignatureCheck,
    get_pub_key,
    is_valid_signature,
    sign,
)
from akechain.chain.multisig import (
    ENTRY_LENGTH,
    MAX_MULTISIG_KEYS,
    compute_account_address,
    decode_multisig_key,
    is_multisig_key,
    is_valid_multisig,
)
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.registry import DEFAULT_REGISTRY
from state.codec import CodecError, decode, encode

MAX_MSGS = 32
MAX_CHAIN_ID_LENGTH = 50


class TxTooLargeError(AppError):
    code = 10


class TxDecodeError(AppError):
    code = 11


class InvalidSignatureError(AppError):
    code = 12


class WrongChainError(AppError):
    code = 13


class BadNonceError(AppError):
    code = 14


class FeeTooLowError(AppError):
    code = 15


class CannotPayFeeError(AppError):
    code = 16


class MemoTooLongError(AppError):
    code = 17


class TxTooHeavyError(AppError):
    """The tx's work units exceed what one block may hold (`auth.max_block_work`): no block could carry it."""

    code = 18


@dataclass(frozen=True, slots=True)
class TxBody:
    chain_id: str
    pub_key: bytes  # the sender's ed25519 key or multisig key; the sender address is derived from it
    nonce: int
    fee: int  # uake
    memo: str
    msgs: tuple[Msg, ...]

    def validate_basic(self) -> None:
        if type(self.chain_id) is not str or not 0 < len(self.chain_id) <= MAX_CHAIN_ID_LENGTH:
            raise InvalidMsgError(f"chain id must be 1 to {MAX_CHAIN_ID_LENGTH} characters")
        if type(self.pub_key) is not bytes:
            raise InvalidMsgError(f"pub_key must be {PUB_KEY_LENGTH} bytes or a multisig key")
        if is_multisig_key(self.pub_key):
            try:
                decode_multisig_key(self.pub_key)
            except KeyFormatError as exc:
                raise InvalidMsgError(f"pub_key: {exc}") from None
        check_uint63(self.nonce, "nonce")
        check_uint63(self.fee, "fee")
        if type(self.memo) is not str:
            raise InvalidMsgError("memo must be a string")
        if type(self.msgs) is not tuple or not 1 <= len(self.msgs) <= MAX_MSGS:
            raise InvalidMsgError(f"a tx carries 1 to {MAX_MSGS} messages, got {len(self.msgs)}")
        for msg in self.msgs:
            if not isinstance(msg, Msg):
                raise InvalidMsgError(f"{type(msg).__name__} is not a registered message")
            msg.validate_basic()


@dataclass(frozen=True, slots=True)
class Tx:
    body: TxBody
    signature: bytes

    def validate_basic(self) -> None:
        self.body.validate_basic()
        if type(self.signature) is not bytes:
            raise InvalidMsgError("signature must be bytes")
        if not is_multisig_key(self.body.pub_key) and len(self.signature) != SIGNATURE_LENGTH:
            raise InvalidMsgError(f"signature must be {SIGNATURE_LENGTH} bytes")
        entries, rest = divmod(len(self.signature), ENTRY_LENGTH)
        if is_multisig_key(self.body.pub_key) and (rest or not 1 <= entries <= MAX_MULTISIG_KEYS):
            raise InvalidMsgError(f"a multisig signature is 1 to {MAX_MULTISIG_KEYS} entries of {ENTRY_LENGTH} bytes")


def compute_tx_hash(tx_bytes: bytes) -> bytes:
    """The tx id: sha256 of the full wire bytes (signature included)."""
    return hashlib.sha256(tx_bytes).digest()


def compute_sign_bytes(body: TxBody) -> bytes:
    return encode(body)


def get_sender(tx: Tx) -> Address:
    return compute_account_address(tx.body.pub_key)


def decode_tx(tx_bytes: bytes, max_tx_bytes: int) -> Tx:
    """Parse and statelessly check wire bytes; raises TxTooLargeError, TxDecodeError or InvalidMsgError."""
    # Verify the size before parsing anything
    if len(tx_bytes) > max_tx_bytes:
        raise TxTooLargeError(f"tx is {len(tx_bytes)} bytes, the limit is {max_tx_bytes}")
    try:
        tx = decode(Tx, tx_bytes, max_size=max_tx_bytes)
    except CodecError as exc:
        raise TxDecodeError(f"malformed tx: {exc}") from exc
    tx.validate_basic()
    return tx


def verify_chain_id(tx: Tx, chain_id: str) -> None:
    if tx.body.chain_id != chain_id:
        raise WrongChainError(f"tx is for chain {tx.body.chain_id!r}, this is {chain_id!r}")


def verify_signature(tx: Tx) -> None:
    check = signature_check(tx)
    if check is None:
        if not is_valid_multisig(tx.body.pub_key, compute_sign_bytes(tx.body), tx.signature):
            raise InvalidSignatureError("multisig signature: fewer than threshold valid member signatures")
    elif not is_valid_signature(*check):
        raise InvalidSignatureError("signature does not match the tx body and pub_key")


def signature_check(tx: Tx) -> SignatureCheck | None:
    """The one ed25519 check a single-key tx's signature is (None for a multisig key: several)."""
    if is_multisig_key(tx.body.pub_key):
        return None
    return tx.body.pub_key, compute_sign_bytes(tx.body), tx.signature


def verify_memo(tx: Tx, max_memo_length: int) -> None:
    if len(tx.body.memo) > max_memo_length:
        raise MemoTooLongError(f"memo is {len(tx.body.memo)} characters, the limit is {max_memo_length}")


def build_tx(
    signing_key: nacl.signing.SigningKey, chain_id: str, nonce: int, fee: int, msgs: Sequence[Msg], memo: str = ""
) -> bytes:
    """Sign a body and return wire bytes, after the same stateless checks a node applies."""
    body = TxBody(chain_id=chain_id, pub_key=get_pub_key(signing_key), nonce=nonce, fee=fee, memo=memo, msgs=tuple(msgs))
    body.validate_basic()
    return encode(Tx(body=body, signature=sign(signing_key, compute_sign_bytes(body))))


def build_tx_paying_fee(
    signing_key: nacl.signing.SigningKey, chain_id: str, nonce: int, msgs: Sequence[Msg], params: AuthParams, memo: str = ""
) -> bytes:
    """`build_tx` with the least fee `params` require for this very tx (base, messages, bytes, work)."""
    fee = compute_tx_fee(params, len(msgs), DEFAULT_REGISTRY.compute_tx_work(msgs),
                         lambda f: len(build_tx(signing_key, chain_id, nonce, f, msgs, memo)))
    return build_tx(signing_key, chain_id, nonce, fee, msgs, memo)


def build_send_tx(
    signing_key: nacl.signing.SigningKey, chain_id: str, nonce: int, to: bytes, amount: int, fee: int, memo: str = ""
) -> bytes:
    return build_tx(signing_key, chain_id, nonce, fee, [MsgSend(to=to, amount=amount)], memo)
