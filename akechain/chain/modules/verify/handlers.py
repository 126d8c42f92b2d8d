"""Verify's message server: a challenge bonds a dispute over a receipt's output and draws a referee;
the referee's verdict (or the window's end with none) decides who keeps the bond and whether the
provider is paid or slashed. Leases are reached through `LeaseKeeper`, never the market's records."""
from __future__ import annotations

from akechain.chain.crypto import Address
from akechain.chain.modules.verify import keeper as verify
from akechain.chain.modules.verify.errors import (
    ChallengeExistsError,
    ChallengeNotAllowedError,
    ChallengeWindowClosedError,
    NoRefereeError,
    NotRefereeError,
)
from akechain.chain.modules.verify.expected import LeaseKeeper
from akechain.chain.modules.verify.msgs import MsgChallenge, MsgVerdict
from akechain.chain.store import BlockContext, Event, StoreView, make_event


def process_challenge(leases: LeaseKeeper, store: StoreView, ctx: BlockContext, sender: Address,
                      msg: MsgChallenge) -> list[Event]:
    params = leases.get_challenge_params(store)
    lease = leases.get_lease_terms(store, msg.lease_id)
    # Verify the lease can be challenged, by this sender, now
    if lease.redundant:
        raise ChallengeNotAllowedError("redundancy jobs are judged by their majority, not by challenges")
    if sender != lease.consumer and sender not in params.verifiers:
        raise ChallengeNotAllowedError("only the consumer or a verifier may challenge")
    if not lease.submitted or ctx.height > lease.settle_height:
        raise ChallengeWindowClosedError(f"lease {lease.lease_id} is not within its challenge window")
    if lease.challenge_id:
        raise ChallengeExistsError(f"lease {lease.lease_id} is already challenged (challenge {lease.challenge_id})")
    if msg.claimed_hash == lease.output_hash:
        raise ChallengeNotAllowedError("the claimed output equals the receipt's; nothing to challenge")
    # Verify a referee other than the parties exists
    candidates = [v for v in params.verifiers if v not in (lease.provider, sender, lease.consumer)]
    challenge_id = leases.peek_challenge_id(store)
    referee = verify.pick_verifier(verify.get_chain_seed(store), b"referee", challenge_id, candidates)
    if not referee:
        raise NoRefereeError("no verifier is available to referee this challenge")
    challenge = verify.Challenge(
        id=challenge_id, lease_id=lease.lease_id, challenger=sender, bond=params.bond,
        claimed_hash=msg.claimed_hash, referee=referee, opened_height=ctx.height,
        end_height=ctx.height + params.window_blocks, status=verify.OPEN, verdict_hash=b"",
    )
    verify.open_challenge(store, challenge)
    leases.attach_challenge(store, lease.lease_id, challenge.id, challenge.end_height)
    return [make_event("challenge_opened", challenge_id=challenge.id, lease_id=lease.lease_id, referee=referee.hex(),
                       end_height=challenge.end_height)]


def process_verdict(leases: LeaseKeeper, store: StoreView, ctx: BlockContext, sender: Address,
                    msg: MsgVerdict) -> list[Event]:
    challenge = verify.get_challenge(store, msg.challenge_id)
    # Verify the referee judges an open challenge in time
    if sender != challenge.referee:
        raise NotRefereeError(f"only the assigned referee may judge challenge {challenge.id}")
    if challenge.status != verify.OPEN or ctx.height > challenge.end_height:
        raise ChallengeWindowClosedError(f"challenge {challenge.id} is no longer open")
    return resolve_challenge(leases, store, ctx, challenge, msg.output_hash)


def resolve_challenge(leases: LeaseKeeper, store: StoreView, ctx: BlockContext, challenge: verify.Challenge,
                      verdict: bytes) -> list[Event]:
    """Referee output = receipt: false challenge, bond to the provider, lease settles verified.
    Referee output = claim: proven mismatch, bond back, slash. Otherwise (or no verdict): bond back."""
    lease = leases.get_lease_terms(store, challenge.lease_id)
    if challenge.end_height > ctx.height:
        leases.detach_challenge(store, challenge.id, challenge.end_height)
    if verdict and verdict == lease.output_hash:
        verify.close_challenge(store, challenge, verify.REJECTED, verdict, lease.provider)
        events = [make_event("challenge_rejected", challenge_id=challenge.id, bond=challenge.bond)]
        events.extend(leases.settle_verified(store, ctx, lease.lease_id))
    elif verdict and verdict == challenge.claimed_hash:
        verify.close_challenge(store, challenge, verify.UPHELD, verdict, challenge.challenger)
        events = [make_event("challenge_upheld", challenge_id=challenge.id)]
        events.extend(leases.slash_provider(store, ctx, lease.lease_id, challenge.challenger))
    else:
        verify.close_challenge(store, challenge, verify.INCONCLUSIVE, verdict, challenge.challenger)
        events = [make_event("challenge_inconclusive", challenge_id=challenge.id)]
        events.extend(leases.settle_unverified(store, ctx, lease.lease_id))
    return events
