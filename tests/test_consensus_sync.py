"""Block sync: the request/response server over a block store, and a follower that catches up
from an honest peer while a lying peer (inflated height, forged blocks) is reported, not followed."""
from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import trio
import trio.testing

from consensus import sync
from consensus.history import History
from loopback import LoopbackHub
from consensus.privval import MemoryPV
from consensus.types import Block, Commit, CommitMessage, encode_message
from state.codec import decode, encode
from test_consensus_driver import Node, drain, make_genesis
from test_consensus_support import FAST, THREADS_SETTLE, ListMempool, seed

CHAIN_HEIGHT = 12


def awaitable(deliver: Callable[[CommitMessage, str], object]) -> Callable[[CommitMessage, str], Awaitable[None]]:
    async def deliver_now(message: CommitMessage, peer: str) -> None:
        deliver(message, peer)

    return deliver_now


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Node:
    """A one-validator chain of CHAIN_HEIGHT blocks, then stopped."""
    node = Node(tmp_path_factory.mktemp("source"), "source", [b"k%d=v" % i for i in range(30)])
    genesis = make_genesis([node])

    async def build() -> None:
        driver = node.driver(genesis, LoopbackHub(), FAST)
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            await driver.wait_for_height(CHAIN_HEIGHT)
            nursery.cancel_scope.cancel()

    trio.run(build, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    node.genesis = genesis  # type: ignore[attr-defined]
    return node


class OneTxPerBlock(ListMempool):
    """Each block takes the next tx only, so validator-set changes land at known heights."""

    def reap(self, max_bytes: int) -> list[bytes]:
        return self.txs[:1]


# Validator updates of the source chain, one per block from height 1: three new validators join
# (together under 1/3 of the power, so the source alone stays live), one changes its power and one leaves.
SET_CHANGES = [(1, 1), (2, 1), (3, 1), (1, 2), (2, 0), (3, 2)]


@pytest.fixture(scope="module")
def changing_source(tmp_path_factory: pytest.TempPathFactory) -> Node:
    """A one-validator chain whose set changes at six heights (updates of H act from H+2)."""
    joiners = [MemoryPV(seed(100 + i)) for i in range(4)]
    txs = [b"val:%s:%d" % (joiners[i].pub_key.hex().encode(), power) for i, power in SET_CHANGES]
    node = Node(tmp_path_factory.mktemp("changing"), "changing")
    node.mempool = OneTxPerBlock(txs)
    genesis = make_genesis([node])

    async def build() -> None:
        driver = node.driver(genesis, LoopbackHub(), FAST)
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            with trio.fail_after(120):
                await driver.wait_for_height(CHAIN_HEIGHT)
            nursery.cancel_scope.cancel()

    trio.run(build, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    node.genesis = genesis  # type: ignore[attr-defined]
    return node


async def serve_after_a_checkpoint(source: Node, payload: bytes) -> bytes:
    await trio.lowlevel.checkpoint()
    return sync.serve(source.block_store, payload)


def ask(source: Node, request: sync.SyncRequest, response_type: type) -> object:
    return decode(response_type, sync.serve(source.block_store, sync.encode_request(request)), max_size=1 << 24)


def test_status_and_block_ranges_come_from_the_store(source: Node) -> None:
    assert ask(source, sync.StatusRequest(), sync.StatusResponse).height == source.block_store.height
    answer = ask(source, sync.BlocksRequest(3, 4), sync.BlocksResponse)
    assert [d.block.header.height for d in answer.blocks] == [3, 4, 5, 6]
    assert all(d.commit.block_id == d.block.block_id for d in answer.blocks)
    beyond = ask(source, sync.BlocksRequest(source.block_store.height + 1, 4), sync.BlocksResponse)
    assert beyond.blocks == ()


@pytest.mark.parametrize("request_bytes", [
    b"",
    b"\xc1",
    encode(sync.RequestEnvelope(sync.BlocksRequest(0, 4))),
    encode(sync.RequestEnvelope(sync.BlocksRequest(1, sync.MAX_BLOCKS_PER_REQUEST + 1))),
    encode(sync.RequestEnvelope(sync.BlocksRequest(1, 0))),
    b"\x91" * 2000,
])
def test_bad_requests_are_typed_errors(source: Node, request_bytes: bytes) -> None:
    with pytest.raises(sync.SyncProtocolError):
        sync.serve(source.block_store, request_bytes)


def test_follower_catches_up_from_an_honest_peer_and_reports_a_liar(source: Node, tmp_path: Path) -> None:
    follower = Node(tmp_path / "follower", "follower")
    reports: list[tuple[str, str]] = []

    async def request(peer: str, payload: bytes) -> bytes:
        answer = sync.serve(source.block_store, payload)
        if peer != "liar":
            return answer
        if isinstance(decode(sync.RequestEnvelope, payload).request, sync.StatusRequest):
            return encode(sync.StatusResponse(10**6))
        real = decode(sync.BlocksResponse, answer, max_size=1 << 24)
        return encode(sync.BlocksResponse(tuple(
            dataclasses.replace(d, block=dataclasses.replace(d.block, txs=d.block.txs + (b"forged",)))
            for d in real.blocks)))

    async def main() -> None:
        hub = LoopbackHub()
        driver = follower.driver(source.genesis, hub, FAST)  # type: ignore[attr-defined]
        driver.signer = None  # a non-validator follower
        syncer = sync.BlockSync(
            peers=lambda: ["liar", "honest"],
            request=request,
            deliver=awaitable(lambda message, peer: hub.deliver(peer, encode_message(message))),
            committed_height=lambda: driver.committed_height,
            report=lambda peer, reason: reports.append((peer, reason)),
            progress_timeout=2.0,
        )
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            nursery.start_soon(syncer.run)
            with trio.fail_after(120):
                await driver.wait_for_height(source.block_store.height)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    for height in range(1, source.block_store.height + 1):
        assert follower.block_store.block_hash(height) == source.block_store.block_hash(height)
    assert reports and {peer for peer, _ in reports} == {"liar"}


def test_a_peer_serving_heights_it_was_not_asked_for_is_reported(source: Node) -> None:
    reports: list[str] = []
    delivered: list[int] = []

    async def replay_the_first_range(peer: str, payload: bytes) -> bytes:
        request = decode(sync.RequestEnvelope, payload).request
        if isinstance(request, sync.StatusRequest):
            return encode(sync.StatusResponse(10**6))
        return sync.serve(source.block_store, sync.encode_request(sync.BlocksRequest(1, 4)))

    syncer = sync.BlockSync(
        peers=lambda: ["replayer"], request=replay_the_first_range,
        deliver=awaitable(lambda message, peer: delivered.append(message.block.header.height)),
        committed_height=lambda: 0, report=lambda peer, reason: reports.append(reason), progress_timeout=1.0,
    )
    trio.run(syncer.sync_once, clock=trio.testing.MockClock(autojump_threshold=0))
    assert delivered == [1, 2, 3, 4]  # the first answer, then no more: the same blocks again are not followed
    assert any("served heights 1..4" in reason for reason in reports)


def test_a_hung_peer_does_not_hold_back_the_status_pass(source: Node) -> None:
    """A peer cut off without a reset never answers: the others are asked at the same time and
    the pass ends after the status timeout, not after that peer's request timeout."""
    delivered: list[int] = []

    async def request(peer: str, payload: bytes) -> bytes:
        if peer == "hung":
            await trio.sleep_forever()
        return sync.serve(source.block_store, payload)

    syncer = sync.BlockSync(
        peers=lambda: ["hung", "honest"], request=request,
        deliver=awaitable(lambda message, peer: delivered.append(message.block.header.height)),
        committed_height=lambda: delivered[-1] if delivered else 0, report=lambda peer, reason: None,
    )

    async def main() -> float:
        start = trio.current_time()
        heights = await syncer._peer_heights()
        assert heights == {"honest": source.block_store.height}
        return trio.current_time() - start

    assert trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0)) == sync.STATUS_TIMEOUT_SECONDS


def test_a_follower_syncs_from_genesis_across_validator_set_changes(changing_source: Node, tmp_path: Path) -> None:
    """Each fetched commit is verified against the set of its own height: across six changes of
    the set, the follower takes every block and never blames the honest peer for a stall."""
    source_history = History(changing_source.state_kv)
    hashes = [source_history.validators_at(h).hash() for h in range(1, CHAIN_HEIGHT + 1)]
    assert len(set(hashes)) == 1 + len(SET_CHANGES)  # the source's set did change at each update
    follower = Node(tmp_path / "follower", "follower")
    reports: list[str] = []

    async def main() -> None:
        hub = LoopbackHub()
        driver = follower.driver(changing_source.genesis, hub, FAST)  # type: ignore[attr-defined]
        driver.signer = None
        syncer = sync.BlockSync(
            peers=lambda: ["honest"],
            request=lambda peer, payload: serve_after_a_checkpoint(changing_source, payload),
            deliver=awaitable(lambda message, peer: hub.deliver(peer, encode_message(message))),
            committed_height=lambda: driver.committed_height,
            report=lambda peer, reason: reports.append(reason),
            progress_timeout=2.0,
        )
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            nursery.start_soon(syncer.run)
            with trio.fail_after(120):
                await driver.wait_for_height(CHAIN_HEIGHT)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    assert reports == []
    follower_history = History(follower.state_kv)
    for height in range(1, CHAIN_HEIGHT + 1):
        assert follower.block_store.block_hash(height) == changing_source.block_store.block_hash(height)
        assert follower_history.validators_at(height).hash() == hashes[height - 1]
    last = decode(Block, follower.block_store.block(CHAIN_HEIGHT))
    assert last.header.validators_hash == hashes[-1]


def test_each_fetched_range_is_prepared_before_any_of_it_is_handed_over(source: Node) -> None:
    """The node's hook (signature checks of the range's txs on its other core) runs ahead of execution."""
    prepared: list[int] = []
    delivered: list[int] = []

    async def prepare(blocks: tuple[sync.DecidedBlock, ...]) -> None:
        prepared.extend(decided.block.header.height for decided in blocks)

    def deliver(message: CommitMessage, peer: str) -> None:
        assert message.block.header.height in prepared
        delivered.append(message.block.header.height)

    syncer = sync.BlockSync(
        peers=lambda: ["honest"], request=lambda peer, payload: trio.to_thread.run_sync(sync.serve, source.block_store, payload),
        deliver=awaitable(deliver), committed_height=lambda: delivered[-1] if delivered else 0,
        report=lambda peer, reason: None, prepare=prepare,
    )
    trio.run(syncer.sync_once, clock=trio.testing.MockClock(autojump_threshold=0))
    assert delivered == prepared == list(range(1, source.block_store.height + 1))


def test_queued_catch_up_blocks_commit_in_runs_and_every_height_is_announced(source: Node, tmp_path: Path) -> None:
    """Catch-up blocks waiting in the engine's queue commit several per worker-thread call, each
    still announced in order, and the event that ends a run is handled next."""
    follower = Node(tmp_path / "follower", "follower")
    decided = [CommitMessage(decode(Block, source.block_store.block(h) or b"", max_size=1 << 24),
                             decode(Commit, source.block_store.commit(h) or b""))
               for h in range(1, CHAIN_HEIGHT + 1)]
    run_starts: list[int] = []  # the first height of each worker-thread call
    announced: list[int] = []

    async def main() -> None:
        hub = LoopbackHub()
        driver = follower.driver(source.genesis, hub, FAST)  # type: ignore[attr-defined]
        driver.signer = None
        commit_run = driver._commit_run

        def counted_run(block: Block, commit: Commit) -> list:
            run_starts.append(block.header.height)
            return commit_run(block, commit)

        driver._commit_run = counted_run  # type: ignore[method-assign]
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            commits = driver.subscribe()
            for message in decided:
                hub.deliver("peer", encode_message(message))
            with trio.fail_after(60):
                await driver.wait_for_height(CHAIN_HEIGHT)
            nursery.cancel_scope.cancel()
        announced.extend(committed.height for committed in drain(commits))

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    assert announced == list(range(1, CHAIN_HEIGHT + 1))
    assert len(run_starts) < CHAIN_HEIGHT  # several blocks per call
    for height in range(1, CHAIN_HEIGHT + 1):
        assert follower.block_store.block_hash(height) == source.block_store.block_hash(height)


def test_a_reported_peer_no_longer_sets_the_target_height(source: Node) -> None:
    """A liar's claimed height would keep the node "catching up" (and deaf to tx gossip) for good."""
    reports: list[str] = []

    async def request(peer: str, payload: bytes) -> bytes:
        if isinstance(decode(sync.RequestEnvelope, payload).request, sync.StatusRequest):
            return encode(sync.StatusResponse(10**6))
        return encode(sync.BlocksResponse(()))

    syncer = sync.BlockSync(
        peers=lambda: ["liar"], request=request, deliver=awaitable(lambda message, peer: None),
        committed_height=lambda: 0, report=lambda peer, reason: reports.append(peer),
    )

    async def main() -> None:
        await syncer.sync_once()  # believed once: it is asked for blocks, serves none, is reported
        assert syncer.target_height == 10**6 and reports == ["liar"]
        await syncer.sync_once()
        assert syncer.target_height == 0 and reports == ["liar"]  # not believed, not asked again
        await trio.sleep(sync.DISTRUST_SECONDS + 1)
        await syncer.sync_once()
        assert syncer.target_height == 10**6 and reports == ["liar", "liar"]  # after the cool-down, again

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
