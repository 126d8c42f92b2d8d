"""Hypothesis strategies for the market's messages (gathered by `akechain.testing`). Valid drafts
act on what the chain holds now (a registered provider bids on a job still bidding, a lease's own
provider submits its receipt); invalid ones break one rule (a stateless check, the wrong sender,
an unknown id, a price above the job's max)."""
from __future__ import annotations

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.modules.market.msgs import (
    POLICY_NONE,
    POLICY_REDUNDANCY,
    POLICY_SPOT_CHECK,
    MsgBid,
    MsgCancelJob,
    MsgCreateJob,
    MsgDepositCollateral,
    MsgDeregisterProvider,
    MsgRegisterProvider,
    MsgSubmitReceipt,
    MsgTopUp,
    MsgUpdateProvider,
    MsgWithdrawBid,
    MsgWithdrawCollateral,
    MsgWithdrawEarnings,
    Policy,
    Resources,
)
from akechain.chain.modules.market.records import BIDDING, CLOSED, RUNNING

HARDWARE = Resources(cpu_cores=32, gpu_model="h100", gpu_count=4, memory_mb=256_000, storage_gb=4_000, bandwidth_mbps=10_000)
SPEC = Resources(cpu_cores=4, gpu_model="", gpu_count=0, memory_mb=8_000, storage_gb=100, bandwidth_mbps=100)
POLICIES = (Policy(POLICY_NONE, 0, 1, 1), Policy(POLICY_SPOT_CHECK, 5_000, 1, 1), Policy(POLICY_REDUNDANCY, 0, 2, 3))
OUTPUTS = (b"\x01" * 32, b"\x02" * 32, b"\x03" * 32)  # few distinct outputs, so replicas agree or clash
UNKNOWN_ID = 10**9
regions = st.sampled_from(("eu", "us"))


def get_providers(ctx: StrategyContext) -> list[bytes]:
    return [a for a in ctx.accounts if ctx.query("market", "provider", a) is not None]


def st_among(items: list, fallback: object) -> st.SearchStrategy:
    """One of `items`, or `fallback` when there are none (the draft then fails, as it should)."""
    return st.sampled_from(items) if items else st.just(fallback)


def st_account(ctx: StrategyContext, exclude: list[bytes] = ()) -> st.SearchStrategy[bytes]:  # type: ignore[assignment]
    return st_among([a for a in ctx.accounts if a not in exclude], ctx.accounts[0])


def st_provider(ctx: StrategyContext) -> st.SearchStrategy[bytes]:
    return st_among(get_providers(ctx), ctx.accounts[0])


def st_stranger(ctx: StrategyContext) -> st.SearchStrategy[bytes]:
    """An account that is not a registered provider."""
    return st_account(ctx, exclude=get_providers(ctx))


def st_job(ctx: StrategyContext, open_only: bool = True, status: int | None = None) -> st.SearchStrategy:
    """A job of the chain (open: still bidding or running; or of one `status`); none: nothing to draw."""
    jobs = [j for j in ctx.query("market", "jobs", open_only) if status is None or j.status == status]
    return st.sampled_from(jobs) if jobs else st.nothing()


def st_lease(ctx: StrategyContext, *statuses: int) -> st.SearchStrategy:
    leases = [x for x in ctx.query("market", "leases") if not statuses or x.status in statuses]
    return st.sampled_from(leases) if leases else st.nothing()


def or_unknown(strategy: st.SearchStrategy[Draft], unknown: st.SearchStrategy[Draft]) -> st.SearchStrategy[Draft]:
    """`strategy`, or `unknown` (an act on an id that does not exist) when there is nothing to act on."""
    return strategy if not strategy.is_empty else unknown


# -- providers -------------------------------------------------------------------------------------


def valid_register(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda sender, region, collateral: Draft(sender, MsgRegisterProvider(HARDWARE, region, (), "https://p", collateral)),
                     st_stranger(ctx), regions, st.integers(0, 50_000))


def invalid_register(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(
        st.builds(lambda s: Draft(s, MsgRegisterProvider(HARDWARE, "eu", (), "https://p", 0)), st_provider(ctx)),  # twice
        st.builds(lambda s: Draft(s, MsgRegisterProvider(HARDWARE, "eu", ("b=1", "a=1"), "https://p", 0)), st_stranger(ctx)),
        st.builds(lambda s: Draft(s, MsgRegisterProvider(HARDWARE, "x" * 65, (), "https://p", 0)), st_stranger(ctx)),
    )


def valid_update(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s, region: Draft(s, MsgUpdateProvider(HARDWARE, region, (), "https://p/v2")), st_provider(ctx), regions)


def invalid_update(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s: Draft(s, MsgUpdateProvider(HARDWARE, "eu", (), "https://p")), st_stranger(ctx))


def valid_deregister(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s: Draft(s, MsgDeregisterProvider()), st_provider(ctx))


def invalid_deregister(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s: Draft(s, MsgDeregisterProvider()), st_stranger(ctx))


def valid_deposit(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s, n: Draft(s, MsgDepositCollateral(n)), st_provider(ctx), st.integers(1, 50_000))


def invalid_deposit(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st.builds(lambda s: Draft(s, MsgDepositCollateral(0)), st_provider(ctx)),
                     st.builds(lambda s: Draft(s, MsgDepositCollateral(1)), st_stranger(ctx)))


def valid_withdraw_collateral(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    free = [(a, v.free_collateral) for a in get_providers(ctx) if (v := ctx.query("market", "provider", a)).free_collateral > 0]
    return or_unknown(
        st.sampled_from(free).flatmap(lambda af: st.builds(lambda n: Draft(af[0], MsgWithdrawCollateral(n)), st.integers(1, af[1])))
        if free else st.nothing(),
        invalid_withdraw_collateral(ctx))


def invalid_withdraw_collateral(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s: Draft(s, MsgWithdrawCollateral(10**15)), st_account(ctx))


# -- jobs and bids ---------------------------------------------------------------------------------


def st_create_job(budget: st.SearchStrategy[int], deadline_slack: st.SearchStrategy[int]) -> st.SearchStrategy[MsgCreateJob]:
    def build(budget: int, max_price: int, duration: int, window: int, slack: int, policy: Policy) -> MsgCreateJob:
        return MsgCreateJob(resources=SPEC, duration_blocks=duration, region="", attributes=(), budget=budget,
                            max_price=max_price, bid_window_blocks=window, deadline_blocks=window + duration + slack,
                            policy=policy, allow=(), deny=())

    return st.builds(build, budget, st.integers(20, 100), st.integers(1, 8), st.integers(2, 6), deadline_slack,
                     st.sampled_from(POLICIES))


def valid_create_job(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(Draft, st_account(ctx), st_create_job(st.integers(100, 3_000), st.integers(0, 6)))


def invalid_create_job(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st.builds(Draft, st_account(ctx), st_create_job(st.just(0), st.integers(0, 6))),
                     st.builds(Draft, st_account(ctx), st_create_job(st.integers(1, 100), st.just(-1))),
                     st.builds(Draft, st_account(ctx), st_create_job(st.just(10**15), st.integers(0, 6))))


def valid_top_up(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return or_unknown(st.builds(lambda j, n: Draft(j.consumer, MsgTopUp(j.id, n)), st_job(ctx), st.integers(1, 2_000)),
                      invalid_top_up(ctx))


def invalid_top_up(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st.builds(lambda s: Draft(s, MsgTopUp(UNKNOWN_ID, 1)), st_account(ctx)),
                     st.builds(lambda j: Draft(j.consumer, MsgTopUp(j.id, 0)), st_job(ctx, open_only=False)))


def valid_cancel(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return or_unknown(st_job(ctx).map(lambda j: Draft(j.consumer, MsgCancelJob(j.id))), invalid_cancel(ctx))


def invalid_cancel(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st.builds(lambda s: Draft(s, MsgCancelJob(UNKNOWN_ID)), st_account(ctx)),
                     st.builds(lambda j, s: Draft(s, MsgCancelJob(j.id)), st_job(ctx, open_only=False), st_provider(ctx)))


def valid_bid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    """A registered provider other than the consumer bids at most the job's max price."""
    def build(job) -> st.SearchStrategy[Draft]:
        bidders = [a for a in get_providers(ctx) if a != job.consumer and a not in job.bidders]
        return st.builds(lambda p, price, latency: Draft(p, MsgBid(job.id, price, latency, job.resources)),
                         st_among(bidders, job.consumer), st.integers(1, job.max_price), st.integers(0, 1_500))

    return or_unknown(st_job(ctx, status=BIDDING).flatmap(build), invalid_bid(ctx))


def invalid_bid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(
        st.builds(lambda p: Draft(p, MsgBid(UNKNOWN_ID, 1, 10, SPEC)), st_provider(ctx)),
        st.builds(lambda j, p: Draft(p, MsgBid(j.id, j.max_price + 1, 10, j.resources)), st_job(ctx, open_only=False), st_provider(ctx)),
        st.builds(lambda j: Draft(j.consumer, MsgBid(j.id, 1, 10, j.resources)), st_job(ctx, open_only=False)),  # own job
        st.builds(lambda p: Draft(p, MsgBid(0, 0, 10, SPEC)), st_provider(ctx)),
    )


def valid_withdraw_bid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    jobs = [j for j in ctx.query("market", "jobs", True) if j.status == BIDDING and j.bidders]
    return or_unknown(st.sampled_from(jobs).flatmap(lambda j: st.sampled_from(j.bidders).map(lambda p: Draft(p, MsgWithdrawBid(j.id))))
                      if jobs else st.nothing(), invalid_withdraw_bid(ctx))


def invalid_withdraw_bid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.builds(lambda s: Draft(s, MsgWithdrawBid(UNKNOWN_ID)), st_account(ctx))


# -- leases ----------------------------------------------------------------------------------------


def valid_receipt(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return or_unknown(st.builds(lambda lease, h, uptime: Draft(lease.provider, MsgSubmitReceipt(lease.id, h, SPEC, uptime, 10)),
                                st_lease(ctx, RUNNING), st.sampled_from(OUTPUTS), st.sampled_from((10_000, 9_999, 5_000))),
                      invalid_receipt(ctx))


def invalid_receipt(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(
        st.builds(lambda s: Draft(s, MsgSubmitReceipt(UNKNOWN_ID, OUTPUTS[0], SPEC, 10_000, 10)), st_provider(ctx)),
        st.builds(lambda lease, s: Draft(s, MsgSubmitReceipt(lease.id, OUTPUTS[0], SPEC, 10_000, 10)), st_lease(ctx), st_stranger(ctx)),
        st.builds(lambda lease: Draft(lease.provider, MsgSubmitReceipt(lease.id, b"short", SPEC, 10_000, 10)), st_lease(ctx)),
    )


def valid_withdraw_earnings(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return or_unknown(st_lease(ctx).map(lambda lease: Draft(lease.provider, MsgWithdrawEarnings(lease.id))),
                      invalid_withdraw_earnings(ctx))


def invalid_withdraw_earnings(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st.builds(lambda s: Draft(s, MsgWithdrawEarnings(UNKNOWN_ID)), st_provider(ctx)),
                     st.builds(lambda lease, s: Draft(s, MsgWithdrawEarnings(lease.id)), st_lease(ctx, CLOSED), st_stranger(ctx)))


STRATEGIES = {
    MsgRegisterProvider: MsgStrategies(valid_register, invalid_register),
    MsgUpdateProvider: MsgStrategies(valid_update, invalid_update),
    MsgDeregisterProvider: MsgStrategies(valid_deregister, invalid_deregister),
    MsgDepositCollateral: MsgStrategies(valid_deposit, invalid_deposit),
    MsgWithdrawCollateral: MsgStrategies(valid_withdraw_collateral, invalid_withdraw_collateral),
    MsgCreateJob: MsgStrategies(valid_create_job, invalid_create_job),
    MsgTopUp: MsgStrategies(valid_top_up, invalid_top_up),
    MsgCancelJob: MsgStrategies(valid_cancel, invalid_cancel),
    MsgBid: MsgStrategies(valid_bid, invalid_bid),
    MsgWithdrawBid: MsgStrategies(valid_withdraw_bid, invalid_withdraw_bid),
    MsgSubmitReceipt: MsgStrategies(valid_receipt, invalid_receipt),
    MsgWithdrawEarnings: MsgStrategies(valid_withdraw_earnings, invalid_withdraw_earnings),
}
