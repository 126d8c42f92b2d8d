"""Hypothesis strategies for the market's messages (gathered by `akechain.testing`). Valid drafts
act on what the chain holds now (a registered provider bids on a job still bidding, a lease's own
provider submits its receipt); ininvalid ones break one rule (a stateless check, the wrong sender,
an unknown id, a price above the job's max)."""
from __future__ import annotations


from hypothesis import strategies as st

from akechain.chain.strategies import st_among, st_build
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
    MsgRevealReceipt,
    MsgSubmitReceipt,
    MsgTopUp,
    MsgUpdateProvider,
    MsgWithdrawBid,
    MsgWithdrawCollateral,
    MsgWithdrawEarnings,
    Policy,
    Resources,
    compute_commitment,
)
from akechain.chain.modules.market.records import BIDDING, COMMITTED, RUNNING, SUBMITTED

HARDWARE = Resources(cpu_cores=32, gpu_model="h100", gpu_count=4, memory_mb=256_000, storage_gb=4_000, bandwidth_mbps=10_000)
SPEC = Resources(cpu_cores=4, gpu_model="", gpu_count=0, memory_mb=8_000, storage_gb=100, bandwidth_mbps=100)
POLICIES = (Policy(POLICY_NONE, 0, 1, 1), Policy(POLICY_SPOT_CHECK, 5_000, 1, 1), Policy(POLICY_REDUNDANCY, 0, 2, 3))
OUTPUTS = (b"\x01" * 32, b"\x02" * 32, b"\x03" * 32)  # few distinct outputs, so replicas agree or clash
UNKNOWN_ID = 10**9
regions = st.sampled_from(("eu", "us"))


def get_providers(ctx: StrategyContext) -> list[bytes]:
    return [a for a in ctx.accounts if ctx.query("market", "provider", a) is not None]


def st_account(ctx: StrategyContext, exclude: tuple[bytes, ...] = ()) -> st.SearchStrategy[bytes]:
    return st_among([a for a in ctx.accounts if a not in exclude])


def st_provider(ctx: StrategyContext) -> st.SearchStrategy[bytes]:
    return st_among(get_providers(ctx))


def st_stranger(ctx: StrategyContext) -> st.SearchStrategy[bytes]:
    """An account that is not a registered provider."""
    return st_account(ctx, exclude=tuple(get_providers(ctx)))


def st_job(ctx: StrategyContext, open_only: bool = True, status: int | None = None) -> st.SearchStrategy:
    """A job of the chain (open: still bidding or running; or of one `status`)."""
    return st_among([j for j in ctx.query("market", "jobs", open_only) if status is None or j.status == status])


def st_lease(ctx: StrategyContext, *statuses: int) -> st.SearchStrategy:
    return st_among([x for x in ctx.query("market", "leases") if not statuses or x.status in statuses])


def st_by_other(ctx: StrategyContext, records: st.SearchStrategy, owner: str, make) -> st.SearchStrategy[Draft]:
    """`make(record)` sent by an account other than the record's `owner` field (consumer, provider)."""
    return records.flatmap(lambda r: st_account(ctx, exclude=(getattr(r, owner),)).map(lambda s: Draft(s, make(r))))


# -- providers -------------------------------------------------------------------------------------


def make_register(region: str = "eu", attributes: tuple[str, ...] = (), collateral: int = 0) -> MsgRegisterProvider:
    return MsgRegisterProvider(HARDWARE, region, attributes, "https://p", collateral)


def valid_register(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_build(lambda s, region, collateral: Draft(s, make_register(region, collateral=collateral)),
                     st_stranger(ctx), regions, st.integers(0, 50_000))


def invalid_register(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(
        st_provider(ctx).map(lambda s: Draft(s, make_register())),  # registered already
        st_account(ctx).map(lambda s: Draft(s, make_register(attributes=("b=1", "a=1")))),  # unsorted
        st_account(ctx).map(lambda s: Draft(s, make_register(region="x" * 65))),
    )


def valid_update(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_build(lambda s, region: Draft(s, MsgUpdateProvider(HARDWARE, region, (), "https://p/v2")), st_provider(ctx), regions)


def invalid_update(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st_stranger(ctx).map(lambda s: Draft(s, MsgUpdateProvider(HARDWARE, "eu", (), "https://p"))),
                     st_account(ctx).map(lambda s: Draft(s, MsgUpdateProvider(HARDWARE, "eu", (), "x" * 257))))


def valid_deregister(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_provider(ctx).map(lambda s: Draft(s, MsgDeregisterProvider()))


def invalid_deregister(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_stranger(ctx).map(lambda s: Draft(s, MsgDeregisterProvider()))


def valid_deposit(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_build(lambda s, n: Draft(s, MsgDepositCollateral(n)), st_provider(ctx), st.integers(1, 50_000))


def invalid_deposit(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st_account(ctx).map(lambda s: Draft(s, MsgDepositCollateral(0))),
                     st_stranger(ctx).map(lambda s: Draft(s, MsgDepositCollateral(1))))


def valid_withdraw_collateral(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    free = [(a, v.free_collateral) for a in get_providers(ctx) if (v := ctx.query("market", "provider", a)).free_collateral > 0]
    return st_among(free).flatmap(lambda af: st.integers(1, af[1]).map(lambda n: Draft(af[0], MsgWithdrawCollateral(n))))


def invalid_withdraw_collateral(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_account(ctx).map(lambda s: Draft(s, MsgWithdrawCollateral(10**15)))


# -- jobs and bids ---------------------------------------------------------------------------------


def st_create_job(budget: st.SearchStrategy[int], deadline_slack: st.SearchStrategy[int]) -> st.SearchStrategy[MsgCreateJob]:
    def build(budget: int, max_price: int, duration: int, window: int, slack: int, policy: Policy) -> MsgCreateJob:
        return MsgCreateJob(resources=SPEC, duration_blocks=duration, region="", attributes=(), budget=budget,
                            max_price=max_price, bid_window_blocks=window, deadline_blocks=window + duration + slack,
                            policy=policy, allow=(), deny=())

    return st.builds(build, budget, st.integers(20, 100), st.integers(1, 8), st.integers(2, 6), deadline_slack,
                     st.sampled_from(POLICIES))


def valid_create_job(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_build(Draft, st_account(ctx), st_create_job(st.integers(100, 3_000), st.integers(0, 6)))


def invalid_create_job(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st_build(Draft, st_account(ctx), st_create_job(st.just(0), st.integers(0, 6))),
                     st_build(Draft, st_account(ctx), st_create_job(st.integers(1, 100), st.just(-1))),
                     st_build(Draft, st_account(ctx), st_create_job(st.just(10**15), st.integers(0, 6))))


def valid_top_up(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_build(lambda j, n: Draft(j.consumer, MsgTopUp(j.id, n)), st_job(ctx), st.integers(1, 2_000))


def invalid_top_up(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st_account(ctx).map(lambda s: Draft(s, MsgTopUp(UNKNOWN_ID, 1))),
                     st_job(ctx, open_only=False).map(lambda j: Draft(j.consumer, MsgTopUp(j.id, 0))))


def valid_cancel(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_job(ctx).map(lambda j: Draft(j.consumer, MsgCancelJob(j.id)))


def invalid_cancel(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st_account(ctx).map(lambda s: Draft(s, MsgCancelJob(UNKNOWN_ID))),
                     st_by_other(ctx, st_job(ctx, open_only=False), "consumer", lambda j: MsgCancelJob(j.id)))


def valid_bid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    """A registered provider, not the consumer and not bidding yet, bids at most the job's max price."""
    providers = get_providers(ctx)
    jobs = [j for j in ctx.query("market", "jobs", True) if j.status == BIDDING]
    bidders = {j.id: {bid.provider for bid in ctx.query("market", "bids", j.id)} for j in jobs}
    pairs = [(j, p) for j in jobs for p in providers if p != j.consumer and p not in bidders[j.id]]
    return st_build(lambda jp, price, latency: Draft(jp[1], MsgBid(jp[0].id, min(price, jp[0].max_price), latency, jp[0].resources)),
                    st_among(pairs), st.integers(1, 100), st.integers(0, 1_500))


def invalid_bid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(
        st_account(ctx).map(lambda p: Draft(p, MsgBid(UNKNOWN_ID, 1, 10, SPEC))),
        st_build(lambda j, p: Draft(p, MsgBid(j.id, j.max_price + 1, 10, j.resources)), st_job(ctx, open_only=False), st_account(ctx)),
        st_job(ctx, open_only=False).map(lambda j: Draft(j.consumer, MsgBid(j.id, 1, 10, j.resources))),  # on one's own job
        st_account(ctx).map(lambda p: Draft(p, MsgBid(0, 0, 10, SPEC))),
    )


def valid_withdraw_bid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    bids = [(j.id, bid.provider) for j in ctx.query("market", "jobs", True) if j.status == BIDDING and j.bid_count
            for bid in ctx.query("market", "bids", j.id)]
    return st_among(bids).map(lambda bid: Draft(bid[1], MsgWithdrawBid(bid[0])))


def invalid_withdraw_bid(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st_account(ctx).map(lambda s: Draft(s, MsgWithdrawBid(UNKNOWN_ID)))


# -- leases ----------------------------------------------------------------------------------------


SALT = b"\x5a" * 32  # every strategy receipt commits with it, so a reveal strategy can open it


def make_commit(lease, output: bytes, uptime_bps: int = 10_000) -> MsgSubmitReceipt:
    return MsgSubmitReceipt(lease.id, compute_commitment(output, SALT, lease.provider, lease.id), SPEC, uptime_bps, 10)


def get_committed_output(lease) -> bytes | None:
    """The strategy output a lease's commitment opens to (None: it is someone else's, copied)."""
    return next((o for o in OUTPUTS if compute_commitment(o, SALT, lease.provider, lease.id) == lease.commitment), None)


def valid_receipt(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    """Honest commitments, and copies of another lease's (accepted: the copier is caught at its reveal)."""
    copies = [lease.commitment for lease in ctx.query("market", "leases") if lease.commitment]
    honest = st_build(lambda lease, h, uptime: Draft(lease.provider, make_commit(lease, h, uptime)),
                      st_lease(ctx, RUNNING), st.sampled_from(OUTPUTS), st.sampled_from((10_000, 9_999, 5_000)))
    copied = st_build(lambda lease, c: Draft(lease.provider, MsgSubmitReceipt(lease.id, c, SPEC, 10_000, 10)),
                      st_lease(ctx, RUNNING), st_among(copies))
    return st.one_of(honest, honest, honest, copied)


def invalid_receipt(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(
        st_account(ctx).map(lambda s: Draft(s, MsgSubmitReceipt(UNKNOWN_ID, OUTPUTS[0], SPEC, 10_000, 10))),
        st_by_other(ctx, st_lease(ctx), "provider", lambda lease: MsgSubmitReceipt(lease.id, OUTPUTS[0], SPEC, 10_000, 10)),
        st_lease(ctx).map(lambda lease: Draft(lease.provider, MsgSubmitReceipt(lease.id, b"short", SPEC, 10_000, 10))),
    )


def valid_reveal(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    """Within the reveal phase: mostly the committed output; sometimes another one (slashed)."""
    height = ctx.height + 1
    open_ = [x for x in ctx.query("market", "leases") if x.status == COMMITTED and x.reveal_from <= height <= x.reveal_end]
    return st_build(lambda lease, lie, other: Draft(lease.provider, MsgRevealReceipt(
        lease.id, other if lie or get_committed_output(lease) is None else get_committed_output(lease), SALT)),
        st_among(open_), st.sampled_from((False, False, False, True)), st.sampled_from(OUTPUTS))


def invalid_reveal(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(
        st_account(ctx).map(lambda s: Draft(s, MsgRevealReceipt(UNKNOWN_ID, OUTPUTS[0], SALT))),
        st_by_other(ctx, st_lease(ctx), "provider", lambda lease: MsgRevealReceipt(lease.id, OUTPUTS[0], SALT)),
        st_lease(ctx, RUNNING, SUBMITTED).map(lambda lease: Draft(lease.provider, MsgRevealReceipt(lease.id, OUTPUTS[0], SALT))),
        st_lease(ctx).map(lambda lease: Draft(lease.provider, MsgRevealReceipt(lease.id, OUTPUTS[0], b"short"))),
    )


def valid_withdraw_earnings(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    """From a lease still open: its stream earns every block it runs."""
    return st_lease(ctx, RUNNING, SUBMITTED).map(lambda lease: Draft(lease.provider, MsgWithdrawEarnings(lease.id)))


def invalid_withdraw_earnings(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st_account(ctx).map(lambda s: Draft(s, MsgWithdrawEarnings(UNKNOWN_ID))),
                     st_by_other(ctx, st_lease(ctx), "provider", lambda lease: MsgWithdrawEarnings(lease.id)))


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
    MsgRevealReceipt: MsgStrategies(valid_reveal, invalid_reveal),
    MsgWithdrawEarnings: MsgStrategies(valid_withdraw_earnings, invalid_withdraw_earnings),
}
