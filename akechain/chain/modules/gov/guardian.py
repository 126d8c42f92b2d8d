"""The guardian of progressive decentralisation: a k-of-n multisig named at genesis with listed
emergency powers (cancel a proposal before its end block executes it, pause new market jobs, pause
the bridge). It holds no power over funds or params; governance narrows its powers and finally
retires it for good. Other modules call `verify_not_paused` before the actions a pause stops."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.crypto import Address, format_address
from akechain.chain.modules.gov import keeper as k
from akechain.chain.modules.gov.errors import GuardianChangeError, GuardianPowerError, NotInVotingPeriodError, PausedError
from akechain.chain.modules.gov.handlers import require_authority
from akechain.chain.modules.gov.msgs import (
    MsgGuardianCancelProposal,
    MsgGuardianPause,
    MsgNarrowGuardian,
    MsgRetireGuardian,
)
from akechain.chain.modules.gov.records import (
    CANCEL_PROPOSAL,
    CANCELLED,
    DEPOSIT_PERIOD,
    GUARDIAN_KEY,
    VOTING_PERIOD,
    Guardian,
    get_deposit_queue_key,
    get_voting_queue_key,
)
from akechain.chain.store import BlockContext, Event, StoreView, make_event


def get_guardian(store: StoreView) -> Guardian | None:
    return store.get(GUARDIAN_KEY, Guardian)


def is_paused(store: StoreView, pause: str) -> bool:
    """Whether the guardian holds `pause` (PAUSE_MARKET_JOBS, PAUSE_BRIDGE) in force."""
    guardian = get_guardian(store)
    return guardian is not None and pause in guardian.paused


def verify_not_paused(store: StoreView, pause: str) -> None:
    """Raise PausedError while `pause` is in force (a tx the pause stops)."""
    if is_paused(store, pause):
        raise PausedError(f"the guardian has paused this ({pause})")


def require_power(store: StoreView, sender: Address, power: str) -> Guardian:
    guardian = get_guardian(store)
    # Verify the sender is the guardian and still holds the power
    if guardian is None or guardian.address != sender:
        raise GuardianPowerError(f"{format_address(sender)} is not the guardian")
    if power not in guardian.powers:
        raise GuardianPowerError(f"the guardian no longer has the power {power}"
                                 + (" (it is retired)" if guardian.retired else ""))
    return guardian


def process_guardian_cancel_proposal(store: StoreView, ctx: BlockContext, sender: Address,
                                     msg: MsgGuardianCancelProposal) -> list[Event]:
    require_power(store, sender, CANCEL_PROPOSAL)
    proposal = k.require_proposal(store, msg.proposal_id)
    # Verify the proposal has not been decided yet
    if proposal.status == DEPOSIT_PERIOD:
        store.delete(get_deposit_queue_key(proposal.deposit_end_ms, proposal.id))
    elif proposal.status == VOTING_PERIOD:
        store.delete(get_voting_queue_key(proposal.voting_end_ms, proposal.id))
    else:
        raise NotInVotingPeriodError(f"proposal {proposal.id} is already decided")
    refunded = k.settle_deposits(store, proposal.id, burn=False)
    k.set_proposal(store, replace(proposal, status=CANCELLED))
    return [make_event("guardian_cancel_proposal", proposal_id=proposal.id, refunded=refunded)]


def process_guardian_pause(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgGuardianPause) -> list[Event]:
    guardian = require_power(store, sender, msg.pause)
    paused = set(guardian.paused)
    if msg.paused:
        paused.add(msg.pause)
    else:
        paused.discard(msg.pause)
    store.set(GUARDIAN_KEY, replace(guardian, paused=tuple(sorted(paused))))
    return [make_event("guardian_pause", pause=msg.pause, paused=msg.paused)]


def process_narrow_guardian(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgNarrowGuardian) -> list[Event]:
    require_authority(sender, msg)
    guardian = get_guardian(store)
    # Verify the change only takes powers away
    if guardian is None or not set(msg.powers) <= set(guardian.powers):
        have = "none" if guardian is None else ", ".join(guardian.powers) or "none"
        raise GuardianChangeError(f"governance only narrows the guardian's powers (it has {have})")
    store.set(GUARDIAN_KEY, replace(guardian, powers=msg.powers,
                                    paused=tuple(p for p in guardian.paused if p in msg.powers)))
    return [make_event("narrow_guardian", powers=",".join(msg.powers))]


def process_retire_guardian(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgRetireGuardian) -> list[Event]:
    require_authority(sender, msg)
    guardian = get_guardian(store)
    if guardian is None or guardian.retired:
        raise GuardianChangeError("there is no active guardian to retire")
    store.set(GUARDIAN_KEY, replace(guardian, powers=(), paused=(), retired=True))
    return [make_event("retire_guardian", guardian=format_address(guardian.address))]


GUARDIAN_HANDLERS = {
    MsgGuardianCancelProposal: process_guardian_cancel_proposal,
    MsgGuardianPause: process_guardian_pause,
    MsgNarrowGuardian: process_narrow_guardian,
    MsgRetireGuardian: process_retire_guardian,
}
