"""Upgrade unit tests on the real App (SimChain): a plan scheduled by a passed proposal, only by the
gov authority; at its height the old binary refuses the block (nothing applied, again on every try),
a binary with the plan's upgrade runs the module migrations from the stored versions and continues,
one started before the height refuses to go on; a failing migration applies nothing."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataclasses import replace

from akechain.chain.codec import InvalidMsgError
from akechain.chain.module import Module, Upgrade
from akechain.chain.modules.market.module import MODULE as MARKET
from akechain.chain.modules.gov.records import FAILED, GOV_AUTHORITY, PASSED, YES
from akechain.chain.modules.gov.msgs import MsgSubmitProposal, MsgVote
from akechain.chain.modules.upgrade import errors as ue
from akechain.chain.modules.upgrade.msgs import MsgCancelUpgrade, MsgSoftwareUpgrade
from akechain.chain.modules.upgrade.records import GOV_AUTHORITY as UPGRADE_AUTHORITY
from akechain.chain.modules.upgrade.records import Plan
from akechain.chain.registry import MODULES, Registry, RegistryError
from akechain.chain.upgrades import UpgradePluginError, load_upgrade_plugin
from akechain.testing import SimChain
from gov_support import GOV, GovDriver, make_gov_chain
from upgrade_plugin import FAILING, PLAN, UPGRADE

D = 4  # a funded account without stake


def take_rate(g: GovDriver) -> int:
    return g.chain.query("market", "params").take_rate_bps


def pass_proposal(g: GovDriver, *messages) -> int:
    pid = g.submit(D, *messages)
    g.tx(0, MsgVote(pid, YES))
    g.tx(1, MsgVote(pid, YES))
    g.block()
    g.wait_ms(GOV.voting_period_ms)
    return pid


def schedule(g: GovDriver, height_after_vote: int = 5) -> Plan:
    """A passed plan `height_after_vote` blocks after its proposal's voting ends."""
    height = g.chain.height + 2 + GOV.voting_period_ms // 1_000 + height_after_vote
    pid = pass_proposal(g, MsgSoftwareUpgrade(PLAN, height, "get v2 from the release page"))
    assert g.proposal(pid).status == PASSED
    return g.chain.query("upgrade", "plan")


@pytest.fixture
def g() -> GovDriver:
    return GovDriver(make_gov_chain())


def test_the_authority_is_gov_s() -> None:
    assert UPGRADE_AUTHORITY == GOV_AUTHORITY


def test_a_passed_plan_halts_the_old_binary_at_its_height_with_nothing_applied(g: GovDriver) -> None:
    plan = schedule(g)
    assert plan.name == PLAN and plan.height > g.chain.height
    g.chain.advance_to(plan.height - 1)
    state_before, hash_before = g.chain.export_genesis(), g.chain.app.info()
    for _ in range(2):  # a restart of the same binary stops at the same block
        with pytest.raises(ue.UpgradeNeededError, match=f'UPGRADE "{PLAN}" NEEDED at height {plan.height}'):
            g.chain.apply_block()
        g.chain.restart(g.chain.registry)
        assert g.chain.app.info() == hash_before and g.chain.export_genesis() == state_before


def test_the_new_binary_migrates_at_the_height_and_continues(g: GovDriver) -> None:
    plan = schedule(g)
    rate = take_rate(g)
    assert g.chain.query("upgrade", "versions")["market"] == 1
    g.chain.advance_to(plan.height - 1)
    with pytest.raises(ue.UpgradeNeededError):
        g.chain.apply_block()
    g.chain.restart(Registry(MODULES, (UPGRADE,)))
    result = g.chain.apply_block()
    assert ("module_migrated", (("module", "market"), ("versions", "1->2"))) in result.events
    assert take_rate(g) == rate // 2 != rate
    assert g.chain.query("upgrade", "versions")["market"] == 2
    assert g.chain.query("upgrade", "applied") == {PLAN: plan.height}
    assert g.chain.query("upgrade", "plan") is None
    g.chain.advance_to(plan.height + 3)  # the migration runs once
    assert take_rate(g) == rate // 2
    g.chain.check_invariants()


def test_the_new_binary_refuses_to_apply_a_plan_before_its_height(g: GovDriver) -> None:
    plan = schedule(g)
    before = g.chain.app.info()
    g.chain.restart(Registry(MODULES, (UPGRADE,)))
    with pytest.raises(ue.BinaryUpdatedEarlyError, match="BINARY UPDATED BEFORE TRIGGER"):
        g.chain.apply_block()
    assert g.chain.app.info() == before and g.chain.height < plan.height


def test_a_failing_migration_halts_with_nothing_applied(g: GovDriver) -> None:
    plan = schedule(g)
    rate = take_rate(g)
    g.chain.advance_to(plan.height - 1)
    before = g.chain.export_genesis()
    g.chain.restart(Registry(MODULES, (FAILING,)))
    with pytest.raises(ue.MigrationFailedError, match="migration of market failed: ValueError"):
        g.chain.apply_block()
    assert g.chain.export_genesis() == before and take_rate(g) == rate
    g.chain.restart(Registry(MODULES, (UPGRADE,)))  # the fixed release goes on from the same state
    g.chain.apply_block()
    assert take_rate(g) == rate // 2


def test_migrations_run_each_step_from_the_stored_version(g: GovDriver) -> None:
    """A module two versions ahead runs 1->2 then 2->3, in order, once."""
    plan = schedule(g)
    steps: list[int] = []
    market = MARKET
    three = replace(market, consensus_version=3,
                    migrations={1: lambda s, c: steps.append(1), 2: lambda s, c: steps.append(2)})
    g.chain.advance_to(plan.height - 1)
    g.chain.restart(Registry(MODULES, (Upgrade(PLAN, (three,)),)))
    g.chain.advance_to(plan.height + 1)
    assert steps == [1, 2] and g.chain.query("upgrade", "versions")["market"] == 3


def test_a_missing_migration_step_halts(g: GovDriver) -> None:
    plan = schedule(g)
    market = MARKET
    gap = replace(market, consensus_version=3, migrations={1: lambda s, c: None})
    g.chain.advance_to(plan.height - 1)
    g.chain.restart(Registry(MODULES, (Upgrade(PLAN, (gap,)),)))
    with pytest.raises(ue.MigrationFailedError, match="no migration from version 2"):
        g.chain.apply_block()


def test_only_the_gov_authority_schedules_or_cancels(g: GovDriver) -> None:
    for msg in (MsgSoftwareUpgrade(PLAN, 10**6, ""), MsgCancelUpgrade()):
        result = g.run(D, msg)
        assert result.tx_results[-1].code == ue.NotGovAuthorityError.code
    assert g.chain.query("upgrade", "plan") is None


def test_a_plan_in_the_past_or_already_applied_fails_the_proposal_and_changes_nothing(g: GovDriver) -> None:
    pid = pass_proposal(g, MsgSoftwareUpgrade(PLAN, 3, ""))
    proposal = g.proposal(pid)
    assert proposal.status == FAILED and "not after the current height" in proposal.failure
    assert g.chain.query("upgrade", "plan") is None
    plan = schedule(g)
    g.chain.advance_to(plan.height - 1)
    g.chain.restart(Registry(MODULES, (UPGRADE,)))
    g.chain.advance_to(plan.height)
    pid = pass_proposal(g, MsgSoftwareUpgrade(PLAN, g.chain.height + 100, ""))
    assert g.proposal(pid).status == FAILED and "was applied at height" in g.proposal(pid).failure


def test_a_cancelled_plan_no_longer_halts(g: GovDriver) -> None:
    plan = schedule(g, height_after_vote=40)
    pass_proposal(g, MsgCancelUpgrade())
    assert g.chain.query("upgrade", "plan") is None
    g.chain.advance_to(plan.height + 1)  # the old binary goes past the cancelled height


def test_a_bad_plan_is_refused_at_submission() -> None:
    for bad in (MsgSoftwareUpgrade("", 10, ""), MsgSoftwareUpgrade("has space", 10, ""),
                MsgSoftwareUpgrade("v2", 0, ""), MsgSoftwareUpgrade("x" * 65, 10, ""),
                MsgSoftwareUpgrade("v2", 10, "i" * 1025)):
        with pytest.raises(InvalidMsgError, match="software_upgrade"):
            MsgSubmitProposal((bad,), GOV.min_deposit, "t", "s", False).validate_basic()


def test_an_exported_plan_reimports_with_the_same_hash(g: GovDriver) -> None:
    schedule(g)
    exported = g.chain.export_genesis()
    assert exported["upgrade"]["state"]
    again = SimChain(exported, g.chain.chain_id)
    assert again.app_hashes[0] == g.chain.app.info().last_app_hash


def test_the_registry_refuses_bad_upgrades() -> None:
    market = MARKET
    with pytest.raises(RegistryError, match="migrations"):
        Registry(MODULES, (Upgrade("x", (replace(market, migrations={1: lambda s, c: None}),)),))
    with pytest.raises(RegistryError, match="does not have"):
        Registry(MODULES, (Upgrade("x", (Module("nomodule", (b"\x7f",), range(990, 991)),)),))
    with pytest.raises(RegistryError, match="repeat"):
        Registry(MODULES, (Upgrade("x"), Upgrade("x")))


def test_upgrade_plugins_load_by_module_and_attribute() -> None:
    assert load_upgrade_plugin("upgrade_plugin:UPGRADE") is UPGRADE
    for spec in ("upgrade_plugin", "no_such_module:UPGRADE", "upgrade_plugin:PLAN"):
        with pytest.raises(UpgradePluginError):
            load_upgrade_plugin(spec)


def test_an_old_binary_restarted_after_the_upgrade_refuses_to_go_on(g: GovDriver) -> None:
    plan = schedule(g)
    g.chain.advance_to(plan.height - 1)
    g.chain.restart(Registry(MODULES, (UPGRADE,)))
    g.chain.advance_to(plan.height)
    g.chain.restart(Registry(MODULES))
    with pytest.raises(ue.BinaryTooOldError, match="market is at consensus version 2"):
        g.chain.apply_block()


@settings(max_examples=5, deadline=None)
@given(st.lists(st.booleans(), min_size=6, max_size=12))
def test_whichever_binary_each_block_is_tried_with_the_migration_runs_once_at_the_plan_height(new_first: list[bool]) -> None:
    """Each block is tried with the old or the new binary first (the other on a halt): the chain
    takes exactly the binary its height allows, and the take rate halves once, at the plan."""
    g = GovDriver(make_gov_chain())
    plan = schedule(g, height_after_vote=8)
    rate = take_rate(g)
    old, new = Registry(MODULES), Registry(MODULES, (UPGRADE,))
    start = plan.height - len(new_first) // 2
    g.chain.advance_to(start - 1)
    for height, try_new in enumerate(new_first, start=start):
        expected = new if height >= plan.height else old
        first = new if try_new else old
        g.chain.restart(first)
        if first is not expected:
            before = g.chain.app.info()
            with pytest.raises(ue.UpgradeHaltError):
                g.chain.apply_block()
            assert g.chain.app.info() == before
            g.chain.restart(expected)
        g.chain.apply_block()
        assert g.chain.height == height
        assert take_rate(g) == (rate // 2 if height >= plan.height else rate)
    assert g.chain.query("upgrade", "applied") == {PLAN: plan.height}
