"""Proposer priority against CometBFT's vectors and hand-computed sequences."""
from __future__ import annotations

import pytest

from consensus.abci import ValidatorUpdate
from consensus.proposer import ValidatorUpdateError, increment, make_validator_set, update
from consensus.types import Validator, ValidatorSet, address_of


def keys_in_address_order(count: int) -> list[bytes]:
    """Pub keys sorted by address, so tests can name them in address order."""
    return sorted((bytes([i]) * 32 for i in range(1, count + 1)), key=address_of)


def priorities(vset: ValidatorSet, keys: list[bytes]) -> tuple[int, ...]:
    by_key = {v.pub_key: v.proposer_priority for v in vset.validators}
    return tuple(by_key[k] for k in keys)


def test_cometbft_proposer_selection1_vector() -> None:
    # types/validator_set_test.go TestProposerSelection1: addresses bar < baz < foo.
    bar, baz, foo = keys_in_address_order(3)
    names = {address_of(foo): "foo", address_of(bar): "bar", address_of(baz): "baz"}
    vset = make_validator_set([ValidatorUpdate(foo, 1000), ValidatorUpdate(bar, 300), ValidatorUpdate(baz, 330)])
    proposers = []
    for _ in range(99):
        proposers.append(names[vset.proposer.address])
        vset = increment(vset, 1)
    expected = (
        "foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar"
        " foo foo baz foo bar foo foo baz foo bar foo foo baz foo foo bar foo baz foo foo bar"
        " foo baz foo foo bar foo baz foo foo bar foo baz foo foo foo baz bar foo foo foo baz"
        " foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo bar foo foo baz foo"
        " foo bar foo baz foo foo bar foo baz foo foo bar foo baz foo foo"
    )
    assert " ".join(proposers) == expected


def test_hand_computed_sequence_3_2_1() -> None:
    # Powers 3, 2, 1 (total 6), addresses a < b < c. Each step: add power, pick max (ties: lower
    # address), subtract 6 from it.
    a, b, c = keys_in_address_order(3)
    vset = make_validator_set([ValidatorUpdate(a, 3), ValidatorUpdate(b, 2), ValidatorUpdate(c, 1)])
    steps = [
        ("a", (-3, 2, 1)),   # (3,2,1) -> a
        ("b", (0, -2, 2)),   # (0,4,2) -> b
        ("a", (-3, 0, 3)),   # (3,0,3) -> tie a/c, a has the lower address
        ("c", (0, 2, -2)),   # (0,2,4) -> c
        ("b", (3, -2, -1)),  # (3,4,-1) -> b
        ("a", (0, 0, 0)),    # (6,0,0) -> a
    ]
    names = {address_of(a): "a", address_of(b): "b", address_of(c): "c"}
    for i, (name, prios) in enumerate(steps):
        if i:
            vset = increment(vset, 1)
        assert (names[vset.proposer.address], priorities(vset, [a, b, c])) == (name, prios)


def test_equal_power_rotates_in_address_order() -> None:
    keys = keys_in_address_order(4)
    vset = make_validator_set([ValidatorUpdate(k, 5) for k in keys])
    seen = []
    for _ in range(8):
        seen.append(vset.proposer.pub_key)
        vset = increment(vset, 1)
    assert seen == keys + keys


def test_increment_many_equals_repeated_single_steps_when_centred() -> None:
    keys = keys_in_address_order(3)
    vset = make_validator_set([ValidatorUpdate(k, p) for k, p in zip(keys, (7, 3, 2))])
    stepwise = vset
    for _ in range(5):
        stepwise = increment(stepwise, 1)
    assert increment(vset, 5) == stepwise


def test_rescale_truncates_toward_zero_like_go() -> None:
    a, b = keys_in_address_order(2)
    # Spread 202 > 2 * total (4): ratio ceil(202/4) = 51; 101/51 -> 1 and -101/51 -> -1 (not -2).
    vset = ValidatorSet((Validator(a, 1, 101), Validator(b, 1, -101)))
    out = increment(vset, 1)
    # After rescale (1, -1), centring (avg 0), +power (2, 0): a chosen, 2 - 2 = 0.
    assert out.proposer.pub_key == a and priorities(out, [a, b]) == (0, 0)


def test_new_validator_starts_at_minus_one_and_an_eighth_total() -> None:
    a, b, c, d = keys_in_address_order(4)
    vset = make_validator_set([ValidatorUpdate(a, 3), ValidatorUpdate(b, 2), ValidatorUpdate(c, 1)])  # (-3, 2, 1)
    grown = update(vset, [ValidatorUpdate(d, 2)])
    # Total 8 -> d gets -(8 + 8 >> 3) = -9; centring subtracts floor(-9 / 4) = -3.
    assert priorities(grown, [a, b, c, d]) == (0, 5, 4, -6)
    assert [v.power for v in grown.validators] == [3, 2, 2, 1]


def test_update_changes_and_removes() -> None:
    a, b, c = keys_in_address_order(3)
    vset = make_validator_set([ValidatorUpdate(a, 3), ValidatorUpdate(b, 2), ValidatorUpdate(c, 1)])
    changed = update(vset, [ValidatorUpdate(c, 10), ValidatorUpdate(a, 0)])
    assert [(v.pub_key, v.power) for v in changed.validators] == [(c, 10), (b, 2)]


@pytest.mark.parametrize(
    "changes",
    [
        [ValidatorUpdate(b"\x09" * 32, 0)],  # unknown removal
        [ValidatorUpdate(b"\x01" * 32, -1)],
        [ValidatorUpdate(b"\x01" * 32, 1), ValidatorUpdate(b"\x01" * 32, 2)],
        [ValidatorUpdate(b"\x01" * 31, 1)],
        [ValidatorUpdate(b"\x01" * 32, 0)],  # would empty the set
    ],
)
def test_bad_change_sets_are_rejected(changes: list[ValidatorUpdate]) -> None:
    vset = make_validator_set([ValidatorUpdate(b"\x01" * 32, 1)])
    with pytest.raises(ValidatorUpdateError):
        update(vset, changes)
