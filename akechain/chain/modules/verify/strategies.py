"""Hypothesis strategies for verify's messages (gathered by `akechain.testing`): challenges of
submitted receipts by a verifier or the job's consumer, verdicts by the challenge's referee, and
both from the wrong account or on ids that do not exist."""
from __future__ import annotations

from hypothesis import strategies as st

from akechain.chain.module import Draft, MsgStrategies, StrategyContext
from akechain.chain.modules.verify.keeper import OPEN
from akechain.chain.modules.verify.msgs import MsgChallenge, MsgVerdict

OUTPUTS = (b"\x01" * 32, b"\x02" * 32, b"\x03" * 32)  # the market strategies' receipt outputs: a challenge may match
SUBMITTED = 1  # the market's lease status (verify never imports the market)
UNKNOWN_ID = 10**9


def st_challenger(ctx: StrategyContext, lease) -> st.SearchStrategy[bytes]:
    verifiers = list(ctx.query("market", "params").verifiers)
    return st.sampled_from(verifiers + [ctx.query("market", "job", lease.job_id).consumer])


def valid_challenge(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    leases = [x for x in ctx.query("market", "leases") if x.status == SUBMITTED]
    if not leases:
        return st.nothing()
    return st.sampled_from(leases).flatmap(lambda lease: st.builds(
        lambda s, h: Draft(s, MsgChallenge(lease.id, h)), st_challenger(ctx, lease), st.sampled_from(OUTPUTS)))


def invalid_challenge(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    return st.one_of(st.builds(lambda s: Draft(s, MsgChallenge(UNKNOWN_ID, OUTPUTS[0])), st.sampled_from(ctx.accounts)),
                     st.builds(lambda s: Draft(s, MsgChallenge(0, b"")), st.sampled_from(ctx.accounts)))


def valid_verdict(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    open_ = [c for c in ctx.query("verify", "challenges") if c.status == OPEN]
    if not open_:
        return st.nothing()
    return st.builds(lambda c, h: Draft(c.referee, MsgVerdict(c.id, h)), st.sampled_from(open_), st.sampled_from(OUTPUTS))


def invalid_verdict(ctx: StrategyContext) -> st.SearchStrategy[Draft]:
    challenges = ctx.query("verify", "challenges")
    wrong_referee = (st.builds(lambda c, s: Draft(s, MsgVerdict(c.id, OUTPUTS[0])), st.sampled_from(challenges),
                               st.sampled_from(ctx.accounts)).filter(lambda d: d.sender != next(
                                   c.referee for c in challenges if c.id == d.msg.challenge_id))
                     if challenges else st.nothing())
    return st.builds(lambda s: Draft(s, MsgVerdict(UNKNOWN_ID, OUTPUTS[0])), st.sampled_from(ctx.accounts)) | wrong_referee


STRATEGIES = {
    MsgChallenge: MsgStrategies(valid_challenge, invalid_challenge),
    MsgVerdict: MsgStrategies(valid_verdict, invalid_verdict),
}
