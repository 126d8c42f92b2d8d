"""JSON views of gov records for the HTTP API.

`/proposals` (paged by id): each proposal as `proposal_json`: `id`, `proposer`, `messages` (each
`{"type": tag, ...fields}`, the form of a proposal file and of `--generate-only`), `title`,
`summary`, `expedited`, `status` (deposit_period, voting_period, passed, rejected, failed, vetoed,
dropped), `submit_time_ms`, `deposit_end_ms`, `voting_start_ms`, `voting_end_ms`, `total_deposit`,
`final_tally` ({`yes`, `abstain`, `no`, `no_with_veto`} in uake of voting power), `failure`.
`/proposals/{id}/votes`: [{`voter`, `options`: [{`option`, `weight_bps`}]}]. `/proposals/{id}/tally`:
the live tally while voting runs (`live` true, `bonded` stake now, `turnout_bps` of it), the final
one afterwards. `/treasury`: `balance`, `spent`, `grants_paid` and the continuous `grants`.
`/grants/{owner}`: the hot-key grants `owner` gave (`grants`: [{`grantee`, `msg_types`, `spend_limit`,
`period_ms`, `expiration_ms`, `period_start_ms`, `spent`}]) and the fee allowance of `owner` as a
grantee (`fee_allowance`: {`granter`, `remaining`} or null). `/guardian`: `guardian` (its multisig
account address, null if genesis named none), `powers` it still has, `paused` in force, `retired`.
`/kpi`: `period_blocks`, `kept_periods` and `periods`, oldest first, the open one last (`open` true,
`end_height` null, its figures live to the last committed block); each period's fields are those of
`akechain.chain.modules.kpi.queries.PeriodFigures` (documented in docs/governance.md).
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from akechain.chain.modules.authz.queries import query_grants
from akechain.chain.modules.feegrant.keeper import get_allowance
from akechain.chain.modules.gov import queries
from akechain.chain.modules.gov.guardian import get_guardian
from akechain.chain.modules.gov.records import OPTION_NAMES, STATUS_NAMES, Proposal, TallyResult, WeightedOption
from akechain.chain.modules.kpi.params import get_params as get_kpi_params
from akechain.chain.modules.kpi.queries import query_periods
from akechain.chain.store import StoreView
from akechain.node.rpc.market import Page, make_page, parse_id_cursor
from akechain.node.rpc.render import record_to_json


def tally_json(tally: TallyResult) -> dict[str, int]:
    return {"yes": tally.yes, "abstain": tally.abstain, "no": tally.no, "no_with_veto": tally.no_with_veto}


def options_json(options: tuple[WeightedOption, ...]) -> list[dict[str, Any]]:
    return [{"option": OPTION_NAMES[o.option], "weight_bps": o.weight_bps} for o in options]


def proposal_json(proposal: Proposal) -> dict[str, Any]:
    doc = record_to_json(proposal)
    doc.update(status=STATUS_NAMES[proposal.status], final_tally=tally_json(proposal.final_tally))
    return doc


def get_proposals(store: StoreView, cursor: str | None, limit: int) -> Page:
    after = parse_id_cursor(cursor)
    proposals = queries.query_proposals(store, 1 if after is None else after + 1, limit + 1)
    return make_page(proposals, limit, lambda p: str(p.id), proposal_json)


def get_proposal(store: StoreView, proposal_id: int) -> dict[str, Any] | None:
    proposal = queries.query_proposal(store, proposal_id)
    return None if proposal is None else proposal_json(proposal)


def get_votes(store: StoreView, proposal_id: int) -> list[dict[str, Any]] | None:
    if queries.query_proposal(store, proposal_id) is None:
        return None
    return [{"voter": record_to_json(v.voter, "voter"), "options": options_json(v.options)}
            for v in queries.query_votes(store, proposal_id)]


def get_tally(store: StoreView, proposal_id: int) -> dict[str, Any] | None:
    view = queries.query_tally(store, proposal_id)
    if view is None:
        return None
    turnout = view.tally.total * 10_000 // view.bonded if view.bonded else 0
    return {"proposal_id": proposal_id, "live": view.live, **tally_json(view.tally), "bonded": view.bonded,
            "voters": view.voters, "turnout_bps": turnout}


def get_treasury(store: StoreView) -> dict[str, Any]:
    treasury = queries.query_treasury(store)
    return {"balance": treasury.balance, "spent": treasury.spent, "grants_paid": treasury.grants_paid,
            "grants": [record_to_json(g) for g in treasury.grants]}


def get_grants(store: StoreView, owner: bytes) -> dict[str, Any]:
    allowance = get_allowance(store, owner)
    return {"owner": record_to_json(owner, "owner"),
            "grants": [{"grantee": record_to_json(v.grantee, "grantee"), **record_to_json(v.grant)}
                       for v in query_grants(store, owner)],
            "fee_allowance": None if allowance is None else record_to_json(allowance)}


def get_guardian_json(store: StoreView) -> dict[str, Any]:
    guardian = get_guardian(store)
    if guardian is None:
        return {"guardian": None, "powers": [], "paused": [], "retired": False}
    return {"guardian": record_to_json(guardian.address, "address"), "powers": list(guardian.powers),
            "paused": list(guardian.paused), "retired": guardian.retired}


def get_kpi_json(store: StoreView) -> dict[str, Any]:
    params = get_kpi_params(store)
    return {"period_blocks": params.period_blocks, "kept_periods": params.kept_periods,
            "periods": [{**asdict(figures), "open": figures.end_height is None} for figures in query_periods(store)]}
