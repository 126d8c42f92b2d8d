"""The canonical codec: round trips and strict rejection of anything non-canonical."""
from __future__ import annotations

from dataclasses import dataclass

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from state.codec import CodecError, Tagged, decode, encode, tagged


class Shape(Tagged):
    """An open union used only by these tests."""


@tagged(Shape, "test/square")
@dataclass(frozen=True, slots=True)
class Square:
    side: int


@tagged(Shape, "test/label")
@dataclass(frozen=True, slots=True)
class Label:
    text: str
    blob: bytes


@dataclass(frozen=True, slots=True)
class Drawing:
    shapes: tuple[Shape, ...]
    owner: bytes
    layer: int | None
    visible: bool


ints = st.integers(min_value=-(2**63), max_value=2**64 - 1)
shapes = st.one_of(st.builds(Square, ints), st.builds(Label, st.text(), st.binary()))
drawings = st.builds(Drawing, st.tuples(shapes, shapes).map(tuple) | st.just(()), st.binary(), st.none() | ints, st.booleans())


@given(drawings)
def test_round_trip(drawing: Drawing) -> None:
    assert decode(Drawing, encode(drawing)) == drawing


@given(drawings)
def test_encoding_is_deterministic(drawing: Drawing) -> None:
    assert encode(drawing) == encode(Drawing(drawing.shapes, drawing.owner, drawing.layer, drawing.visible))


GOOD = Drawing((Square(3),), b"o", None, True)


def wire(obj: object) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


@pytest.mark.parametrize(
    "data, reason",
    [
        (encode(GOOD) + b"\x00", "trailing"),
        (wire([[["test/square", [3]]], b"o", None]), "fields"),  # missing field
        (wire([[["test/square", [3]]], b"o", None, True, 1]), "fields"),  # unknown field
        (wire([[["test/square", [3]]], "o", None, True]), "expected bytes"),
        (wire([[["test/square", [3]]], b"o", 1.5, True]), "expected int"),
        (wire([[["test/square", [True]]], b"o", None, True]), "expected int"),  # bool is not an int
        (wire([[["test/circle", [3]]], b"o", None, True]), "unknown Shape"),
        (wire({"shapes": []}), "Drawing array"),
        (b"\xc1", "malformed"),
        (b"", "malformed"),
        (b"\x94\x91\x92\xabtest/square\x91\xcd\x00\x03\xc4\x01o\xc0\xc3", "non-canonical"),  # 3 as uint16
    ],
)
def test_rejects_malformed(data: bytes, reason: str) -> None:
    with pytest.raises(CodecError, match=reason):
        decode(Drawing, data)


def test_rejects_oversize_input() -> None:
    with pytest.raises(CodecError, match="exceeds"):
        decode(Drawing, encode(GOOD), max_size=4)


def test_rejects_integers_outside_msgpack_range() -> None:
    with pytest.raises(CodecError, match="cannot encode"):
        encode(Square(2**64))


def test_results_packed_from_their_wire_form_decode_to_the_same_results() -> None:
    from consensus.abci import FinalizeResult, TxResult, ValidatorUpdate, decode_results, encode_results

    result = FinalizeResult(
        (TxResult(0, "", (("tx", (("sender", "ake1x"), ("fee", "10"))),)), TxResult(7, "no funds")),
        (ValidatorUpdate(b"\x01" * 32, 5),), b"\x02" * 32, (("end", (("k", "v"),)),),
    )
    assert decode_results(encode_results(result)) == result
