"""`akechain tx gov …` and `akechain query gov …`: submit proposals from a file, deposit, vote (one
option or a weighted split), lend one's voting power to another account and take it back, and read
proposals, votes, the live tally and the treasury. ADDRESS arguments are bech32 "ake1…" addresses.

A proposal file is JSON: {"messages": [...], "deposit": uake, "title": "...", "summary": "...",
"expedited": false}; each message in the form `--generate-only` prints a tx's `msgs`, e.g.
{"type": "gov/update_params", "module": "market", "changes": "{\\"take_rate_bps\\": 300}"} or
{"type": "gov/treasury_spend", "recipient": "ake1…", "amount": 5000000}.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from akechain.cli.market import ADDRESS, msg_command, register_lookup

OPTIONS = {"yes": 1, "abstain": 2, "no": 3, "no_with_veto": 4}
PROPOSAL_FIELDS = {"messages", "deposit", "title", "summary", "expedited"}


class ProposalFileError(ValueError):
    """A proposal file that is not JSON of the documented shape."""


def read_proposal_file(text: str) -> Any:
    """The MsgSubmitProposal a proposal file describes (its messages checked as they will be on chain)."""
    from akechain.chain.codec import Msg
    from akechain.chain.modules.gov.msgs import MsgSubmitProposal
    from akechain.node.rpc.render import RecordJsonError, record_from_json

    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ProposalFileError(f"proposal file is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or set(doc) - PROPOSAL_FIELDS or not {"messages", "deposit", "title"} <= set(doc):
        raise ProposalFileError(f"a proposal file is a JSON object of {sorted(PROPOSAL_FIELDS)} "
                                "(messages, deposit and title required)")
    if not isinstance(doc["messages"], list):
        raise ProposalFileError("proposal file: messages must be a list")
    try:
        messages = tuple(record_from_json(Msg, m, where=f"messages[{i}]") for i, m in enumerate(doc["messages"]))
        msg = MsgSubmitProposal(messages, record_from_json(int, doc["deposit"], where="deposit"),
                                record_from_json(str, doc["title"], where="title"),
                                record_from_json(str, doc.get("summary", ""), where="summary"),
                                record_from_json(bool, doc.get("expedited", False), where="expedited"))
    except RecordJsonError as exc:
        raise ProposalFileError(f"proposal file: {exc}") from exc
    msg.validate_basic()
    return msg


def parse_weighted_options(text: str) -> tuple:
    """"yes=6000,no=4000" (basis points adding up to 10000) as weighted options."""
    from akechain.chain.modules.gov.records import WeightedOption

    options = []
    for item in text.split(","):
        name, _, weight = item.partition("=")
        if name.strip() not in OPTIONS or not weight.strip().isdigit():
            raise click.BadParameter(f"{item!r} must look like OPTION=BPS, OPTION one of {', '.join(OPTIONS)}")
        options.append(WeightedOption(OPTIONS[name.strip()], int(weight)))
    return tuple(options)


@click.group("gov")
def gov_tx() -> None:
    """Governance transactions (each signed with --key)."""


@gov_tx.command("submit-proposal")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@msg_command
def submit_proposal(file: Path) -> Any:
    """Submit the proposal FILE describes, with its initial deposit (see `akechain tx gov --help`)."""
    from akechain.chain.codec import InvalidMsgError

    try:
        return read_proposal_file(file.read_text())
    except (ProposalFileError, InvalidMsgError) as exc:
        raise click.BadParameter(str(exc), param_hint="FILE") from None


@gov_tx.command("deposit")
@click.argument("proposal_id", type=click.IntRange(1))
@click.argument("amount", type=click.IntRange(1, 2**63 - 1))
@msg_command
def deposit(proposal_id: int, amount: int) -> Any:
    """Add AMOUNT uake to PROPOSAL_ID's deposits (refunded unless it is vetoed, or never reaches voting and the params burn)."""
    from akechain.chain.modules.gov.msgs import MsgDeposit

    return MsgDeposit(proposal_id, amount)


@gov_tx.command("vote")
@click.argument("proposal_id", type=click.IntRange(1))
@click.argument("option", type=click.Choice(list(OPTIONS)))
@msg_command
def vote(proposal_id: int, option: str) -> Any:
    """Vote OPTION on PROPOSAL_ID (a later vote replaces it until the voting period ends)."""
    from akechain.chain.modules.gov.msgs import MsgVote

    return MsgVote(proposal_id, OPTIONS[option])


@gov_tx.command("weighted-vote")
@click.argument("proposal_id", type=click.IntRange(1))
@click.argument("options")
@msg_command
def weighted_vote(proposal_id: int, options: str) -> Any:
    """Split the --key account's power on PROPOSAL_ID: OPTIONS like yes=6000,no=4000 (bps adding up to 10000)."""
    from akechain.chain.modules.gov.msgs import MsgWeightedVote

    return MsgWeightedVote(proposal_id, parse_weighted_options(options))


@gov_tx.command("delegate-votes")
@click.argument("delegate", type=ADDRESS)
@msg_command
def delegate_votes(delegate: bytes) -> Any:
    """Let DELEGATE's votes carry the --key account's power wherever the account does not vote itself."""
    from akechain.chain.modules.gov.msgs import MsgDelegateVotes

    return MsgDelegateVotes(delegate)


@gov_tx.command("undelegate-votes")
@msg_command
def undelegate_votes() -> Any:
    """Take the --key account's voting power back from its delegate."""
    from akechain.chain.modules.gov.msgs import MsgUndelegateVotes

    return MsgUndelegateVotes()


@click.group("gov")
def gov_query() -> None:
    """Proposals, votes, the live tally, the treasury and the gov params."""


LOOKUPS = (
    ("proposals", None, "proposals", "Every proposal (status, messages, deposits, final tally)."),
    ("proposal", ("proposal_id", click.IntRange(1)), "proposal", "One proposal, by id."),
    ("votes", ("proposal_id", click.IntRange(1)), "proposal_votes", "The votes cast on a proposal."),
    ("tally", ("proposal_id", click.IntRange(1)), "proposal_tally",
     "A proposal's tally: live while voting runs (with the bonded stake and turnout), final afterwards."),
    ("treasury", None, "treasury", "The treasury's balance, what proposals spent, and its continuous grants."),
    ("guardian", None, "guardian", "Who the guardian is, the powers it still has, its pauses in force, whether it is retired."),
    ("params", None, "gov_params", "The gov params."),
)

for spec in LOOKUPS:
    register_lookup(gov_query, *spec)


@click.group("upgrade")
def upgrade_query() -> None:
    """Software upgrades: the pending plan, the applied ones, the modules' consensus versions."""


for spec in (("plan", None, "upgrade_plan", "The pending upgrade plan (name, height, info), or null."),
             ("applied", None, "upgrade_applied", "The plans applied, with the height of each."),
             ("versions", None, "upgrade_versions", "Each module's consensus version in state.")):
    register_lookup(upgrade_query, *spec)
