"""Slashing unit tests on the real App (SimChain): downtime from the decided last commit (slash,
jail, fresh window, O(1) keys per validator per block), unjail and each reason it is refused,
double sign (5% of the stake at the infraction, reaching unbonding entries and redelegations
created since, burned, tombstoned for good), each reason evidence is refused (an event, the same
app hash as without it), and genesis export/import."""
from __future__ import annotations

import pytest

from akechain.chain.modules.bank.keeper import get_supply
from akechain.chain.modules.slashing import errors as se
from akechain.chain.modules.slashing.msgs import MsgUnjail
from akechain.chain.modules.slashing.records import MISSED_CHUNK_PREFIX, SIGNING_INFO_PREFIX
from akechain.chain.modules.staking import errors as e
from akechain.chain.modules.staking.msgs import MsgBeginRedelegate, MsgDelegate, MsgUndelegate
from akechain.testing import SimChain
from consensus.abci import Misbehavior, ValidatorUpdate
from consensus.types import address_of
from staking_support import (
    ADDRESSES,
    BLOCK_MS,
    CONSENSUS_KEYS,
    GENESIS_BOND,
    PARAMS,
    SLASHING_PARAMS,
    Driver,
    create_validator_msg,
    make_staking_chain,
)

V0, V1, V2 = ADDRESSES[:3]
D = 4  # a plain delegator
CONS1 = address_of(CONSENSUS_KEYS[1])


@pytest.fixture
def d() -> Driver:
    return Driver(make_staking_chain(validators=3))


def validator(d: Driver, operator: bytes):
    return d.chain.query("staking", "validator", operator).validator


def signing_info(d: Driver, operator: bytes):
    return d.chain.query("slashing", "signing_info", operator)


def supply(d: Driver):
    return get_supply(d.chain.app.get_state_view()[0])


def events(result, kind: str) -> list[dict[str, str]]:
    return [dict(attrs) for k, attrs in result.events if k == kind]


def miss_until_jailed(d: Driver, address: bytes = CONS1, limit: int = 40):
    """Blocks with `address` absent from the last commit until one slashes it; returns that block's result."""
    for _ in range(limit):
        result = d.block(absent={address})
        if events(result, "slash"):
            return result
    raise AssertionError("never slashed for downtime")


# -- downtime ---------------------------------------------------------------------------------


def test_a_validator_missing_too_many_blocks_is_slashed_jailed_and_starts_a_fresh_window(d: Driver) -> None:
    before = supply(d)
    tokens = validator(d, V1).tokens
    result = miss_until_jailed(d)
    # not before a window has passed since tracking started, and only past the allowed misses
    assert d.chain.height > SLASHING_PARAMS.signed_blocks_window
    slash = events(result, "slash")[0]
    burned = tokens * SLASHING_PARAMS.slash_fraction_downtime // 10_000
    assert slash["reason"] == "missing_signature" and int(slash["burned"]) == burned
    assert validator(d, V1).tokens == tokens - burned and validator(d, V1).jailed
    assert (supply(d).burned, supply(d).total) == (before.burned + burned, before.total - burned)
    assert ValidatorUpdate(CONSENSUS_KEYS[1], 0) in result.validator_updates
    info = signing_info(d, V1)
    assert (info.missed_blocks_counter, info.index_offset) == (0, 0)
    assert info.jailed_until_ms == d.chain.time_ms + SLASHING_PARAMS.downtime_jail_duration
    d.chain.check_invariants()


def test_signing_enough_of_the_window_is_never_slashed(d: Driver) -> None:
    allowed = SLASHING_PARAMS.signed_blocks_window * SLASHING_PARAMS.min_signed_per_window // 10_000
    for i in range(5 * SLASHING_PARAMS.signed_blocks_window):
        result = d.block(absent={CONS1} if i % SLASHING_PARAMS.signed_blocks_window < allowed else ())
        assert not events(result, "slash")
    assert not validator(d, V1).jailed
    assert signing_info(d, V1).missed_blocks_counter == allowed  # exactly as many as the window allows


def test_each_block_rewrites_one_signing_info_and_at_most_one_bitmap_chunk_per_validator(d: Driver) -> None:
    app = d.chain.app
    finalize = app.finalize_block
    written: list[list[bytes]] = []

    def spy(request):
        result = finalize(request)
        written.append([key for key in app._block.changes() if key[:1] in (SIGNING_INFO_PREFIX, MISSED_CHUNK_PREFIX)])
        return result

    app.finalize_block = spy
    for i in range(8):
        d.block(absent={CONS1} if i % 2 else ())
    app.finalize_block = finalize
    for keys in written:
        assert len([k for k in keys if k[:1] == SIGNING_INFO_PREFIX]) == 3
        assert len([k for k in keys if k[:1] == MISSED_CHUNK_PREFIX]) <= 1  # only the absent validator's bit moves


# -- unjail -----------------------------------------------------------------------------------


def refused(d: Driver, i: int, msg, error: type) -> None:
    before = d.chain.export_genesis()["staking"]
    result = d.run(i, msg)
    assert result.tx_results[0].code == error.code, result.tx_results[0].log
    assert d.chain.export_genesis()["staking"] == before


def test_unjail_after_the_jail_returns_the_validator_to_the_set(d: Driver) -> None:
    refused(d, 1, MsgUnjail(), se.ValidatorNotJailedError)
    miss_until_jailed(d)
    refused(d, 1, MsgUnjail(), se.JailNotOverError)
    refused(d, D, MsgUnjail(), e.ValidatorNotFoundError)
    d.block(advance_ms=SLASHING_PARAMS.downtime_jail_duration)
    result = d.run(1, MsgUnjail())
    assert result.tx_results[0].ok, result.tx_results[0].log
    power = validator(d, V1).tokens // PARAMS.power_reduction
    assert ValidatorUpdate(CONSENSUS_KEYS[1], power) in result.validator_updates
    for _ in range(SLASHING_PARAMS.signed_blocks_window + 3):
        assert not events(d.block(), "slash")  # it signs again
    assert signing_info(d, V1).missed_blocks_counter == 0 and not validator(d, V1).jailed
    d.chain.check_invariants()


def test_unjail_needs_the_minimum_self_delegation(d: Driver) -> None:
    miss_until_jailed(d)
    own = d.chain.query("staking", "delegation_value", d.chain.query("staking", "delegations", V1)[0])
    assert d.run(1, MsgUndelegate(V1, own - PARAMS.min_self_delegation + 1)).tx_results[0].ok
    d.block(advance_ms=SLASHING_PARAMS.downtime_jail_duration)
    refused(d, 1, MsgUnjail(), se.SelfDelegationTooLowToUnjailError)


# -- double sign ------------------------------------------------------------------------------


def evidence(d: Driver, i: int, height: int, power: int | None = None) -> Misbehavior:
    block = d.chain.blocks[height - 1].request
    if power is None:
        power = next(v.power for v in d.chain.blocks[height].request.decided_last_commit
                     if v.validator_address == address_of(CONSENSUS_KEYS[i]))
    return Misbehavior(address_of(CONSENSUS_KEYS[i]), height, block.time_ms, power)


def test_double_sign_slashes_the_stake_at_the_infraction_including_what_left_since(d: Driver) -> None:
    d.run(D, MsgDelegate(V1, 20_000))
    d.run(D, MsgUndelegate(V1, 1_000))  # before the infraction: not slashed
    d.block()
    d.block()
    infraction = d.chain.height
    d.block()  # the last commit of this block shows who was in the set at the infraction
    ev = evidence(d, 1, infraction)
    assert ev.power == (GENESIS_BOND + 19_000) // PARAMS.power_reduction
    d.run(D, MsgUndelegate(V1, 4_000))  # since: slashable
    d.run(D, MsgBeginRedelegate(V1, V0, 5_000))  # since: slashable, at the destination
    before = supply(d)
    v0_tokens = validator(d, V0).tokens
    v1_tokens = validator(d, V1).tokens
    result = d.block(misbehavior=[ev])
    fraction = SLASHING_PARAMS.slash_fraction_double_sign
    owed = ev.power * PARAMS.power_reduction * fraction // 10_000
    from_unbonding, from_redelegation = 4_000 * fraction // 10_000, 5_000 * fraction // 10_000
    burned = int(events(result, "slash")[0]["burned"])
    assert burned == owed  # the validator held enough to pay what the entries did not
    assert validator(d, V1).tokens == v1_tokens - (owed - from_unbonding - from_redelegation)
    assert validator(d, V0).tokens == v0_tokens - from_redelegation
    entries = d.chain.query("staking", "unbonding", ADDRESSES[D])[0].entries
    assert sorted(entry.balance for entry in entries) == sorted([1_000, 4_000 - from_unbonding])
    assert (supply(d).burned, supply(d).total) == (before.burned + burned, before.total - burned)
    assert validator(d, V1).tombstoned and validator(d, V1).jailed
    assert ValidatorUpdate(CONSENSUS_KEYS[1], 0) in result.validator_updates
    d.chain.check_invariants()
    # tombstoned for good: later evidence ignored, no unjail, no delegation
    again = d.block(misbehavior=[evidence(d, 1, infraction + 1)])
    assert [int(x["code"]) for x in events(again, "evidence_refused")] == [se.ValidatorTombstonedError.code]
    d.block(advance_ms=10 * SLASHING_PARAMS.downtime_jail_duration)
    refused(d, 1, MsgUnjail(), se.ValidatorTombstonedError)
    refused(d, D, MsgDelegate(V1, 1_000), e.ValidatorTombstonedError)


@pytest.mark.parametrize("case", ["unknown", "too-old-blocks", "too-old-time", "not-in-set"])
def test_refused_evidence_is_an_event_and_changes_nothing(case: str) -> None:
    plain, with_evidence = (Driver(make_staking_chain(validators=3)) for _ in range(2))
    for driver in (plain, with_evidence):
        driver.run(3, create_validator_msg(3, self_delegation=3 * GENESIS_BOND))  # joins the set from here on
        for _ in range(SLASHING_PARAMS.max_evidence_age_blocks if case == "too-old-blocks" else 4):
            driver.block()
    time_ms = with_evidence.chain.blocks[0].request.time_ms
    ev, error = {
        "unknown": (Misbehavior(b"\x01" * 20, 1, time_ms, 10), se.UnknownEvidenceValidatorError),
        "too-old-blocks": (evidence(with_evidence, 1, 1), se.EvidenceTooOldError),
        "too-old-time": (evidence(with_evidence, 1, 1), se.EvidenceTooOldError),
        "not-in-set": (Misbehavior(address_of(CONSENSUS_KEYS[3]), 1, time_ms, 30), se.EvidenceNotInSetError),
    }[case]
    advance = SLASHING_PARAMS.max_evidence_age_ms if case == "too-old-time" else BLOCK_MS
    plain.block(advance_ms=advance)
    result = with_evidence.block(advance_ms=advance, misbehavior=[ev])
    assert [int(x["code"]) for x in events(result, "evidence_refused")] == [error.code]
    assert with_evidence.chain.app_hashes == plain.chain.app_hashes
    assert not any(v.validator.tombstoned for v in with_evidence.chain.query("staking", "validators"))


# -- genesis ----------------------------------------------------------------------------------


def test_export_after_jails_and_tombstones_reimports_to_the_same_hash(d: Driver) -> None:
    miss_until_jailed(d)
    d.block()
    d.block(misbehavior=[evidence(d, 2, d.chain.height - 1)])
    d.block(absent={address_of(CONSENSUS_KEYS[0])})
    exported = d.chain.export_genesis()
    assert exported["slashing"]["state"], "signing infos are exported"
    again = SimChain(exported, d.chain.chain_id)
    assert again.app_hashes[0] == d.chain.app_hashes[d.chain.height]
    again.apply_block()  # genesis is committed with block 1
    assert again.export_genesis()["slashing"] == exported["slashing"]
