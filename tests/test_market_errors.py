"""Bad input: each is a clear error with its own code, and the failing tx changes nothing but the
sender's fee and nonce (the whole exported state is compared)."""
from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from akechain.chain.codec import InvalidMsgError
from akechain.chain.crypto import format_address, get_address
from akechain.chain.modules.bank.keeper import FEE_COLLECTOR, TREASURY, InsufficientFundsError, ModuleAccountRecipientError
from akechain.chain.modules.bank.msgs import MsgMultiSend, MsgSend, Output
from akechain.chain.modules.escrow.keeper import ESCROW_ACCOUNT
from akechain.chain.modules.market.records import COLLATERAL_ACCOUNT
from akechain.chain.modules.verify.keeper import BOND_ACCOUNT
from akechain.chain.registry import DEFAULT_REGISTRY
from akechain.chain.modules.market import queries as q
from akechain.chain.modules.verify import queries as vq
from akechain.chain.modules.market.errors import (
    BidNotFoundError,
    DuplicateBidError,
    DuplicateReceiptError,
    InsufficientCollateralError,
    InvalidJobError,
    JobClosedError,
    JobNotFoundError,
    JobNotOpenError,
    LeaseNotFoundError,
    NotJobConsumerError,
    NotLeaseProviderError,
    PriceAboveMaxError,
    ProviderExistsError,
    ProviderHasLeasesError,
    ProviderNotEligibleError,
    ProviderNotFoundError,
    LeaseStateError,
    RevealNotOpenError,
)
from akechain.chain.modules.verify.errors import (
    ChallengeExistsError,
    ChallengeNotAllowedError,
    ChallengeNotFoundError,
    ChallengeWindowClosedError,
    NotRefereeError,
)
from akechain.chain.modules.market.msgs import (
    MAX_WORKLOAD,
    POLICY_REDUNDANCY,
    POLICY_SPOT_CHECK,
    MsgBid,
    MsgCancelJob,
    MsgDeregisterProvider,
    MsgRegisterProvider,
    MsgRevealReceipt,
    MsgSubmitReceipt,
    MsgTopUp,
    MsgWithdrawBid,
    MsgWithdrawCollateral,
    Policy,
)
from akechain.chain.modules.verify.keeper import SEED_KEY
from akechain.chain.modules.verify.msgs import MsgChallenge, MsgVerdict
from test_market_support import (
    CONSUMER_KEYS,
    DISTRIBUTION_PARAMS,
    FEE,
    HARDWARE,
    MARKET_PARAMS,
    PROVIDER_KEYS,
    PROVIDERS,
    SALT,
    SPEC,
    VERIFIER_KEYS,
    VERIFIERS,
    Driver,
    commit_msg,
    job_msg,
    make_market_chain,
    submit_receipt,
)

GOOD, BAD = b"\x01" * 32, b"\x02" * 32


def without_chain_seed(market: dict) -> dict:
    seed_key = SEED_KEY.hex()
    return {**market, "state": [row for row in market["state"] if row[0] != seed_key]}


def expect_only_fee(before: dict, after: dict, sender: bytes) -> None:
    """`after` equals `before` but for the sender's fee and nonce, and the block's start: the emission
    minted and the fee collector's pot (the previous block's fees plus it) split into burn and treasury
    (no validator signs in these chains, so the stakers' share goes to the treasury too), and the chain
    seed, which every block advances."""
    expected = copy.deepcopy(before)
    distribution = before["distribution"]["params"]
    balances = {b["address"]: b["amount"] for b in expected["bank"]["balances"]}
    collector, treasury = format_address(FEE_COLLECTOR), format_address(TREASURY)
    emission = distribution["emission_per_block"]  # the first epoch, far from the cap
    pot = balances.pop(collector, 0) + emission
    burn = pot * distribution["burn_bps"] // 10_000
    balances[treasury] = balances.get(treasury, 0) + pot - burn
    balances[format_address(sender)] -= FEE
    balances[collector] = FEE
    expected["bank"]["balances"] = [{"address": a, "amount": n} for a, n in sorted(balances.items()) if n]
    after_balances = sorted(after["bank"]["balances"], key=lambda b: b["address"])
    assert after_balances == expected["bank"]["balances"]
    supply = expected["bank"]["supply"]
    assert after["bank"]["supply"] == {**supply, "total": supply["total"] + emission - burn,
                                       "burned": supply["burned"] + burn, "minted": supply["minted"] + emission}
    nonces = {a["address"]: a["nonce"] for a in after["auth"]["accounts"]}
    old = {a["address"]: a["nonce"] for a in before["auth"]["accounts"]}
    assert nonces[format_address(sender)] == old.get(format_address(sender), 0) + 1
    assert without_chain_seed(after["market"]) == without_chain_seed(before["market"])


def fails(d: Driver, key, msg, error: type) -> str:
    before = d.app.export_app_state()
    code, log = d.run(key, msg)
    assert code == error.code, log
    expect_only_fee(before, d.app.export_app_state(), get_address(key))
    return log


@pytest.fixture()
def market() -> Driver:
    """Providers 0-2 registered (2 with too little collateral); job 1 bidding with a bid from 0."""
    d = Driver(make_market_chain(replace(MARKET_PARAMS, challenge_window_blocks=10)))
    d.tx(PROVIDER_KEYS[0], MsgRegisterProvider(HARDWARE, "eu", ("tier=a",), "https://p0", 10_000_000))
    d.tx(PROVIDER_KEYS[1], MsgRegisterProvider(HARDWARE, "us", (), "https://p1", 10_000_000))
    d.tx(PROVIDER_KEYS[2], MsgRegisterProvider(HARDWARE, "eu", (), "https://p2", 10))
    d.block()
    d.run(CONSUMER_KEYS[0], job_msg(window=10, duration=5, deadline=40, deny=(PROVIDERS[3],)))
    d.run(PROVIDER_KEYS[0], MsgBid(1, 50, 10, SPEC))
    return d


def test_bid_above_max_price(market: Driver) -> None:
    assert "exceeds the job's max 100" in fails(market, PROVIDER_KEYS[1], MsgBid(1, 101, 10, SPEC), PriceAboveMaxError)


def test_bid_from_unregistered_provider(market: Driver) -> None:
    fails(market, PROVIDER_KEYS[4], MsgBid(1, 50, 10, SPEC), ProviderNotFoundError)


def test_bid_from_under_collateralised_provider(market: Driver) -> None:
    assert "free collateral" in fails(market, PROVIDER_KEYS[2], MsgBid(1, 50, 10, SPEC), InsufficientCollateralError)


def test_duplicate_bid(market: Driver) -> None:
    fails(market, PROVIDER_KEYS[0], MsgBid(1, 40, 10, SPEC), DuplicateBidError)


def test_bid_not_covering_the_spec_or_excluded(market: Driver) -> None:
    small = replace(SPEC, cpu_cores=1)
    fails(market, PROVIDER_KEYS[1], MsgBid(1, 50, 10, small), ProviderNotEligibleError)
    too_big = replace(HARDWARE, cpu_cores=HARDWARE.cpu_cores + 1)
    fails(market, PROVIDER_KEYS[1], MsgBid(1, 50, 10, too_big), ProviderNotEligibleError)
    market.run(PROVIDER_KEYS[3], MsgRegisterProvider(HARDWARE, "eu", (), "https://p3", 10_000_000))
    assert "allow/deny" in fails(market, PROVIDER_KEYS[3], MsgBid(1, 50, 10, SPEC), ProviderNotEligibleError)


def test_bid_on_closed_job_and_withdrawals(market: Driver) -> None:
    fails(market, PROVIDER_KEYS[1], MsgWithdrawBid(1), BidNotFoundError)
    market.advance_to(market.job(1).bid_close_height)
    fails(market, PROVIDER_KEYS[1], MsgBid(1, 50, 10, SPEC), JobNotOpenError)
    fails(market, PROVIDER_KEYS[0], MsgWithdrawBid(1), JobNotOpenError)
    fails(market, PROVIDER_KEYS[1], MsgBid(99, 50, 10, SPEC), JobNotFoundError)


def test_receipts_for_someone_elses_lease_and_twice(market: Driver) -> None:
    market.advance_to(market.job(1).bid_close_height)
    [lease] = q.query_leases(market.app.get_state_view()[0], job_id=1)
    receipt = commit_msg(PROVIDER_KEYS[0], lease.id, GOOD)
    fails(market, PROVIDER_KEYS[0], MsgRevealReceipt(lease.id, GOOD, SALT), LeaseStateError)  # nothing committed
    fails(market, PROVIDER_KEYS[1], receipt, NotLeaseProviderError)
    fails(market, PROVIDER_KEYS[0], replace(receipt, lease_id=99), LeaseNotFoundError)
    assert market.run(PROVIDER_KEYS[0], receipt) == (0, "")
    fails(market, PROVIDER_KEYS[0], receipt, DuplicateReceiptError)
    fails(market, PROVIDER_KEYS[1], MsgRevealReceipt(lease.id, GOOD, SALT), NotLeaseProviderError)
    assert market.run(PROVIDER_KEYS[0], MsgRevealReceipt(lease.id, GOOD, SALT)) == (0, "")
    fails(market, PROVIDER_KEYS[0], MsgRevealReceipt(lease.id, GOOD, SALT), LeaseStateError)
    fails(market, PROVIDER_KEYS[0], receipt, DuplicateReceiptError)


def test_a_reveal_waits_for_every_replica_to_commit(market: Driver) -> None:
    redundancy = Policy(kind=POLICY_REDUNDANCY, spot_check_bps=0, k=2, n=2)
    assert market.run(CONSUMER_KEYS[1], job_msg(policy=redundancy)) == (0, "")
    job_id = max(j.id for j in q.query_jobs(market.app.get_state_view()[0]))
    market.tx(PROVIDER_KEYS[0], MsgBid(job_id, 50, 10, SPEC))
    market.tx(PROVIDER_KEYS[1], MsgBid(job_id, 50, 10, SPEC))
    market.advance_to(market.job(job_id).bid_close_height)
    first, _ = q.query_leases(market.app.get_state_view()[0], job_id=job_id)
    key = PROVIDER_KEYS[PROVIDERS.index(first.provider)]
    assert market.run(key, commit_msg(key, first.id, GOOD)) == (0, "")
    assert "once every replica" in fails(market, key, MsgRevealReceipt(first.id, GOOD, SALT), RevealNotOpenError)


def test_challenges_outside_the_rules(market: Driver) -> None:
    market.advance_to(market.job(1).bid_close_height)
    [lease] = q.query_leases(market.app.get_state_view()[0], job_id=1)
    assert submit_receipt(market, PROVIDER_KEYS[0], lease.id, GOOD) == (0, "")
    fails(market, PROVIDER_KEYS[1], MsgChallenge(lease.id, BAD), ChallengeNotAllowedError)  # neither consumer nor verifier
    fails(market, CONSUMER_KEYS[0], MsgChallenge(lease.id, GOOD), ChallengeNotAllowedError)  # agrees with the receipt
    fails(market, VERIFIER_KEYS[0], MsgVerdict(7, GOOD), ChallengeNotFoundError)
    # open one, then a verdict from a non-referee
    assert market.run(CONSUMER_KEYS[0], MsgChallenge(lease.id, BAD)) == (0, "")
    view = market.app.get_state_view()[0]
    challenge = vq.query_challenge(view, q.query_lease(view, lease.id).challenge_id)
    outsider = next(k for k in VERIFIER_KEYS if get_address(k) != challenge.referee)
    fails(market, outsider, MsgVerdict(challenge.id, BAD), NotRefereeError)
    fails(market, CONSUMER_KEYS[0], MsgChallenge(lease.id, BAD), ChallengeExistsError)


def test_challenge_after_the_window(market: Driver) -> None:
    market.advance_to(market.job(1).bid_close_height)
    [lease] = q.query_leases(market.app.get_state_view()[0], job_id=1)
    assert submit_receipt(market, PROVIDER_KEYS[0], lease.id, GOOD) == (0, "")
    market.advance_to(q.query_lease(market.app.get_state_view()[0], lease.id).settle_height)
    assert "challenge window" in fails(market, CONSUMER_KEYS[0], MsgChallenge(lease.id, BAD), ChallengeWindowClosedError)


def test_jobs_and_providers(market: Driver) -> None:
    fails(market, CONSUMER_KEYS[1], MsgCancelJob(1), NotJobConsumerError)
    fails(market, PROVIDER_KEYS[0], MsgRegisterProvider(HARDWARE, "eu", (), "x", 0), ProviderExistsError)
    fails(market, PROVIDER_KEYS[0], MsgWithdrawCollateral(10_000_001), InsufficientCollateralError)
    spot = Policy(kind=POLICY_SPOT_CHECK, spot_check_bps=MARKET_PARAMS.spot_check_rate_cap_bps + 1, k=1, n=1)
    fails(market, CONSUMER_KEYS[1], job_msg(policy=spot), InvalidJobError)
    fails(market, CONSUMER_KEYS[1], job_msg(budget=10**12), InsufficientFundsError)
    assert market.run(CONSUMER_KEYS[0], MsgCancelJob(1)) == (0, "")
    fails(market, CONSUMER_KEYS[1], MsgTopUp(1, 5), JobClosedError)
    fails(market, CONSUMER_KEYS[0], MsgCancelJob(1), JobClosedError)


def test_deregister_with_open_leases(market: Driver) -> None:
    market.advance_to(market.job(1).bid_close_height)
    fails(market, PROVIDER_KEYS[0], MsgDeregisterProvider(), ProviderHasLeasesError)


@pytest.mark.parametrize("msg", [
    MsgBid(1, 0, 10, SPEC),
    job_msg(deadline=3),
    job_msg(policy=Policy(kind=2, spot_check_bps=0, k=1, n=3)),
    job_msg(deny=(b"\x02" * 20, b"\x01" * 20)),
    job_msg(workload=b"x" * (MAX_WORKLOAD + 1)),
    job_msg(workload="not bytes"),
    MsgSubmitReceipt(1, b"short", SPEC, 10_000, 1),
    MsgSubmitReceipt(1, GOOD, SPEC, 10_001, 1),
    MsgRevealReceipt(1, GOOD, b"short"),
    MsgRegisterProvider(HARDWARE, "eu", ("b=1", "a=1"), "x", 0),
])
def test_stateless_checks(msg) -> None:
    with pytest.raises(InvalidMsgError):
        msg.validate_basic()


def test_a_consumer_cannot_bid_on_its_own_job(market: Driver) -> None:
    market.run(CONSUMER_KEYS[0], MsgRegisterProvider(HARDWARE, "eu", (), "https://self", 10_000_000))
    assert "own job" in fails(market, CONSUMER_KEYS[0], MsgBid(1, 50, 10, SPEC), ProviderNotEligibleError)


def test_a_spot_check_job_needs_two_verifiers_to_serve_it() -> None:
    d = Driver(make_market_chain(replace(MARKET_PARAMS, verifiers=(VERIFIERS[0],))))
    d.block()
    spot = job_msg(policy=Policy(kind=POLICY_SPOT_CHECK, spot_check_bps=1_000, k=1, n=1))
    assert "at least 2 verifiers" in fails(d, CONSUMER_KEYS[0], spot, InvalidJobError)


def test_plain_sends_to_module_accounts_are_refused(market: Driver) -> None:
    """A gift to escrow, collateral or bonds would break their exact invariants."""
    accounts = DEFAULT_REGISTRY.module_accounts
    market_accounts = (ESCROW_ACCOUNT, COLLATERAL_ACCOUNT, BOND_ACCOUNT)
    assert set(market_accounts) | {FEE_COLLECTOR, TREASURY} <= accounts
    for account in market_accounts:
        assert "module account" in fails(market, CONSUMER_KEYS[1], MsgSend(account, 1), ModuleAccountRecipientError)
    mixed = MsgMultiSend((Output(PROVIDERS[5], 1), Output(ESCROW_ACCOUNT, 1)))
    fails(market, CONSUMER_KEYS[1], mixed, ModuleAccountRecipientError)
    for account in sorted(accounts - set(market_accounts)):  # the code only: meanwhile the job's windows move on
        code, log = market.run(CONSUMER_KEYS[1], MsgSend(account, 1))
        assert code == ModuleAccountRecipientError.code and "module account" in log
    market.block()  # checks every invariant
