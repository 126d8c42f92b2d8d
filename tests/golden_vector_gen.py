"""Writes tests/golden/chain.json: a fixed genesis, a scripted list of blocks of bank and market
txs (passing and failing), and the app hash and result codes after each height.

The file is the contract `test_golden_vector.py` holds the app to: a refactor that changes no
behaviour replays it to the same hashes. Regenerate only for a deliberate state-machine change:
    .venv/bin/python tests/golden_vector_gen.py
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from akechain.chain.genesis import build_genesis  # noqa: E402
from consensus.abci import FinalizeResult  # noqa: E402
from akechain.chain.modules.bank.msgs import MsgMultiSend, MsgSend, Output  # noqa: E402
from akechain.chain.modules.market import queries as q  # noqa: E402
from akechain.chain.modules.verify import queries as vq  # noqa: E402
from akechain.chain.modules.market.msgs import (  # noqa: E402
    POLICY_REDUNDANCY,
    POLICY_SPOT_CHECK,
    MsgBid,
    MsgCancelJob,
    MsgDepositCollateral,
    MsgRegisterProvider,
    MsgTopUp,
    MsgWithdrawBid,
    MsgWithdrawCollateral,
    MsgWithdrawEarnings,
    Policy,
)
from akechain.chain.modules.verify.msgs import MsgChallenge, MsgVerdict  # noqa: E402
from akechain.testing import SimChain  # noqa: E402
from test_app_support import AUTH_PARAMS, CHAIN_ID  # noqa: E402
from test_market_support import (  # noqa: E402
    ADDRESSES,
    CONSUMER_KEYS,
    CONSUMERS,
    GENESIS_AMOUNT,
    HARDWARE,
    MARKET_PARAMS,
    PROVIDER_KEYS,
    PROVIDERS,
    SPEC,
    VERIFIER_KEYS,
    VERIFIERS,
    Driver,
    job_msg,
    submit_receipts,
)

PATH = Path(__file__).resolve().parent / "golden" / "chain.json"
GOOD, BAD = b"\x01" * 32, b"\x02" * 32


def provider_key(address: bytes):
    return PROVIDER_KEYS[PROVIDERS.index(address)]


def last_job_id(d: Driver) -> int:
    return max(j.id for j in q.query_jobs(d.app.get_state_view()[0], open_only=False))


def script(d: Driver) -> None:
    # Bank: sends, a multi-send, an overspend and a stale nonce (both fail)
    d.tx(CONSUMER_KEYS[0], MsgSend(CONSUMERS[1], 12_345))
    d.tx(CONSUMER_KEYS[1], MsgMultiSend((Output(CONSUMERS[2], 1), Output(VERIFIERS[0], 2))))
    d.tx(CONSUMER_KEYS[2], MsgSend(CONSUMERS[0], GENESIS_AMOUNT * 2))
    d.block()
    d.nonces[CONSUMERS[0]] -= 1
    d.tx(CONSUMER_KEYS[0], MsgSend(CONSUMERS[1], 1))  # the Driver re-advances the nonce
    d.block()
    # Providers register; one tops up, one withdraws too much (fails)
    for i, key in enumerate(PROVIDER_KEYS[:3]):
        d.tx(key, MsgRegisterProvider(HARDWARE, "eu", ("tier=a",), f"https://p{i}.example", 10_000_000))
    d.block()
    d.tx(PROVIDER_KEYS[0], MsgDepositCollateral(1_000))
    d.tx(PROVIDER_KEYS[1], MsgWithdrawCollateral(10**12))
    d.block()
    # A plain job: three bids, one withdrawn; the winner runs, withdraws, settles
    d.tx(CONSUMER_KEYS[0], job_msg(budget=1_030, max_price=100, duration=8, deadline=30))
    d.block()
    job = last_job_id(d)
    for key, price in zip(PROVIDER_KEYS[:3], (90, 60, 70)):
        d.tx(key, MsgBid(job, price, 100, SPEC))
    d.tx(PROVIDER_KEYS[0], MsgBid(10**6, 50, 100, SPEC))  # no such job: fails
    d.block()
    d.tx(PROVIDER_KEYS[2], MsgWithdrawBid(job))
    d.block()
    d.advance_to(d.job(job).bid_close_height)
    [lease] = q.query_leases(d.app.get_state_view()[0], job_id=job)
    d.advance_to(lease.opened_height + 4)
    d.tx(provider_key(lease.provider), MsgWithdrawEarnings(lease.id))
    d.tx(CONSUMER_KEYS[1], MsgTopUp(job, 500))
    d.block()
    d.advance_to(lease.opened_height + 8)
    submit_receipts(d, [(provider_key(lease.provider), lease.id, GOOD)])
    d.advance_to(d.height + MARKET_PARAMS.challenge_window_blocks + 1)
    # A spot-checked job: the consumer challenges, the referee rejects the challenge
    d.tx(CONSUMER_KEYS[1], job_msg(budget=100_000, max_price=100, duration=5, deadline=40,
                                   policy=Policy(kind=POLICY_SPOT_CHECK, spot_check_bps=5_000, k=1, n=1)))
    d.block()
    job = last_job_id(d)
    d.tx(PROVIDER_KEYS[1], MsgBid(job, 100, 100, SPEC))
    d.block()
    d.advance_to(d.job(job).bid_close_height)
    [lease] = q.query_leases(d.app.get_state_view()[0], job_id=job)
    d.advance_to(lease.opened_height + 5)
    submit_receipts(d, [(provider_key(lease.provider), lease.id, GOOD)])
    d.tx(CONSUMER_KEYS[1], MsgChallenge(lease.id, BAD))
    d.block()
    view = d.app.get_state_view()[0]
    challenge = vq.query_challenge(view, q.query_lease(view, lease.id).challenge_id)
    d.tx(VERIFIER_KEYS[VERIFIERS.index(challenge.referee)], MsgVerdict(challenge.id, GOOD))
    d.block()
    # A 2-of-3 redundancy job with one dissenter, slashed
    d.tx(CONSUMER_KEYS[2], job_msg(budget=100_000, duration=5, deadline=30,
                                   policy=Policy(kind=POLICY_REDUNDANCY, spot_check_bps=0, k=2, n=3)))
    d.block()
    job = last_job_id(d)
    for key, price in zip(PROVIDER_KEYS[:3], (50, 60, 70)):
        d.tx(key, MsgBid(job, price, 100, SPEC))
    d.block()
    d.advance_to(d.job(job).bid_close_height)
    leases = q.query_leases(d.app.get_state_view()[0], job_id=job)
    d.advance_to(leases[0].opened_height + 5)
    submit_receipts(d, [(provider_key(lease.provider), lease.id, output) for lease, output in zip(leases, (GOOD, GOOD, BAD))])
    # A job cancelled while bidding, and one left to run out of funds past its grace
    d.tx(CONSUMER_KEYS[0], job_msg(budget=5_000, window=3))
    d.block()
    d.tx(CONSUMER_KEYS[0], MsgCancelJob(last_job_id(d)))
    d.tx(CONSUMER_KEYS[2], job_msg(budget=300, max_price=100, duration=20, deadline=40))
    d.block()
    job = last_job_id(d)
    d.tx(PROVIDER_KEYS[0], MsgBid(job, 100, 100, SPEC))
    d.block()
    d.advance_to(d.height + 12)


def compute_events_digest(result: FinalizeResult) -> str:
    """sha256 over every tx's and the block's events, so a change in what clients see shows too."""
    events = [list(r.events) for r in result.tx_results] + [list(result.events)]
    return hashlib.sha256(json.dumps(events).encode()).hexdigest()


def main() -> None:
    genesis = build_genesis(CHAIN_ID, (), {a: GENESIS_AMOUNT for a in ADDRESSES},
                            AUTH_PARAMS, market_params=MARKET_PARAMS)
    chain = SimChain(genesis["app_state"], CHAIN_ID)
    genesis_hash = chain.app_hashes[0]
    d = Driver(chain)
    results: list[dict] = []
    run_block = d.block

    def recording_block(check: bool = True):
        result = run_block(check)
        results.append({"codes": [r.code for r in result.tx_results], "events": compute_events_digest(result),
                        "app_hash": d.app.info().last_app_hash.hex()})
        return result

    d.block = recording_block  # type: ignore[method-assign]
    script(d)
    blocks = [
        {"height": b.height, "time_ms": b.time_ms, "last_commit_hash": b.last_commit_hash.hex(), "seed": b.seed.hex(),
         "txs": [tx.hex() for tx in b.txs], **r}
        for b, r in zip(d.history, results)
    ]
    codes = [c for r in results for c in r["codes"]]
    assert 0 in codes and any(codes), "the vector must hold passing and failing txs"
    document = {"chain_id": CHAIN_ID, "app_state": genesis["app_state"], "genesis_app_hash": genesis_hash.hex(),
                "blocks": blocks}
    PATH.parent.mkdir(exist_ok=True)
    PATH.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {PATH}: {len(blocks)} blocks, {len(codes)} txs ({codes.count(0)} ok)")


if __name__ == "__main__":
    main()
