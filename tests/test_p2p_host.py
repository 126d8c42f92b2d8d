"""Host: identity, gossip among in-process hosts, validation and scoring, request/response, and the
py-libp2p 0.8.1 workarounds (each test here fails if its workaround in p2p/compat.py is removed)."""
from __future__ import annotations

import json

import nacl.signing
import pytest
import trio
from libp2p.crypto.ed25519 import Ed25519PublicKey
from libp2p.peer.id import ID
from libp2p.pubsub.gossipsub import PROTOCOL_ID_V11
from libp2p.pubsub.pb import rpc_pb2
from libp2p.utils.varint import encode_varint_prefixed

from p2p.compat import MAX_PEER_QUEUE_BYTES, ByteBoundedRpcQueue
from p2p.errors import (BadPeerAddress, BadRequest, PayloadTooLarge, RemoteError, RequestFailed, RequestTimeout,
                        ResponseTooLarge)
from p2p.gossip import MAX_GOSSIP_PAYLOAD
from p2p.host import Host
from p2p.identity import NodeKeyError, load_or_create_node_key, peer_id_from_seed
from p2p.scores import PENALTY, Offence, ScoreParams
from test_p2p_support import TOPIC, address, free_port, mesh, run_in_scope, running, seed

SYNC = "/ake/sync/1.0.0"


def run(main, timeout: float = 30) -> None:
    async def bounded() -> None:
        with trio.fail_after(timeout):
            await main()

    trio.run(bounded)


async def receive(channel: trio.MemoryReceiveChannel[tuple[bytes, str]], timeout: float = 5) -> tuple[bytes, str]:
    with trio.fail_after(timeout):
        return await channel.receive()


def test_peer_id_is_stable_from_seed(tmp_path) -> None:
    key_file = tmp_path / "node_key.json"
    first = load_or_create_node_key(key_file)
    assert load_or_create_node_key(key_file) == first
    assert Host(first).peer_id == Host(first).peer_id == peer_id_from_seed(first)
    # The same seed as a pynacl signing key: the libp2p identity is that ed25519 key.
    public = Ed25519PublicKey.from_bytes(bytes(nacl.signing.SigningKey(first).verify_key))
    assert ID.from_pubkey(public).to_base58() == peer_id_from_seed(first)
    key_file.write_text(json.dumps({"seed": "00" * 31}))
    with pytest.raises(NodeKeyError):
        load_or_create_node_key(key_file)
    with pytest.raises(BadPeerAddress):
        Host(first, persistent_peers=["/ip4/127.0.0.1/tcp/1"])


def test_stopped_host_releases_its_port() -> None:
    """Workaround: compat.close_swarm (and the shielded teardown in Host). Without it a stopped host keeps
    its port listening and its connections open."""
    async def main() -> None:
        survivor, stopped = mesh(2)
        async with running([survivor], topic=None) as nursery:
            scope = trio.CancelScope()
            await nursery.start(run_in_scope, stopped, scope)
            assert stopped.listen_addr.startswith("/ip4/127.0.0.1/tcp/")
            assert stopped.listen_addr.endswith(f"/p2p/{stopped.peer_id}")
            port = int(stopped.listen_addr.split("/")[4])
            await survivor.wait_for_peers([stopped.peer_id], 5)
            scope.cancel()
            await trio.sleep(0)
            with trio.fail_after(3):
                while survivor.connected_peers():
                    await trio.sleep(0.05)
            with pytest.raises(OSError):
                await trio.open_tcp_stream("127.0.0.1", port)

    run(main)


def test_gossip_reaches_every_other_host_but_not_the_sender() -> None:
    async def main() -> None:
        hosts = mesh(4)
        for host in hosts:
            host.gossip.add_topic(TOPIC, max_size=1024)
        channels = [host.gossip.subscribe(TOPIC) for host in hosts]
        async with running(hosts):
            for host in hosts:
                await host.gossip.publish(TOPIC, f"from {host.peer_id}".encode())
            for host, channel in zip(hosts, channels):
                got = {await receive(channel) for _ in range(3)}
                assert got == {(f"from {o.peer_id}".encode(), o.peer_id) for o in hosts if o is not host}
                with trio.move_on_after(0.3):
                    pytest.fail(f"unexpected extra message {await channel.receive()}")
            assert all(len(host.connected_peers()) == 3 for host in hosts)

    run(main)


def test_validator_drops_bad_message_and_scores_sender_down() -> None:
    async def main() -> None:
        seen: list[tuple[bytes, str]] = []

        def validate(data: bytes, sender: str) -> bool:
            seen.append((data, sender))
            if data == b"crash":
                raise ValueError("validators may raise on junk")
            return data.startswith(b"ok")

        hosts = mesh(3)
        for host in hosts:
            host.gossip.add_topic(TOPIC, max_size=1024, validate=validate)
        sender, receivers = hosts[0], hosts[1:]
        channels = [host.gossip.subscribe(TOPIC) for host in receivers]
        async with running(hosts):
            for data in (b"junk", b"crash", b"ok-1"):
                await sender.gossip.publish(TOPIC, data)
            for host, channel in zip(receivers, channels):
                assert await receive(channel) == (b"ok-1", sender.peer_id)
                assert host.scores.score(sender.peer_id) < 0
                assert host.scores.score(hosts[2 if host is hosts[1] else 1].peer_id) == 0
                assert host.gossip.verdicts[TOPIC, "reject"] >= 2 and host.gossip.verdicts[TOPIC, "accept"] >= 1  # /metrics
            assert (b"junk", sender.peer_id) in seen

    run(main)


def test_oversize_publish_raises_and_max_size_arrives() -> None:
    async def main() -> None:
        hosts = mesh(2)
        for host in hosts:
            host.gossip.add_topic(TOPIC, max_size=MAX_GOSSIP_PAYLOAD)
        with pytest.raises(ValueError):
            hosts[0].gossip.add_topic("/too/big", max_size=MAX_GOSSIP_PAYLOAD + 1)
        channel = hosts[1].gossip.subscribe(TOPIC)
        async with running(hosts):
            with pytest.raises(PayloadTooLarge):
                await hosts[0].gossip.publish(TOPIC, bytes(MAX_GOSSIP_PAYLOAD + 1))
            await hosts[0].gossip.publish(TOPIC, b"\x01" * MAX_GOSSIP_PAYLOAD)
            data, _ = await receive(channel)
            assert data == b"\x01" * MAX_GOSSIP_PAYLOAD

    run(main)


def test_request_response_round_trip_and_errors() -> None:
    async def main() -> None:
        async def serve(request: bytes, peer_id: str) -> bytes:
            if request == b"slow":
                await trio.sleep(10)
            if request == b"big":
                return bytes(2000)
            if request == b"junk":
                raise BadRequest("not a sync request")
            if request == b"crash":
                raise RuntimeError("handler bug")
            return b"re:" + request + b" from " + peer_id.encode()

        server, client = mesh(2)
        server.reqresp.add_protocol(SYNC, serve, max_request=64, max_response=4096)
        client.reqresp.add_protocol(SYNC, serve, max_request=64, max_response=1000)
        async with running([server, client], topic=None):
            for i in range(3):  # several requests share one pooled stream
                reply = await client.reqresp.request(server.peer_id, SYNC, b"h%d" % i, timeout=5)
                assert reply == b"re:h%d from %s" % (i, client.peer_id.encode())
            with pytest.raises(PayloadTooLarge):
                await client.reqresp.request(server.peer_id, SYNC, bytes(65), timeout=5)
            with pytest.raises(ResponseTooLarge):
                await client.reqresp.request(server.peer_id, SYNC, b"big", timeout=5)
            with pytest.raises(RequestTimeout):
                await client.reqresp.request(server.peer_id, SYNC, b"slow", timeout=0.5)
            with pytest.raises(RemoteError, match="handler failed"):
                await client.reqresp.request(server.peer_id, SYNC, b"crash", timeout=5)
            assert server.scores.score(client.peer_id) == 0
            with pytest.raises(RemoteError, match="bad request"):
                await client.reqresp.request(server.peer_id, SYNC, b"junk", timeout=5)
            assert server.scores.score(client.peer_id) < 0
            client.reqresp.add_protocol(SYNC, serve, max_request=128, max_response=1000)  # a lax client
            with pytest.raises(RequestFailed):
                await client.reqresp.request(server.peer_id, SYNC, bytes(100), timeout=5)
            assert server.scores.score(client.peer_id) <= -PENALTY[Offence.OVERSIZE]
            assert await client.reqresp.request(server.peer_id, SYNC, b"again", timeout=5) == \
                b"re:again from " + client.peer_id.encode()

    run(main)


def test_malformed_pubsub_frame_does_not_kill_host() -> None:
    """Workaround: compat.guard_malformed_frames. Without it the victim's host dies with DecodeError."""
    async def main() -> None:
        victim, attacker, bystander = mesh(3, score_params=ScoreParams(ban_threshold=-50, cooldown=30))
        for host in (victim, attacker, bystander):
            host.gossip.add_topic(TOPIC, max_size=1024)
        channel = victim.gossip.subscribe(TOPIC)
        async with running([victim, attacker, bystander]):
            stream = await attacker.libp2p.new_stream(ID.from_base58(victim.peer_id), [PROTOCOL_ID_V11])
            await stream.write(encode_varint_prefixed(b"\xff\x00 not a protobuf RPC \xff" * 4))
            with trio.fail_after(5):  # One malformed frame is enough to cross this test's threshold.
                while attacker.peer_id in victim.connected_peers():
                    await trio.sleep(0.05)
            assert victim.scores.is_banned(attacker.peer_id)
            await bystander.gossip.publish(TOPIC, b"still alive")
            assert await receive(channel) == (b"still alive", bystander.peer_id)
            await trio.sleep(1.5)  # The victim lists the attacker as a persistent peer, yet does not re-dial it.
            assert victim.connected_peers() == [bystander.peer_id]

    run(main)


def test_redial_after_restart_and_first_messages_arrive() -> None:
    """Workarounds: compat.forget_failed_dial (the victim of a failed dial is re-dialled at once, not after
    60 s) and compat.unique_seqnos_across_restarts (the restarted node's first messages are not taken for
    duplicates of its previous life's)."""
    async def main() -> None:
        ports = [free_port(), free_port()]
        # Only the survivor dials: the restarted node must be found by the survivor's re-dial loop.
        survivor = Host(seed(0), port=ports[0], persistent_peers=[address(1, ports[1])])
        first_life = Host(seed(1), port=ports[1])
        for host in (survivor, first_life):
            host.gossip.add_topic(TOPIC, max_size=1024)
        channel = survivor.gossip.subscribe(TOPIC)
        async with running([survivor], topic=None) as nursery:
            scope = trio.CancelScope()
            await nursery.start(run_in_scope, first_life, scope)
            await first_life.gossip.wait_for_mesh(TOPIC, survivor.peer_id, 10)
            for i in range(30):  # ahead of a seconds-based seqno counter by ~30 s
                await first_life.gossip.publish(TOPIC, b"life-1 #%d" % i)
            for i in range(30):
                assert (await receive(channel))[0] == b"life-1 #%d" % i
            scope.cancel()
            with trio.fail_after(5):
                while survivor.connected_peers():
                    await trio.sleep(0.05)
            await trio.sleep(1.0)  # The survivor's dials now fail (connection refused).

            second_life = Host(seed(1), port=ports[1])
            second_life.gossip.add_topic(TOPIC, max_size=1024)
            await nursery.start(second_life.run)
            await survivor.wait_for_peers([second_life.peer_id], timeout=8)
            await second_life.gossip.wait_for_mesh(TOPIC, survivor.peer_id, 5)
            await second_life.gossip.publish(TOPIC, b"life-2 first")
            assert await receive(channel, timeout=3) == (b"life-2 first", second_life.peer_id)

    run(main)


def test_ban_teardown_survives_a_peer_removed_meanwhile() -> None:
    """compat.safe_blacklist_teardown: the peer's reader may drop it while the ban resets its stream."""
    host = Host(seed(0), port=free_port())
    pubsub = host._pubsub
    peer = ID.from_base58(peer_id_from_seed(seed(1)))

    class Stream:
        async def reset(self) -> None:
            await trio.sleep(0)
            pubsub.peers.pop(peer, None)  # as the reader task does when it sees the reset

    pubsub.peers[peer] = Stream()
    trio.run(pubsub._teardown_if_connected, peer)
    assert peer not in pubsub.peers


def test_peer_queue_is_bounded_by_bytes() -> None:
    """Workaround: compat.bound_peer_queues_by_bytes. Without it a peer's queue takes 32 RPCs of any
    size (32 MiB at the frame cap), and the hosts' queues are plain RpcQueues."""
    def rpc(size: int) -> rpc_pb2.RPC:
        message = rpc_pb2.RPC()
        message.publish.add(data=b"x" * size, topicIDs=[TOPIC])
        return message

    async def main() -> None:
        queue = ByteBoundedRpcQueue(max_bytes=3 << 20)
        big = rpc(1 << 20)
        assert [queue.push(big) for _ in range(4)] == [True, True, False, False]
        assert queue.push(rpc(100), priority=True)  # what still fits is taken
        assert queue.queued_bytes == 2 * big.ByteSize() + rpc(100).ByteSize()
        await queue.pop()
        await queue.pop()
        assert queue.queued_bytes == big.ByteSize() and queue.push(big)
        hosts = mesh(2)
        for host in hosts:
            host.gossip.add_topic(TOPIC, max_size=1024)
        async with running(hosts):
            queues = list(hosts[0]._pubsub.peer_queues.values())
            assert queues and all(isinstance(q, ByteBoundedRpcQueue) and q.max_bytes == MAX_PEER_QUEUE_BYTES for q in queues)

    run(main)
