"""Workarounds for py-libp2p 0.8.1, each in one place with the reason, so they can go when the library is fixed.

Every one has a test in tests/test_p2p_host.py that fails when it is removed (named in its docstring).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import libp2p.pubsub.pubsub as pubsub_module
import trio
from libp2p.abc import IHost, INetConn, INetStream, INetwork
from libp2p.peer.id import ID
from libp2p.pubsub.pb import rpc_pb2
from libp2p.pubsub.pubsub import Pubsub
from libp2p.pubsub.rpc_queue import RpcQueue

from p2p.flow import PeerFlow

log = logging.getLogger(__name__)

# py-libp2p 0.8.1: a subscription buffers 32 messages and drops the rest without an error. `Gossip` drains it
# without waiting (into byte-bounded channels), so it only holds what arrives between two runs of that task.
SUBSCRIPTION_BUFFER = 256
RESET_TIMEOUT = 1.0
# Bytes of RPCs one peer's outgoing queue holds (beside py-libp2p's 32 RPCs): 8 frames at the 1 MiB cap.
MAX_PEER_QUEUE_BYTES = 8 << 20


def raise_subscription_buffer() -> None:
    """Must run before `Pubsub.subscribe`; the size is a module global read at subscribe time."""
    pubsub_module.SUBSCRIPTION_CHANNEL_SIZE = max(pubsub_module.SUBSCRIPTION_CHANNEL_SIZE, SUBSCRIPTION_BUFFER)


class ByteBoundedRpcQueue(RpcQueue):
    """A peer's outgoing RPC queue that also refuses an RPC once it would hold over `max_bytes`."""

    def __init__(self, *args: object, max_bytes: int = MAX_PEER_QUEUE_BYTES, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.max_bytes = max_bytes
        self.queued_bytes = 0

    def push(self, rpc: rpc_pb2.RPC, priority: bool = False) -> bool:
        size = rpc.ByteSize()
        if self.queued_bytes + size > self.max_bytes:
            return False  # dropped for this peer alone, as py-libp2p drops past its count bound
        pushed = super().push(rpc, priority)
        if pushed:
            self.queued_bytes += size
        return pushed

    async def pop(self) -> rpc_pb2.RPC | None:
        rpc = await super().pop()
        if rpc is not None:
            self.queued_bytes -= rpc.ByteSize()
        return rpc


def bound_peer_queues_by_bytes() -> None:
    """Make every peer's outgoing pubsub queue a `ByteBoundedRpcQueue`.

    py-libp2p 0.8.1 bounds a peer's outgoing queue at 32 RPCs whatever their size, so a slow or hung
    peer can hold 32 MiB of frames at the 1 MiB cap, per peer, in every node that gossips to it. The
    queue class is a module global that `Pubsub` reads when a peer is added; must run before hosts
    connect. Test: test_peer_queue_is_bounded_by_bytes.
    """
    pubsub_module.RpcQueue = ByteBoundedRpcQueue  # type: ignore[misc]


def guard_malformed_frames(pubsub: Pubsub, on_bad_frame: Callable[[ID], None]) -> None:
    """Keep one peer's malformed pubsub frame from killing the whole host.

    py-libp2p 0.8.1 bug: a varint-framed non-protobuf blob on a /meshsub/* stream makes
    `RPC.ParseFromString` raise `DecodeError` inside `Pubsub.continuously_read_stream`; nothing catches it,
    so it tears down the host's nursery (and the process). We wrap the method on this instance only:
    catch, reset that stream, report the peer (to score it down) and carry on.
    Test: test_malformed_pubsub_frame_does_not_kill_host.
    """
    original = pubsub.continuously_read_stream

    async def guarded(stream: INetStream) -> None:
        try:
            await original(stream)
        except Exception as exc:  # DecodeError, or anything else a peer's bytes can trigger
            peer_id = stream.muxed_conn.peer_id
            log.warning("malformed pubsub frame from %s: %s: %s", peer_id, type(exc).__name__, exc)
            on_bad_frame(peer_id)
            try:
                await stream.reset()
            except Exception:  # The stream may already be gone; nothing more to do with it.
                pass

    pubsub.continuously_read_stream = guarded  # type: ignore[method-assign]


def safe_blacklist_teardown(pubsub: Pubsub) -> None:
    """Keep a ban from killing the whole host.

    py-libp2p 0.8.1 bug: `add_to_blacklist` runs `_teardown_if_connected`, which awaits the stream's
    reset and then does `del self.peers[peer_id]`; if the peer's reader already noticed the reset and
    removed it meanwhile, the `KeyError` escapes into the pubsub service and stops the process. Bans
    are routine (two forged signatures earn one), so a hostile peer could stop any node this way. We
    replace the method on this instance only with one that forgets the peer whether or not it is
    still there. Test: test_ban_teardown_survives_a_peer_removed_meanwhile.
    """

    async def teardown(peer_id: ID) -> None:
        stream = pubsub.peers.get(peer_id)
        if stream is not None:
            try:
                await stream.reset()
            except Exception:  # The stream may already be gone; nothing more to do with it.
                pass
            pubsub.peers.pop(peer_id, None)
        pubsub._forget_all_subscriptions(peer_id)

    pubsub._teardown_if_connected = teardown  # type: ignore[method-assign]


def unique_seqnos_across_restarts(pubsub: Pubsub) -> None:
    """Start the message sequence number from a nanosecond clock.

    py-libp2p 0.8.1 starts it at int(time.time()) and adds 1 per publish, so a node restarted within
    (messages published) seconds reuses (from, seqno) message ids its peers still remember (seen_ttl
    120 s) and they drop its first messages as duplicates. Call right after creating the `Pubsub`.
    Test: test_redial_after_restart_and_first_messages_arrive.
    """
    pubsub.counter = time.time_ns()


def live_connections(network: INetwork, peer_id: ID) -> list[INetConn]:
    """Connections to the peer that are really open.

    py-libp2p 0.8.1 keeps a dead connection listed for ~100 ms after the peer is gone, and
    `is_peer_connected()`/`get_connected_peers()` count it (and `host.connect()` is then a no-op).
    """
    return [conn for conn in network.get_connections(peer_id) if not conn.is_closed]


def forget_failed_dial(network: INetwork, peer_id: ID) -> None:
    """Call before each re-dial.

    py-libp2p 0.8.1 puts a peer whose addresses all failed in a 60 s negative cache and refuses to dial
    it again meanwhile (`SwarmException ... negative cache`), so a restarted peer would stay unreachable.
    Test: test_redial_after_restart_and_first_messages_arrive.
    """
    network.unblock_peer(peer_id)


async def close_swarm(host: IHost) -> None:
    """Close the host's listening sockets and connections once `host.run()` has exited; call shielded.

    py-libp2p 0.8.1 leaves both open when `host.run()` exits, normally or by cancellation (its own
    teardown awaits in a `finally` that a cancelled scope aborts at once): a stopped node would keep
    accepting dials on its port and peers would not notice it is gone. `Swarm.close()` releases them.
    Test: test_stopped_host_releases_its_port.
    """
    try:
        await host.get_network().close()
    except Exception as exc:  # Best effort: a half-closed swarm must not mask why the host stopped.
        log.warning("closing the libp2p swarm failed: %s: %s", type(exc).__name__, exc)


def deadline_pubsub_writes(pubsub: Pubsub, flow: PeerFlow, on_hung: Callable[[ID], None]) -> None:
    """Give every pubsub write a deadline and report the peer whose write misses it.

    py-libp2p 0.8.1 writes each peer's RPCs with no timeout (`Pubsub.write_msg`, used by the per-peer
    sending task and by the new-peer replays): on a connection that hangs without a reset the write
    never returns. We wrap the method on this instance: `flow` learns which writes are pending (so
    publishes stop waiting for that peer), and a write over `flow.write_deadline` is abandoned, its
    stream reset (a half-written frame leaves it out of step), and `on_hung(peer)` drops the peer.
    Test: test_hung_peer_write_is_abandoned_and_reported_alone.
    """
    original = pubsub.write_msg

    async def deadlined(stream: INetStream, rpc_msg: rpc_pb2.RPC) -> bool:
        peer_id = stream.muxed_conn.peer_id
        flow.write_started(peer_id)
        with trio.move_on_after(flow.write_deadline) as deadline:
            try:
                return await original(stream, rpc_msg)
            finally:
                # A write past its deadline stays pending in `flow`: the peer's queue is never drained again, so
                # publishes must keep not waiting for it until a new connection's first write replaces it.
                if not deadline.cancel_called:
                    flow.write_finished(peer_id)
        log.warning("pubsub write to %s missed its %.1f s deadline: dropping the peer", peer_id,
                    flow.write_deadline)
        on_hung(peer_id)
        with trio.CancelScope(shield=True), trio.move_on_after(RESET_TIMEOUT):
            try:
                await stream.reset()
            except Exception:  # The stream may already be gone; the peer is being dropped anyway.
                pass
        return False

    pubsub.write_msg = deadlined  # type: ignore[method-assign]
