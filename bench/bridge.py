"""Transfers per minute through the whole bridge loop in both directions, and the time from lock to
mint (p50/p99): the chain is a 4-validator SimChain in this process (blocks as fast as they are
made), the EVM a real local anvil (npm @foundry-rs/anvil); four orchestrators sign and claim, one
relays.

    .venv/bin/python bench/bridge.py [--transfers 200] [--per-block 10]

Out: `--per-block` send-to-evm txs join each block until `--transfers` are locked; a transfer is
minted when the contract's last batch nonce reaches its batch. Back: as many `sendToAke` burns,
`--per-block` per round; one is unlocked when the chain's executed event nonce reaches it.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from web3 import Web3  # noqa: E402

from akechain.bridge.anvil import start_anvil  # noqa: E402
from akechain.bridge.orchestrator import Orchestrator, deploy_contract, open_contract  # noqa: E402
from akechain.chain.crypto import format_address  # noqa: E402
from akechain.chain.modules.bridge.msgs import MsgSendToEvm  # noqa: E402
from akechain.node.rpc.bridge import get_view  # noqa: E402
from bridge_chain_support import BRIDGE_PARAMS, EVM_ADDRESSES, EVM_KEYS, USER, SimPort, make_registered_driver  # noqa: E402
from staking_support import ADDRESSES, CHAIN_ID  # noqa: E402
from tests.node_process import free_port, wait_until  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=200)
    parser.add_argument("--per-block", type=int, default=10)
    args = parser.parse_args()
    port = free_port()
    anvil = start_anvil(port)
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
        wait_until(w3.is_connected, 20, "anvil")
        for address in EVM_ADDRESSES[:4]:
            w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
                {"from": w3.eth.accounts[0], "to": Web3.to_checksum_address(address), "value": 10**19}))
        d = make_registered_driver(replace(BRIDGE_PARAMS, signed_window_blocks=100_000, max_batch_size=100,
                                           max_queued_transfers=100_000, max_claims_ahead=100_000))
        store = d.chain.app.get_state_view
        valset0 = next(v for v in get_view(store()[0], "valsets") if v["nonce"] == 0)
        contract_address, block = deploy_contract(w3, EVM_KEYS[0], CHAIN_ID, valset0)
        contract = open_contract(w3, contract_address)
        orchestrators = [Orchestrator(SimPort(d, i), w3, contract, EVM_KEYS[i], from_block=block, relay=i == 0)
                         for i in range(4)]
        holder = w3.eth.accounts[1]

        def round_trip() -> None:
            for orchestrator in orchestrators:
                orchestrator.step()
            d.block()

        locked_at: dict[int, float] = {}
        minted_at: dict[int, float] = {}
        start = time.monotonic()
        while len(minted_at) < args.transfers:
            for _ in range(min(args.per_block, args.transfers - len(locked_at))):
                d.tx(USER, MsgSendToEvm(Web3.to_bytes(hexstr=holder), 1_000))
            round_trip()
            now = time.monotonic()
            last = contract.functions.stateLastBatchNonce().call()
            for transfer in get_view(store()[0], "transfers"):
                locked_at.setdefault(transfer["id"], now)
                if transfer["batch_nonce"] and transfer["batch_nonce"] <= last:
                    minted_at.setdefault(transfer["id"], now)
        out_seconds = time.monotonic() - start

        recipient = format_address(ADDRESSES[USER])
        burned_at: list[float] = []
        unlocked_at: dict[int, float] = {}
        first_nonce = contract.functions.stateLastEventNonce().call() + 1
        start = time.monotonic()
        while len(unlocked_at) < args.transfers:
            for _ in range(min(args.per_block, args.transfers - len(burned_at))):
                contract.functions.sendToAke(1_000, recipient).transact({"from": holder, "gas": 200_000})
                burned_at.append(time.monotonic())
            round_trip()
            observed = d.chain.query("bridge", "state").last_observed_event_nonce
            for index in range(len(burned_at)):
                if first_nonce + index <= observed:
                    unlocked_at.setdefault(index, time.monotonic())
        back_seconds = time.monotonic() - start
    finally:
        anvil.terminate()
        anvil.wait(10)
    to_mint = [minted_at[i] - locked_at[i] for i in minted_at]
    to_unlock = [unlocked_at[i] - burned_at[i] for i in unlocked_at]
    print(f"AKE -> ERC-20: {args.transfers} transfers in {out_seconds:.1f} s = {args.transfers / out_seconds * 60:.0f}/min; "
          f"lock to mint p50 {statistics.median(to_mint):.2f} s, p99 {percentile(to_mint, 0.99):.2f} s")
    print(f"ERC-20 -> AKE: {args.transfers} burns in {back_seconds:.1f} s = {args.transfers / back_seconds * 60:.0f}/min; "
          f"burn to unlock p50 {statistics.median(to_unlock):.2f} s, p99 {percentile(to_unlock, 0.99):.2f} s")


if __name__ == "__main__":
    main()
