"""Gov messages. Holders submit proposals, deposit, vote (one option or a weighted split) and lend
their voting power to another account; the messages a proposal carries (param changes, treasury
spends, continuous grants and their cancellation) are sent only by the gov authority, which is to
say by a passed proposal, never by an account."""
from __future__ import annotations

import json
from dataclasses import dataclass

from akechain.chain.codec import InvalidMsgError, Msg, check_positive_amount, check_uint63
from akechain.chain.modules.bank.msgs import check_address
from akechain.chain.modules.gov.errors import ProposalMsgError
from akechain.chain.modules.upgrade.msgs import MsgCancelUpgrade, MsgSoftwareUpgrade
from akechain.chain.modules.gov.records import GUARDIAN_POWERS, OPTION_NAMES, PAUSES, WeightedOption
from state.codec import tagged

BPS = 10_000
MAX_TITLE = 140
MAX_CHANGES = 4096  # bytes of a param change's JSON
MAX_MODULE_NAME = 32


def check_text(value: object, what: str, limit: int) -> None:
    if type(value) is not str or len(value) > limit:
        raise InvalidMsgError(f"{what} must be a string of at most {limit} characters")


def check_proposal_id(value: object, what: str) -> None:
    check_uint63(value, what)
    if value == 0:
        raise InvalidMsgError(f"{what} must be a proposal id (from 1)")


def check_options(options: object, what: str) -> None:
    """Distinct known options with positive weights adding up to exactly 10_000 bps."""
    if type(options) is not tuple or not 1 <= len(options) <= len(OPTION_NAMES):
        raise InvalidMsgError(f"{what} must hold 1 to {len(OPTION_NAMES)} options")
    seen = set()
    for i, item in enumerate(options):
        if type(item) is not WeightedOption or item.option not in OPTION_NAMES or item.option in seen:
            raise InvalidMsgError(f"{what}[{i}] must be a distinct option of {sorted(OPTION_NAMES.values())}")
        check_uint63(item.weight_bps, f"{what}[{i}].weight_bps")
        if item.weight_bps == 0:
            raise InvalidMsgError(f"{what}[{i}].weight_bps must be positive")
        seen.add(item.option)
    if sum(item.weight_bps for item in options) != BPS:
        raise InvalidMsgError(f"{what} weights must add up to {BPS} bps")


# -- what a proposal carries (sent by the gov authority only) ---------------------------------------


@tagged(Msg, "gov/update_params")
@dataclass(frozen=True, slots=True)
class MsgUpdateParams(Msg):
    module: str
    changes: str  # a JSON object: param name -> new value, in the genesis form (addresses in bech32)

    def validate_basic(self) -> None:
        check_text(self.module, "update_params.module", MAX_MODULE_NAME)
        check_text(self.changes, "update_params.changes", MAX_CHANGES)
        try:
            changes = json.loads(self.changes)
        except ValueError as exc:
            raise InvalidMsgError(f"update_params.changes is not JSON: {exc}") from exc
        if not isinstance(changes, dict) or not changes:
            raise InvalidMsgError("update_params.changes must be a non-empty JSON object of param: value")


@tagged(Msg, "gov/treasury_spend")
@dataclass(frozen=True, slots=True)
class MsgTreasurySpend(Msg):
    recipient: bytes
    amount: int

    def validate_basic(self) -> None:
        check_address(self.recipient, "treasury_spend.recipient")
        check_positive_amount(self.amount, "treasury_spend.amount")


@tagged(Msg, "gov/create_grant")
@dataclass(frozen=True, slots=True)
class MsgCreateGrant(Msg):
    """Pay `amount_per_block` from the treasury to `recipient` every block from the next one through `end_height`."""

    recipient: bytes
    amount_per_block: int
    end_height: int

    def validate_basic(self) -> None:
        check_address(self.recipient, "create_grant.recipient")
        check_positive_amount(self.amount_per_block, "create_grant.amount_per_block")
        check_positive_amount(self.end_height, "create_grant.end_height")


@tagged(Msg, "gov/cancel_grant")
@dataclass(frozen=True, slots=True)
class MsgCancelGrant(Msg):
    grant_id: int

    def validate_basic(self) -> None:
        check_proposal_id(self.grant_id, "cancel_grant.grant_id")


def check_powers(value: object, what: str, allowed: tuple[str, ...]) -> None:
    if type(value) is not tuple or any(p not in allowed for p in value) or list(value) != sorted(set(value)):
        raise InvalidMsgError(f"{what} must be a sorted, duplicate-free list of {', '.join(allowed)}")


@tagged(Msg, "gov/narrow_guardian")
@dataclass(frozen=True, slots=True)
class MsgNarrowGuardian(Msg):
    """Leave the guardian only `powers` (a subset of what it has; pauses under a removed power end)."""

    powers: tuple[str, ...]

    def validate_basic(self) -> None:
        check_powers(self.powers, "narrow_guardian.powers", GUARDIAN_POWERS)


@tagged(Msg, "gov/retire_guardian")
@dataclass(frozen=True, slots=True)
class MsgRetireGuardian(Msg):
    """Retire the guardian for good: every power and pause ends; no fields."""

    def validate_basic(self) -> None:
        return None


PROPOSAL_MSGS: tuple[type[Msg], ...] = (MsgUpdateParams, MsgTreasurySpend, MsgCreateGrant, MsgCancelGrant,
                                        MsgNarrowGuardian, MsgRetireGuardian, MsgSoftwareUpgrade, MsgCancelUpgrade)


# -- holders' messages --------------------------------------------------------------------------------


@tagged(Msg, "gov/submit_proposal")
@dataclass(frozen=True, slots=True)
class MsgSubmitProposal(Msg):
    messages: tuple[Msg, ...]  # none: a text proposal
    initial_deposit: int
    title: str
    summary: str
    expedited: bool

    def validate_basic(self) -> None:
        if type(self.messages) is not tuple:
            raise InvalidMsgError("submit_proposal.messages must be a list")
        for i, msg in enumerate(self.messages):
            # Verify each message is one governance executes (never a holder's message or a nested proposal)
            if type(msg) not in PROPOSAL_MSGS:
                names = ", ".join(m.TAG for m in PROPOSAL_MSGS)  # type: ignore[attr-defined]
                raise ProposalMsgError(f"submit_proposal.messages[{i}] ({type(msg).__name__}) is not a message "
                                       f"governance executes; those are {names}")
            msg.validate_basic()
        check_uint63(self.initial_deposit, "submit_proposal.initial_deposit")
        check_text(self.title, "submit_proposal.title", MAX_TITLE)
        if not self.title:
            raise InvalidMsgError("submit_proposal.title must not be empty")
        check_text(self.summary, "submit_proposal.summary", MAX_CHANGES)
        if type(self.expedited) is not bool:
            raise InvalidMsgError("submit_proposal.expedited must be a boolean")


@tagged(Msg, "gov/deposit")
@dataclass(frozen=True, slots=True)
class MsgDeposit(Msg):
    proposal_id: int
    amount: int

    def validate_basic(self) -> None:
        check_proposal_id(self.proposal_id, "deposit.proposal_id")
        check_positive_amount(self.amount, "deposit.amount")


@tagged(Msg, "gov/vote")
@dataclass(frozen=True, slots=True)
class MsgVote(Msg):
    proposal_id: int
    option: int  # YES 1, ABSTAIN 2, NO 3, NO_WITH_VETO 4

    def validate_basic(self) -> None:
        check_proposal_id(self.proposal_id, "vote.proposal_id")
        if type(self.option) is not int or self.option not in OPTION_NAMES:
            raise InvalidMsgError(f"vote.option must be one of {OPTION_NAMES}")


@tagged(Msg, "gov/weighted_vote")
@dataclass(frozen=True, slots=True)
class MsgWeightedVote(Msg):
    proposal_id: int
    options: tuple[WeightedOption, ...]

    def validate_basic(self) -> None:
        check_proposal_id(self.proposal_id, "weighted_vote.proposal_id")
        check_options(self.options, "weighted_vote.options")


@tagged(Msg, "gov/delegate_votes")
@dataclass(frozen=True, slots=True)
class MsgDelegateVotes(Msg):
    """Let `delegate`'s votes carry the sender's power on every proposal the sender does not vote on itself."""

    delegate: bytes

    def validate_basic(self) -> None:
        check_address(self.delegate, "delegate_votes.delegate")


@tagged(Msg, "gov/undelegate_votes")
@dataclass(frozen=True, slots=True)
class MsgUndelegateVotes(Msg):
    """Take the sender's voting power back from its delegate; no fields."""

    def validate_basic(self) -> None:
        return None



# -- the guardian's (sent by its multisig account) ------------------------------------------------------


@tagged(Msg, "gov/guardian_cancel_proposal")
@dataclass(frozen=True, slots=True)
class MsgGuardianCancelProposal(Msg):
    """Stop a proposal before its end block executes it; its deposits are refunded."""

    proposal_id: int

    def validate_basic(self) -> None:
        check_proposal_id(self.proposal_id, "guardian_cancel_proposal.proposal_id")


@tagged(Msg, "gov/guardian_pause")
@dataclass(frozen=True, slots=True)
class MsgGuardianPause(Msg):
    pause: str  # pause_market_jobs or pause_bridge
    paused: bool  # False lifts it

    def validate_basic(self) -> None:
        if self.pause not in PAUSES:
            raise InvalidMsgError(f"guardian_pause.pause must be one of {', '.join(PAUSES)}")
        if type(self.paused) is not bool:
            raise InvalidMsgError("guardian_pause.paused must be a boolean")
