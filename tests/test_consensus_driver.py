"""The trio driver: one validator, a 4-node loopback network, restart and crash recovery."""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
import trio
import trio.testing

from dataclasses import replace

from consensus.abci import ValidatorUpdate
from consensus.config import Config
from consensus.chain import ChainState
from consensus.driver import STATE_KEY, Driver, HandshakeError
from consensus.history import History
from loopback import LoopbackHub
from consensus.genesis import Genesis
from consensus.privval import FilePV
from consensus.wal import WAL, EndHeightRecord, MessageRecord
from consensus.types import FLAG_ABSENT, FLAG_COMMIT, PRECOMMIT, PREVOTE, Block, Commit, VoteMessage, decode_message
from state.blockstore import BlockStore
from state.codec import decode
from state.kv import MemoryKV
from test_consensus_support import CHAIN_ID, FAST, GENESIS_TIME_MS, THREADS_SETTLE, CounterApp, ListMempool


class Node:
    """Everything a driver persists, kept across restarts."""

    def __init__(self, home: Path, name: str, txs: list[bytes] = ()) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home, self.name = home, name
        self.pv = FilePV.load_or_generate(home / "key.json", home / "state.json")
        self.app = CounterApp()
        self.mempool = ListMempool(txs)
        self.block_store = BlockStore(MemoryKV())
        self.state_kv = MemoryKV()

    def driver(self, genesis: Genesis, hub: LoopbackHub, config: Config = FAST) -> Driver:
        pv = FilePV.load(self.home / "key.json", self.home / "state.json")  # as after a process restart
        return Driver(
            CHAIN_ID, genesis, self.app, self.mempool, self.block_store, self.state_kv, pv,
            self.home / "wal" / "wal", hub.connect(self.name), config,
        )

    def block(self, height: int) -> Block:
        return decode(Block, self.block_store.block(height))


def make_genesis(nodes: list[Node]) -> Genesis:
    return Genesis(GENESIS_TIME_MS, tuple(ValidatorUpdate(n.pv.pub_key, 10) for n in nodes))


async def run_until(drivers: list[Driver], height: int) -> None:
    async with trio.open_nursery() as nursery:
        for d in drivers:
            await nursery.start(d.run)
        for d in drivers:
            await d.wait_for_height(height)
        nursery.cancel_scope.cancel()


def drain(channel: trio.MemoryReceiveChannel) -> list:
    """What a channel holds now, without waiting."""
    items = []
    while True:
        try:
            items.append(channel.receive_nowait())
        except trio.WouldBlock:
            return items


def test_single_validator_commits_heights(tmp_path: Path) -> None:
    node = Node(tmp_path / "n0", "n0", [b"a=1", b"b=2"])
    genesis = make_genesis([node])
    seen: list[int] = []

    async def main() -> None:
        driver = node.driver(genesis, LoopbackHub())
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            blocks = driver.subscribe()
            await driver.wait_for_height(4)
            assert driver.status().height == 5 and driver.status().voting_power == 10
            nursery.cancel_scope.cancel()
        seen.extend(committed.height for committed in drain(blocks))

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    assert seen[:4] == [1, 2, 3, 4]
    assert node.block(1).txs == (b"a=1", b"b=2") and node.mempool.txs == []
    assert node.app.height >= 4 and node.app.state[b"a"] == b"1"
    times = [node.block(h).header.time_ms for h in range(1, 5)]
    assert times[0] == GENESIS_TIME_MS and times == sorted(set(times))


def test_four_drivers_commit_the_same_blocks(tmp_path: Path) -> None:
    nodes = [Node(tmp_path / f"n{i}", f"n{i}", [b"x%d=1" % i]) for i in range(4)]
    genesis = make_genesis(nodes)
    hub = LoopbackHub()

    async def main() -> None:
        drivers = [n.driver(genesis, hub) for n in nodes]
        async with trio.open_nursery() as nursery:
            for d in drivers:
                await nursery.start(d.run)
            await hub_garbage(hub)
            for d in drivers:
                await d.wait_for_height(3)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    for h in (1, 2, 3):
        assert len({n.block_store.block_hash(h) for n in nodes}) == 1
    assert len({n.app.app_hash for n in nodes if n.app.height == 3}) == 1
    # The app hears who signed the last commit: every validator of the previous height, in set order.
    assert nodes[0].app.decided_last_commits[1] == ()  # no last commit at the initial height
    for h in (2, 3):
        block = decode(Block, nodes[0].block_store.block(h))
        infos = nodes[0].app.decided_last_commits[h]
        expected = History(nodes[0].state_kv).validators_at(h - 1)
        assert [(i.validator_address, i.power) for i in infos] == [(v.address, v.power) for v in expected.validators]
        assert [i.signed for i in infos] == [s.flag != FLAG_ABSENT for s in block.last_commit.signatures]
        assert sum(i.power for i in infos if i.signed) * 3 > 2 * expected.total_power


async def hub_garbage(hub: LoopbackHub) -> None:
    """Junk from a peer is dropped without harm."""
    rogue = hub.connect("rogue")
    for junk in (b"", b"\x00", b"\x92\xa4vote\x90", b"\xff" * 100):
        await rogue.broadcast(junk)


async def restart_until(node: Node, genesis: Genesis, height: int) -> None:
    """Restart `node` from its stores, key, sign state and WAL; it resumes after its stored blocks."""
    restarted = node.driver(genesis, LoopbackHub())
    async with trio.open_nursery() as nursery:
        await nursery.start(restarted.run)
        assert restarted.status().height == node.block_store.height + 1
        await restarted.wait_for_height(height)
        nursery.cancel_scope.cancel()


def test_restart_resumes_at_same_height_without_double_signing(tmp_path: Path) -> None:
    node = Node(tmp_path / "n0", "n0", [b"a=1"])
    genesis = make_genesis([node])

    async def main() -> None:
        await run_until([node.driver(genesis, LoopbackHub())], 3)
        await restart_until(node, genesis, 6)

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    for h in range(2, 7):
        block = node.block(h)
        assert block.header.last_block_id.hash == node.block_store.block_hash(h - 1)
        last_commit = block.last_commit
        assert [s.flag for s in last_commit.signatures] == [FLAG_COMMIT]
    # Exactly one signature per height from the single validator: nothing was signed twice.
    commits = [decode(Commit, node.block_store.commit(h)) for h in range(1, 7)]
    assert all(len(c.signatures) == 1 for c in commits)


def test_restart_after_losing_the_unsynced_end_of_height_marker(tmp_path: Path) -> None:
    """The end-height marker is written without fsync: a power loss may drop it and everything
    after it (a later own vote would have fsynced it). Replaying the decided height's records
    against the next height must be harmless."""
    node = Node(tmp_path / "n0", "n0", [b"a=1"])
    genesis = make_genesis([node])
    trio.run(run_until, [node.driver(genesis, LoopbackHub())], 3, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    wal_file = node.home / "wal" / "wal"
    wal = WAL(wal_file)
    records = wal.records
    wal.close()
    data = wal_file.read_bytes()
    starts, offset = [], 0
    while offset < len(data):  # frames: 4-byte length, 4-byte CRC, payload
        starts.append(offset)
        offset += 8 + int.from_bytes(data[offset:offset + 4], "big")
    last_marker = max(start for start, record in zip(starts, records) if isinstance(record, EndHeightRecord))
    wal_file.write_bytes(data[:last_marker])  # the last marker and all after it were lost
    wal = WAL(wal_file)
    assert any(isinstance(r, MessageRecord) and r.peer == "" for r in wal.replay_records())  # own votes of height 3
    wal.close()
    trio.run(restart_until, node, genesis, 6, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    commits = [decode(Commit, node.block_store.commit(h)) for h in range(1, 7)]
    assert all(len(c.signatures) == 1 for c in commits)  # nothing signed twice, every height decided


class PowerLossKV(MemoryKV):
    """A MemoryKV that a power loss (`lose_unsynced`) takes back to its last fsynced write."""

    def __init__(self) -> None:
        super().__init__()
        self._durable: dict[bytes, bytes] = {}

    def write(self, puts: Mapping[bytes, bytes], deletes: Iterable[bytes] = (), sync: bool = True) -> None:
        super().write(puts, deletes, sync)
        if sync:  # as LevelDB's log: an fsync makes every earlier write durable too
            self._durable = self._data

    def lose_unsynced(self) -> None:
        self._data, self._sorted = self._durable, None


def test_restart_after_a_power_loss_took_the_unsynced_chain_state(tmp_path: Path) -> None:
    """The chain state is written without fsync after each block, so a power loss may take it back
    any number of heights; the handshake rebuilds it, exactly, from the block store and the app."""
    node = Node(tmp_path / "n0", "n0", [b"a=1", b"b=2"])
    node.state_kv = PowerLossKV()
    genesis = make_genesis([node])
    trio.run(run_until, [node.driver(genesis, LoopbackHub())], 5, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    before = dict(node.state_kv.iterate())
    node.state_kv.lose_unsynced()
    assert decode(ChainState, node.state_kv.get(STATE_KEY)).height < node.block_store.height
    rebuilt = node.driver(genesis, LoopbackHub())._handshake()
    assert rebuilt.height == node.block_store.height + 1 and dict(node.state_kv.iterate()) == before
    trio.run(restart_until, node, genesis, node.block_store.height + 2,
             clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    commits = [decode(Commit, node.block_store.commit(h)) for h in range(1, node.block_store.height + 1)]
    assert all(len(c.signatures) == 1 for c in commits)


@pytest.mark.parametrize("crash_after", [PREVOTE, PRECOMMIT])
def test_restarted_member_of_four_rejoins_without_double_signing(tmp_path: Path, crash_after: int) -> None:
    nodes = [Node(tmp_path / f"n{i}", f"n{i}") for i in range(4)]
    genesis = make_genesis(nodes)
    hub = LoopbackHub()
    by_slot: dict[tuple[int, int, int], set] = {}
    deliver = hub.deliver

    def spy(sender: str, data: bytes) -> None:
        # Record every vote node 0 ever sends: one target per (height, round, type) allowed.
        if sender == "n0":
            message = decode_message(data, FAST.max_message_bytes)
            if isinstance(message, VoteMessage):
                v = message.vote
                by_slot.setdefault((v.height, v.round, v.type), set()).add(v.block_id)
                if v.height >= 3 and v.type == crash_after:  # it may skip a vote if 3 peers are faster
                    signed_at_3.set()
        deliver(sender, data)

    signed_at_3 = trio.Event()

    hub.deliver = spy  # type: ignore[method-assign]

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            others = [n.driver(genesis, hub) for n in nodes[1:]]
            for d in others:
                await nursery.start(d.run)
            first = nodes[0].driver(genesis, hub)
            async with trio.open_nursery() as crashing:
                await crashing.start(first.run)
                await signed_at_3.wait()
                crashing.cancel_scope.cancel()  # "kill -9" right after a vote went out
            hub.disconnect("n0")
            await others[0].wait_for_height(first.committed_height + 2)  # three of four keep going
            rejoined = nodes[0].driver(genesis, hub)
            await nursery.start(rejoined.run)
            await rejoined.wait_for_height(others[0].committed_height + 1)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    for h in range(1, nodes[0].block_store.height + 1):
        assert nodes[0].block_store.block_hash(h) == nodes[1].block_store.block_hash(h)
    assert by_slot and all(len(targets) == 1 for targets in by_slot.values())


def test_handshake_replays_blocks_the_app_lost(tmp_path: Path) -> None:
    node = Node(tmp_path / "n0", "n0", [b"a=1", b"b=2"])
    genesis = make_genesis([node])

    async def main() -> None:
        await run_until([node.driver(genesis, LoopbackHub())], 3)
        expected = node.app.app_hash
        node.app = CounterApp()  # the app lost its state (crash between block save and app commit)
        driver = node.driver(genesis, LoopbackHub())
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            assert node.app.height == node.block_store.height and node.app.app_hash == expected
            await driver.wait_for_height(node.block_store.height + 1)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    assert node.app.finalized[0] == 1


def test_handshake_rejects_an_app_ahead_of_the_store(tmp_path: Path) -> None:
    node = Node(tmp_path / "n0", "n0")
    node.app.height = 5

    async def main() -> None:
        with pytest.raises(HandshakeError):
            await node.driver(make_genesis([node]), LoopbackHub()).run()

    trio.run(main)


def test_without_empty_blocks_a_height_waits_for_txs(tmp_path: Path) -> None:
    node = Node(tmp_path / "n0", "n0")
    genesis = make_genesis([node])

    async def main() -> None:
        driver = node.driver(genesis, LoopbackHub(), replace(FAST, create_empty_blocks=False))
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            await driver.wait_for_height(1)  # the first block is always made
            await trio.sleep(60)
            assert driver.committed_height == 1 and driver.status().step == "new_height"
            node.mempool.txs.append(b"c=3")
            driver.notify_txs_available()
            await driver.wait_for_height(2)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    assert node.block(2).txs == (b"c=3",)


def test_without_empty_blocks_txs_a_block_left_are_proposed_at_once(tmp_path: Path) -> None:
    node = Node(tmp_path / "n0", "n0")
    genesis = make_genesis([node])
    node.mempool.txs.extend(f"k{i}={i}".encode() for i in range(4))  # 16 bytes: two blocks of 8

    async def main() -> None:
        driver = node.driver(genesis, LoopbackHub(), replace(FAST, create_empty_blocks=False, max_block_bytes=8))
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            with trio.fail_after(30):  # no tx arrives after the start: the pool alone must drive both
                await driver.wait_for_height(2)
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))
    assert node.block(1).txs + node.block(2).txs == tuple(f"k{i}={i}".encode() for i in range(4))
    assert node.mempool.txs == []


def test_empty_block_interval_bounds_the_wait(tmp_path: Path) -> None:
    node = Node(tmp_path / "n0", "n0")
    genesis = make_genesis([node])
    config = replace(FAST, create_empty_blocks=False, create_empty_blocks_interval_ms=5_000)

    async def main() -> None:
        driver = node.driver(genesis, LoopbackHub(), config)
        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            with trio.fail_after(12):
                await driver.wait_for_height(3)
            assert trio.current_time() > 9
            nursery.cancel_scope.cancel()

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=THREADS_SETTLE))


class SlowCommitApp(CounterApp):
    """Commits take a second, as a big block's state commit and fsync can."""

    committing = False

    def commit(self) -> bytes:
        self.committing = True
        time.sleep(1.0)
        self.committing = False
        return super().commit()


def test_the_loop_keeps_running_while_a_block_commits(tmp_path: Path) -> None:
    node = Node(tmp_path / "n0", "n0", [b"a=1"])
    node.app = app = SlowCommitApp()
    genesis = make_genesis([node])
    ticks_during_commit: list[float] = []

    async def main() -> None:
        driver = node.driver(genesis, LoopbackHub())

        async def tick() -> None:
            while True:
                assert driver.status().validator_address is not None  # status answers meanwhile
                if app.committing:
                    ticks_during_commit.append(trio.current_time())
                await trio.sleep(0.01)

        async with trio.open_nursery() as nursery:
            await nursery.start(driver.run)
            nursery.start_soon(tick)
            await driver.wait_for_height(1)
            nursery.cancel_scope.cancel()

    trio.run(main)  # real time: the commit really sleeps
    # Inline on the loop, no other task could run during the commit; in a thread, this one ticks on.
    assert node.app.height >= 1 and len(ticks_during_commit) >= 3
