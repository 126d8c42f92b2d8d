"""Begin block: count the previous block's signatures (x/slashing HandleValidatorSignature), then
punish the double signs the block carries (x/evidence HandleEquivocationEvidence).

Downtime work is O(1) per validator of the last commit: one signing info and one bitmap chunk read
and written. A validator missing more than the window allows, once a window has passed since it
started, is slashed `slash_fraction_downtime` of its stake, jailed for `downtime_jail_duration`,
and its window starts afresh. Evidence is verified again here: the validator must be known, in
the set at the evidence's height (the spans its signing info keeps) and the evidence younger than
the max age in blocks and in block time; refused evidence is an event, nothing else changes.
"""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.codec import AppError
from akechain.chain.crypto import format_address
from akechain.chain.modules.slashing import keeper as k
from akechain.chain.modules.slashing.errors import (
    EvidenceNotInSetError,
    EvidenceTooOldError,
    UnknownEvidenceValidatorError,
    ValidatorTombstonedError,
)
from akechain.chain.modules.slashing.params import Params, compute_max_missed, get_params
from akechain.chain.modules.slashing.records import JAILED_FOREVER_MS, MAX_SPANS, SetSpan, SigningInfo
from akechain.chain.modules.staking import slash as staking_slash
from akechain.chain.modules.staking.keeper import get_validator_by_consensus_address, require_validator
from akechain.chain.modules.staking.params import get_params as get_staking_params
from akechain.chain.store import BlockContext, Event, StoreView, make_event
from consensus.abci import Misbehavior, VoteInfo


def process_begin_block(store: StoreView, ctx: BlockContext) -> list[Event]:
    if not ctx.last_commit and not ctx.misbehavior:
        return []
    params = get_params(store)
    events: list[Event] = []
    for vote in ctx.last_commit:
        events.extend(process_validator_signature(store, ctx, vote, params))
    for evidence in ctx.misbehavior:
        events.extend(process_misbehavior(store, ctx, evidence, params))
    return events


def add_span(spans: tuple[SetSpan, ...], height: int, oldest: int) -> tuple[tuple[SetSpan, ...], bool]:
    """Spans with `height` recorded (extending the newest when contiguous), older than `oldest` dropped,
    at most MAX_SPANS kept; and whether `height` began a new span (the validator (re)joined)."""
    joined = not spans or spans[-1].last != height - 1
    if joined:
        spans = (*spans, SetSpan(height, height))
    else:
        spans = (*spans[:-1], SetSpan(spans[-1].first, height))
    kept = tuple(span for span in spans if span.last >= oldest)
    return kept[-MAX_SPANS:], joined


def process_validator_signature(store: StoreView, ctx: BlockContext, vote: VoteInfo, params: Params) -> list[Event]:
    address = vote.validator_address
    validator = get_validator_by_consensus_address(store, address)
    if validator is None:
        return []  # cannot happen while staking keeps every validator of a recent set
    info = k.get_signing_info(store, address)
    if info is None or info.operator != validator.operator:  # new, or a removed validator's key taken anew
        if info is not None:
            k.reset_window(store, address, info, info.window, ctx.height)
        info = SigningInfo(validator.operator, ctx.height, params.signed_blocks_window, 0, 0, 0, False, ())
    spans, joined = add_span(info.spans, ctx.height - 1, ctx.height - params.max_evidence_age_blocks)
    info = replace(info, spans=spans)
    if joined:
        info = replace(info, start_height=ctx.height)
    if info.window != params.signed_blocks_window:
        info = k.reset_window(store, address, info, params.signed_blocks_window, ctx.height)
    index = info.index_offset % info.window
    missed = not vote.signed
    if missed != k.is_missed(store, address, index):
        k.set_missed(store, address, index, missed)
        info = replace(info, missed_blocks_counter=info.missed_blocks_counter + (1 if missed else -1))
    info = replace(info, index_offset=info.index_offset + 1)
    events = []
    if missed:
        events.append(make_event("liveness", validator=format_address(info.operator),
                                 missed_blocks=info.missed_blocks_counter, height=ctx.height - 1))
    if ctx.height > info.start_height + info.window and info.missed_blocks_counter > compute_max_missed(params):
        if not validator.jailed:
            burned = staking_slash.process_slash(store, ctx, validator.operator, ctx.height, validator.tokens,
                                                 params.slash_fraction_downtime)
            staking_slash.jail(store, require_validator(store, validator.operator))
            info = replace(k.reset_window(store, address, info, info.window, ctx.height),
                           jailed_until_ms=ctx.time_ms + params.downtime_jail_duration)
            events.append(make_event("slash", validator=format_address(validator.operator), reason="missing_signature",
                                     burned=burned, jailed_until_ms=info.jailed_until_ms))
    k.set_signing_info(store, address, info)
    return events


def get_max_evidence_age_ms(store: StoreView, params: Params) -> int:
    """Never beyond the unbonding time: older stake has left and could not be slashed fairly."""
    return min(params.max_evidence_age_ms, get_staking_params(store).unbonding_time_ms)


def verify_misbehavior(store: StoreView, ctx: BlockContext, evidence: Misbehavior, params: Params) -> SigningInfo:
    """The signing info of the validator the evidence punishes; raises why the evidence is refused."""
    address = evidence.validator_address
    # Verify the evidence is young enough, in blocks and in block time
    age_blocks, age_ms = ctx.height - evidence.height, ctx.time_ms - evidence.time_ms
    if age_blocks > params.max_evidence_age_blocks or age_ms > get_max_evidence_age_ms(store, params):
        raise EvidenceTooOldError(f"evidence from height {evidence.height} is {age_blocks} blocks and {age_ms} ms old")
    # Verify the validator is known, was in the set at that height and is not already tombstoned
    validator = get_validator_by_consensus_address(store, address)
    if validator is None:
        raise UnknownEvidenceValidatorError(f"no validator has consensus address {address.hex()}")
    info = k.get_signing_info(store, address)
    if info is None or info.operator != validator.operator or not any(span.first <= evidence.height <= span.last for span in info.spans):
        raise EvidenceNotInSetError(f"validator {address.hex()} was not in the set at height {evidence.height}")
    if info.tombstoned:
        raise ValidatorTombstonedError(f"validator {address.hex()} is already tombstoned")
    return info


def process_misbehavior(store: StoreView, ctx: BlockContext, evidence: Misbehavior, params: Params) -> list[Event]:
    try:
        info = verify_misbehavior(store, ctx, evidence, params)
    except AppError as exc:
        return [make_event("evidence_refused", validator=evidence.validator_address.hex(), height=evidence.height,
                           code=exc.code, reason=str(exc))]
    basis = evidence.power * get_staking_params(store).power_reduction
    burned = staking_slash.process_slash(store, ctx, info.operator, evidence.height, basis,
                                         params.slash_fraction_double_sign)
    staking_slash.tombstone(store, require_validator(store, info.operator))
    k.set_signing_info(store, evidence.validator_address,
                       replace(info, tombstoned=True, jailed_until_ms=JAILED_FOREVER_MS))
    return [make_event("slash", validator=format_address(info.operator), reason="double_sign",
                       infraction_height=evidence.height, burned=burned)]
