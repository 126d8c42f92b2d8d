"""The tally of a proposal's votes, as x/gov v1 counts them, plus vote delegation.

Voting power is bonded stake: a delegation to a validator in the active set is worth its share of
the validator's tokens. Each account's delegations are counted once, by the first that applies of:
its own vote; else the vote of the account it delegated its voting power to (one hop: a delegate's
own delegate does not carry it further); else, delegation by delegation, the vote of the validator
it delegates to (what the validator's operator voted). Each case deducts the shares it counts from
the validators, so the validators' votes carry only the shares no one else counted.

The work is O(validators + votes + the vote delegators of the voters + their staking delegations),
every one of which a paid tx created; it runs once per proposal, when its voting period ends, and
for the live tally on query.
"""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.modules.gov import keeper as k
from akechain.chain.modules.gov.records import (
    ABSTAIN,
    NO,
    NO_WITH_VETO,
    VOTE_PREFIX,
    YES,
    TallyResult,
    Vote,
    WeightedOption,
    u64,
)
from akechain.chain.modules.staking.records import (
    BONDED,
    DELEGATION_PREFIX,
    LAST_POWER_PREFIX,
    Delegation,
    LastPower,
    Validator,
    get_validator_key,
)
from akechain.chain.store import StoreView

BPS = 10_000


@dataclass(slots=True)
class _Counted:
    """A bonded validator during a tally: the shares its delegators counted themselves, and its operator's vote."""

    tokens: int
    shares: int
    deducted: int = 0
    options: tuple[WeightedOption, ...] = ()


@dataclass(frozen=True, slots=True)
class Tally:
    result: TallyResult
    bonded: int  # tokens of the bonded validators: what the quorum is a share of
    voters: int  # vote records


def get_bonded_validators(store: StoreView) -> dict[bytes, _Counted]:
    """The active set (at most `max_validators`), read through staking's last-power index."""
    bonded: dict[bytes, _Counted] = {}
    for key, _ in store.iterate(LAST_POWER_PREFIX, LastPower):
        validator = store.get(get_validator_key(key[1:]), Validator)
        if validator is not None and validator.status == BONDED and validator.tokens > 0:
            bonded[validator.operator] = _Counted(validator.tokens, validator.delegator_shares)
    return bonded


def compute_tally(store: StoreView, proposal_id: int) -> Tally:
    validators = get_bonded_validators(store)
    sums = {YES: 0, ABSTAIN: 0, NO: 0, NO_WITH_VETO: 0}

    def add(power: int, options: tuple[WeightedOption, ...]) -> None:
        for item in options:
            sums[item.option] += power * item.weight_bps // BPS

    def cast(account: bytes, options: tuple[WeightedOption, ...]) -> None:
        for _, delegation in store.iterate(DELEGATION_PREFIX + account, Delegation):
            counted = validators.get(delegation.validator)
            if counted is None or delegation.shares == 0:
                continue
            counted.deducted += delegation.shares
            add(delegation.shares * counted.tokens // counted.shares, options)

    voters = 0
    for key, vote in store.iterate(VOTE_PREFIX + u64(proposal_id), Vote):
        voters += 1
        voter = key[-20:]
        if voter in validators:
            validators[voter].options = vote.options
        cast(voter, vote.options)
        for delegator in k.get_vote_delegators(store, voter):
            if k.get_vote(store, proposal_id, delegator) is None:
                cast(delegator, vote.options)
    for counted in validators.values():
        if counted.options:
            add((counted.shares - counted.deducted) * counted.tokens // counted.shares, counted.options)
    result = TallyResult(yes=sums[YES], abstain=sums[ABSTAIN], no=sums[NO], no_with_veto=sums[NO_WITH_VETO])
    return Tally(result, sum(c.tokens for c in validators.values()), voters)


def has_voting_power(store: StoreView, account: bytes) -> bool:
    """Whether any tally could count something for `account`: a bonded delegation, a bonded validator
    it operates (its delegators inherit its vote), or someone delegating voting power to it."""
    validator = store.get(get_validator_key(account), Validator)
    if validator is not None and validator.status == BONDED and validator.tokens > 0:
        return True
    for _, delegation in store.iterate(DELEGATION_PREFIX + account, Delegation):
        target = store.get(get_validator_key(delegation.validator), Validator)
        if target is not None and target.status == BONDED and delegation.shares > 0:
            return True
    return k.has_vote_delegators(store, account)
