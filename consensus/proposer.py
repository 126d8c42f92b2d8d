"""Weighted round-robin proposer selection, exactly as CometBFT's ValidatorSet.

Each increment adds every validator's power to its priority, picks the highest (ties: lower
address) and subtracts the total power from it. Before a batch of increments priorities are
rescaled so their spread stays within 2 * total power, then centred on zero, so priorities
stay bounded and a new validator cannot be starved or favoured forever.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from consensus.abci import ValidatorUpdate
from consensus.types import PUB_KEY_SIZE, ConsensusError, Validator, ValidatorSet

PRIORITY_WINDOW_SIZE_FACTOR = 2
MAX_TOTAL_POWER = (2**63 - 1) // 8  # CometBFT's MaxTotalVotingPower
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class ValidatorUpdateError(ConsensusError):
    """A validator change set the engine cannot apply."""


def _clip(value: int) -> int:
    """CometBFT's safeAddClip/safeSubClip: saturate at the int64 bounds."""
    return max(_INT64_MIN, min(_INT64_MAX, value))


def _trunc_div(a: int, b: int) -> int:
    """Go's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _sorted(validators: Sequence[Validator]) -> tuple[Validator, ...]:
    return tuple(sorted(validators, key=lambda v: (-v.power, v.address)))


def _rescale(validators: list[Validator], diff_max: int) -> list[Validator]:
    priorities = [v.proposer_priority for v in validators]
    diff = max(priorities) - min(priorities)
    if diff_max <= 0 or diff <= diff_max:
        return validators
    ratio = (diff + diff_max - 1) // diff_max
    return [replace(v, proposer_priority=_trunc_div(v.proposer_priority, ratio)) for v in validators]


def _center(validators: list[Validator]) -> list[Validator]:
    # Go's big.Int Div is Euclidean, i.e. floor division for a positive divisor.
    avg = sum(v.proposer_priority for v in validators) // len(validators)
    return [replace(v, proposer_priority=_clip(v.proposer_priority - avg)) for v in validators]


def _most_priority(validators: list[Validator]) -> int:
    best = 0
    for i in range(1, len(validators)):
        v, b = validators[i], validators[best]
        if v.proposer_priority > b.proposer_priority or (
            v.proposer_priority == b.proposer_priority and v.address < b.address
        ):
            best = i
    return best


def increment(vset: ValidatorSet, times: int) -> ValidatorSet:
    """CometBFT IncrementProposerPriority(times): the result's proposer is the last one chosen."""
    if not vset.validators:
        raise ConsensusError("cannot choose a proposer from an empty validator set")
    if times <= 0:
        raise ConsensusError(f"increment times must be positive, got {times}")
    total = vset.total_power
    validators = _center(_rescale(list(vset.validators), PRIORITY_WINDOW_SIZE_FACTOR * total))
    chosen = 0
    for _ in range(times):
        validators = [replace(v, proposer_priority=_clip(v.proposer_priority + v.power)) for v in validators]
        chosen = _most_priority(validators)
        validators[chosen] = replace(validators[chosen], proposer_priority=_clip(validators[chosen].proposer_priority - total))
    return ValidatorSet(tuple(validators), validators[chosen].address)


def proposer_for_round(vset: ValidatorSet, round: int) -> Validator:
    """The proposer of `round` for a height whose round-0 set is `vset`."""
    return vset.proposer if round == 0 else increment(vset, round).proposer


def update(vset: ValidatorSet, changes: Sequence[ValidatorUpdate]) -> ValidatorSet:
    """CometBFT updateWithChangeSet: apply power changes (0 removes); new validators start at
    -1.125 * total power so that joining does not give an immediate turn."""
    # Verify the change set: well-formed keys, no duplicates, no negative powers, known removals.
    seen: set[bytes] = set()
    for change in changes:
        if len(change.pub_key) != PUB_KEY_SIZE:
            raise ValidatorUpdateError(f"validator pub_key must be {PUB_KEY_SIZE} bytes")
        if change.power < 0:
            raise ValidatorUpdateError(f"negative power {change.power} for {change.pub_key.hex()}")
        if change.pub_key in seen:
            raise ValidatorUpdateError(f"duplicate update for {change.pub_key.hex()}")
        seen.add(change.pub_key)
    current = {v.pub_key: v for v in vset.validators}
    for change in changes:
        if change.power == 0 and change.pub_key not in current:
            raise ValidatorUpdateError(f"cannot remove unknown validator {change.pub_key.hex()}")
    removed = {c.pub_key for c in changes if c.power == 0}
    powers = {k: v.power for k, v in current.items()}
    for change in changes:
        if change.power > 0:
            powers[change.pub_key] = change.power
    total_before_removals = sum(powers.values())
    if total_before_removals > MAX_TOTAL_POWER:
        raise ValidatorUpdateError(f"total voting power {total_before_removals} exceeds {MAX_TOTAL_POWER}")
    new_priority = -(total_before_removals + (total_before_removals >> 3))
    validators = []
    for pub_key, power in powers.items():
        if pub_key in removed:
            continue
        old = current.get(pub_key)
        priority = old.proposer_priority if old is not None else new_priority
        validators.append(Validator(pub_key, power, priority))
    if not validators:
        raise ValidatorUpdateError("validator updates would remove every validator")
    total = sum(v.power for v in validators)
    validators = _center(_rescale(validators, PRIORITY_WINDOW_SIZE_FACTOR * total))
    return ValidatorSet(_sorted(validators), vset.proposer_address)


def make_validator_set(updates: Sequence[ValidatorUpdate]) -> ValidatorSet:
    """CometBFT NewValidatorSet: apply `updates` to an empty set, then one increment."""
    return increment(update(ValidatorSet(()), updates), 1)
