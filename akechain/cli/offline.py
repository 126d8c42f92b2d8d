"""Offline signing: unsigned tx files, signing them on a machine with no node, multisig combining.

`--generate-only` writes an unsigned tx file (JSON) from public data alone: the sender's public key
from the keyring (a key or a multisig entry), the nonce and fee from the node or the flags. Its
`body` is the canonical TxBody bytes; the readable fields beside it (chain id, sender, nonce, fee,
memo, msgs) are what a person checks, and `tx sign` refuses a file whose readable fields do not
say exactly what the body holds, so what is reviewed is what is signed. The signer names the chain
id and nonce again on the command line: a file cannot make a cold key sign for another chain, and
the chain id is inside every signature, so a signed file is refused by any other chain.

Files: `akechain/unsigned-tx` (generate-only), `akechain/signature` (one multisig member's
signature of a body), `akechain/signed-tx` (wire bytes, for `tx broadcast`).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

import nacl.signing

from akechain.chain.codec import Msg
from akechain.chain.crypto import SIGNATURE_LENGTH, format_address, get_pub_key, is_valid_signature, sign
from akechain.chain.modules.auth.params import Params as AuthParams
from akechain.chain.modules.auth.params import compute_tx_fee
from akechain.chain.registry import DEFAULT_REGISTRY
from akechain.chain.multisig import (
    ENTRY_LENGTH,
    MultisigKey,
    compute_account_address,
    decode_multisig_key,
    encode_multisig_signature,
    is_multisig_key,
)
from akechain.chain.tx import Tx, TxBody, compute_sign_bytes, compute_tx_hash
from akechain.node.rpc.render import record_to_json
from state.codec import CodecError, decode, encode

UNSIGNED = "akechain/unsigned-tx"
SIGNATURE = "akechain/signature"
SIGNED = "akechain/signed-tx"
MAX_FILE_BYTES = 4 * 1024 * 1024


class OfflineError(ValueError):
    """A tx file that is malformed, inconsistent, or not for the key, chain or nonce named."""


def build_body(pub_key: bytes, chain_id: str, nonce: int, fee: int, memo: str, msgs: Sequence[Msg]) -> TxBody:
    body = TxBody(chain_id=chain_id, pub_key=pub_key, nonce=nonce, fee=fee, memo=memo, msgs=tuple(msgs))
    body.validate_basic()
    return body


def compute_signature_length(pub_key: bytes) -> int:
    """The signature bytes a tx from `pub_key` will carry (a multisig: exactly threshold entries)."""
    return decode_multisig_key(pub_key).threshold * ENTRY_LENGTH if is_multisig_key(pub_key) else SIGNATURE_LENGTH


def compute_offline_fee(params: AuthParams, pub_key: bytes, chain_id: str, nonce: int, memo: str,
                        msgs: Sequence[Msg]) -> int:
    """The least fee of the signed tx, sized with placeholder signatures of its final length."""
    placeholder = bytes(compute_signature_length(pub_key))

    def size_with_fee(fee: int) -> int:
        return len(encode(Tx(body=build_body(pub_key, chain_id, nonce, fee, memo, msgs), signature=placeholder)))

    return compute_tx_fee(params, len(msgs), DEFAULT_REGISTRY.compute_tx_work(msgs), size_with_fee)


def describe_body(body: TxBody) -> dict[str, Any]:
    """The readable fields of a body, as written into every tx file."""
    return {"chain_id": body.chain_id, "sender": format_address(compute_account_address(body.pub_key)),
            "nonce": body.nonce, "fee": body.fee, "memo": body.memo, "msgs": [record_to_json(m) for m in body.msgs]}


def compute_body_hash(body: TxBody) -> str:
    return hashlib.sha256(compute_sign_bytes(body)).hexdigest()


def unsigned_doc(body: TxBody) -> dict[str, Any]:
    signer: dict[str, Any] = {"pub_key": body.pub_key.hex()}
    if is_multisig_key(body.pub_key):
        key = decode_multisig_key(body.pub_key)
        signer = {"multisig": {"threshold": key.threshold, "pub_keys": [k.hex() for k in key.pub_keys]}}
    return {"type": UNSIGNED, **describe_body(body), "signer": signer, "body": encode(body).hex(),
            "body_hash": compute_body_hash(body)}


def parse_doc(text: str, kind: str) -> dict[str, Any]:
    if len(text) > MAX_FILE_BYTES:
        raise OfflineError(f"a tx file is at most {MAX_FILE_BYTES} bytes")
    try:
        doc = json.loads(text)
    except ValueError:
        raise OfflineError(f"not a JSON {kind} file") from None
    if not isinstance(doc, dict) or doc.get("type") != kind:
        raise OfflineError(f"not a {kind} file (its \"type\" is {doc.get('type') if isinstance(doc, dict) else None!r})")
    return doc


def load_unsigned(text: str) -> TxBody:
    """The body of an unsigned tx file, after checking its readable fields say what the body holds."""
    doc = parse_doc(text, UNSIGNED)
    try:
        body = decode(TxBody, bytes.fromhex(doc["body"]))
        body.validate_basic()
    except (KeyError, TypeError, ValueError, CodecError) as exc:
        raise OfflineError(f"the file's body is not a valid tx body: {exc}") from None
    described = describe_body(body)
    for field, value in described.items():
        if doc.get(field) != value:
            raise OfflineError(f"the file's {field!r} does not match its body: refusing to sign what was not shown")
    return body


def check_signing_context(body: TxBody, chain_id: str, nonce: int) -> None:
    """The signer's own chain id and nonce must be the body's (typed on the cold machine)."""
    if body.chain_id != chain_id:
        raise OfflineError(f"the file is for chain {body.chain_id!r}, not {chain_id!r}")
    if body.nonce != nonce:
        raise OfflineError(f"the file has nonce {body.nonce}, not {nonce}")


def signed_doc(body: TxBody, signature: bytes) -> dict[str, Any]:
    raw = encode(Tx(body=body, signature=signature))
    return {"type": SIGNED, **describe_body(body), "hash": compute_tx_hash(raw).hex(), "tx": raw.hex()}


def sign_unsigned(text: str, key: nacl.signing.SigningKey, chain_id: str, nonce: int) -> dict[str, Any]:
    """A signed tx (the key is the sender) or a member's signature (the sender is a multisig of it)."""
    body = load_unsigned(text)
    check_signing_context(body, chain_id, nonce)
    pub_key = get_pub_key(key)
    signature = sign(key, compute_sign_bytes(body))
    if not is_multisig_key(body.pub_key):
        if body.pub_key != pub_key:
            raise OfflineError(f"the file's sender is {describe_body(body)['sender']}, not this key")
        return signed_doc(body, signature)
    if pub_key not in decode_multisig_key(body.pub_key).pub_keys:
        raise OfflineError("this key is not a member of the file's multisig account")
    return {"type": SIGNATURE, "body_hash": compute_body_hash(body), "pub_key": pub_key.hex(),
            "signature": signature.hex()}


def combine_signatures(unsigned_text: str, signature_texts: Sequence[str]) -> dict[str, Any]:
    """The signed multisig tx from members' signature files (each checked; at least threshold)."""
    body = load_unsigned(unsigned_text)
    if not is_multisig_key(body.pub_key):
        raise OfflineError("the file's sender is not a multisig account: sign it with `tx sign`")
    key: MultisigKey = decode_multisig_key(body.pub_key)
    sign_bytes = compute_sign_bytes(body)
    signatures: dict[int, bytes] = {}
    for text in signature_texts:
        doc = parse_doc(text, SIGNATURE)
        try:
            member, signature = bytes.fromhex(doc["pub_key"]), bytes.fromhex(doc["signature"])
        except (KeyError, TypeError, ValueError):
            raise OfflineError("a signature file needs hex \"pub_key\" and \"signature\"") from None
        if doc.get("body_hash") != compute_body_hash(body):
            raise OfflineError(f"the signature of {member.hex()[:16]}… is of another tx body")
        if member not in key.pub_keys or not is_valid_signature(member, sign_bytes, signature):
            raise OfflineError(f"the signature of {member.hex()[:16]}… is not a valid member signature")
        signatures[key.pub_keys.index(member)] = signature
    if len(signatures) < key.threshold:
        raise OfflineError(f"{len(signatures)} distinct member signatures; the account needs {key.threshold}")
    chosen = dict(sorted(signatures.items())[:key.threshold])  # the size the fee was computed for
    return signed_doc(body, encode_multisig_signature(chosen))


def read_signed_tx(text: str) -> bytes:
    """Wire bytes from a signed-tx file, or from hex text (`--sign-only`'s output)."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        try:
            return bytes.fromhex(stripped)
        except ValueError:
            raise OfflineError("the tx file must hold a signed-tx JSON document or the signed tx as hex") from None
    doc = parse_doc(stripped, SIGNED)
    try:
        return bytes.fromhex(doc["tx"])
    except (KeyError, TypeError, ValueError):
        raise OfflineError("a signed-tx file needs the hex \"tx\"") from None
