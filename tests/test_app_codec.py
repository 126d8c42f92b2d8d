"""Every app record round-trips through the codec, and every malformed variant is rejected."""
from __future__ import annotations

import dataclasses
import types
import typing

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akechain.chain.codec import MAX_UINT63, InvalidMsgError, Msg
from akechain.chain.modules.auth.keeper import Account
from akechain.chain.modules.auth.params import Params as AuthParams
from akechain.chain.modules.bank.keeper import Balance, Supply
from akechain.chain.modules.bank.msgs import MsgMultiSend, MsgSend, Output
from akechain.chain.tx import Tx, TxBody, TxDecodeError, TxTooLargeError, build_tx, decode_tx
from state.codec import CodecError, decode, encode, to_wire
from test_app_support import CHAIN_ID, make_keys

RECORDS = [Tx, TxBody, MsgSend, MsgMultiSend, Output, Account, AuthParams, Balance, Supply]


def strategy_for(tp: typing.Any) -> st.SearchStrategy:
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(0, 2**64 - 1)
    if tp is bytes:
        return st.binary(max_size=40)
    if tp is str:
        return st.text(max_size=20)
    if typing.get_origin(tp) is tuple:
        return st.lists(strategy_for(typing.get_args(tp)[0]), max_size=3).map(tuple)
    if isinstance(tp, types.UnionType):  # X | None (e.g. an edit message's unchanged fields)
        (inner,) = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return st.none() | strategy_for(inner)
    if tp is Msg:
        return MSG_STRATEGY
    hints = typing.get_type_hints(tp)
    return st.builds(tp, **{f.name: strategy_for(hints[f.name]) for f in dataclasses.fields(tp)})


# deferred: a message may carry messages (a gov proposal)
MSG_STRATEGY = st.deferred(lambda: st.one_of([strategy_for(member) for member in Msg._registry.values()]))
WRONG_TYPED = {int: "x", bytes: 1, str: b"x"}


def wrong_value(tp: typing.Any) -> object:
    """A wire value of the wrong type for a field of type `tp`."""
    return WRONG_TYPED.get(tp, 7)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: f"{c.__module__.split('.')[-2]}.{c.__name__}")
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_round_trip_and_rejections(cls: type, data: st.DataObject) -> None:
    record = data.draw(strategy_for(cls))
    raw = encode(record)
    assert decode(cls, raw) == record
    wire = to_wire(record)
    # Unknown field, missing field
    with pytest.raises(CodecError, match="fields"):
        decode(cls, msgpack.packb(wire + [0], use_bin_type=True))
    with pytest.raises(CodecError, match="fields"):
        decode(cls, msgpack.packb(wire[:-1], use_bin_type=True))
    # Wrong type in each field
    hints = typing.get_type_hints(cls)
    for i, field in enumerate(dataclasses.fields(cls)):
        bad = list(wire)
        bad[i] = wrong_value(hints[field.name])
        with pytest.raises(CodecError, match="expected"):
            decode(cls, msgpack.packb(bad, use_bin_type=True))
    # Trailing bytes, oversize
    with pytest.raises(CodecError, match="trailing"):
        decode(cls, raw + b"\x00")
    with pytest.raises(CodecError, match="limit"):
        decode(cls, raw, max_size=len(raw) - 1)


def test_non_canonical_encodings_are_rejected() -> None:
    balance = encode(Balance(5))
    assert balance == b"\x91\x05"
    for raw in (b"\x91\xcc\x05", b"\xdc\x00\x01\x05"):  # int in a wider form; array16 header for 1 item
        with pytest.raises(CodecError, match="non-canonical"):
            decode(Balance, raw)
    body = encode(TxBody(CHAIN_ID, b"k" * 32, 0, 10, "", (MsgSend(b"a" * 20, 1),)))
    str8 = body.replace(b"\xaa" + CHAIN_ID.encode(), b"\xd9\x0a" + CHAIN_ID.encode())  # str8 instead of fixstr
    with pytest.raises(CodecError, match="non-canonical"):
        decode(TxBody, str8)


def test_bytes_sent_as_str_are_rejected() -> None:
    wire = to_wire(MsgSend(to=b"a" * 20, amount=1))
    with pytest.raises(CodecError, match="expected bytes"):
        decode(MsgSend, msgpack.packb(wire, use_bin_type=False))


def test_unknown_msg_type_is_rejected() -> None:
    tx = Tx(TxBody(CHAIN_ID, b"k" * 32, 0, 10, "", (MsgSend(b"a" * 20, 1),)), b"s" * 64)
    wire = to_wire(tx)
    wire[0][5][0][0] = "bank/steal"
    with pytest.raises(TxDecodeError, match="unknown Msg type"):
        decode_tx(msgpack.packb(wire, use_bin_type=True), 4096)


def make_wire_tx(**changes: object) -> bytes:
    """A signed-looking tx whose body fields are replaced without any validation."""
    body = dict(chain_id=CHAIN_ID, pub_key=b"k" * 32, nonce=0, fee=10, memo="", msgs=(MsgSend(b"a" * 20, 1),))
    body.update(changes)
    wire = [[body[f.name] if f.name != "msgs" else [to_wire_msg(m) for m in body["msgs"]]
             for f in dataclasses.fields(TxBody)], b"s" * 64]
    return msgpack.packb(wire, use_bin_type=True)


def to_wire_msg(msg: Msg) -> list:
    return [msg.TAG, to_wire(msg)]


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(msgs=(MsgSend(b"a" * 20, -1),)), "negative"),
        (dict(msgs=(MsgSend(b"a" * 20, 0),)), "positive"),
        (dict(msgs=(MsgSend(b"a" * 20, MAX_UINT63 + 1),)), "exceeds"),
        (dict(msgs=(MsgSend(b"a" * 19, 1),)), "20-byte address"),
        (dict(msgs=(MsgMultiSend(()),)), "outputs"),
        (dict(msgs=(MsgMultiSend((Output(b"a" * 20, MAX_UINT63), Output(b"b" * 20, 1))),)), "total exceeds"),
        (dict(msgs=()), "1 to"),
        (dict(fee=-5), "negative"),
        (dict(nonce=MAX_UINT63 + 1), "exceeds"),
        (dict(pub_key=b"k" * 31), "pub_key"),
        (dict(chain_id=""), "chain id"),
    ],
)
def test_invalid_tx_fields_are_typed_errors(changes: dict, message: str) -> None:
    with pytest.raises(InvalidMsgError, match=message):
        decode_tx(make_wire_tx(**changes), 4096)


def test_oversize_tx_is_rejected_before_parsing() -> None:
    raw = build_tx(make_keys(1)[0], CHAIN_ID, 0, 10, [MsgSend(b"a" * 20, 1)], memo="m" * 30)
    with pytest.raises(TxTooLargeError, match="limit"):
        decode_tx(raw, len(raw) - 1)


def test_bool_is_not_an_amount() -> None:
    with pytest.raises(TxDecodeError, match="expected int"):
        decode_tx(make_wire_tx(fee=True), 4096)
