"""Test-only TCP proxy between devnet nodes that can blackhole a node: bytes stop in both directions while
every connection stays open (no FIN, no reset), as when a partition drops packets; `heal` resumes them.

One listening port per ordered link (dialler -> target), so each connection is known to belong to a link.
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

CHUNK = 64 << 10


@dataclass(frozen=True, slots=True)
class Link:
    source: int  # index of the dialling node
    target: int
    target_port: int


class TcpProxy:
    def __init__(self) -> None:
        self._blackholed: set[int] = set()
        self._flowing = threading.Condition()
        self._closed = False
        self._listeners: list[socket.socket] = []

    def add_link(self, link: Link) -> int:
        """Listen for `link` on a free 127.0.0.1 port and return it."""
        listener = socket.create_server(("127.0.0.1", 0))
        self._listeners.append(listener)
        threading.Thread(target=self._accept, args=(listener, link), daemon=True).start()
        return listener.getsockname()[1]

    def blackhole(self, node: int) -> None:
        with self._flowing:
            self._blackholed.add(node)

    def heal(self, node: int) -> None:
        with self._flowing:
            self._blackholed.discard(node)
            self._flowing.notify_all()

    def close(self) -> None:
        with self._flowing:
            self._closed = True
            self._flowing.notify_all()
        for listener in self._listeners:
            listener.close()

    def _accept(self, listener: socket.socket, link: Link) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client, link), daemon=True).start()

    def _connect(self, client: socket.socket, link: Link) -> None:
        if not self._wait_open(link):
            client.close()
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", link.target_port), timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst, link), daemon=True).start()

    def _wait_open(self, link: Link) -> bool:
        """Block while either end of the link is blackholed; False once the proxy is closed."""
        with self._flowing:
            self._flowing.wait_for(lambda: self._closed or not {link.source, link.target} & self._blackholed)
            return not self._closed

    def _pump(self, src: socket.socket, dst: socket.socket, link: Link) -> None:
        try:
            while True:
                if not self._wait_open(link):  # Hold bytes (and the close) while blackholed.
                    break
                data = src.recv(CHUNK)
                if not self._wait_open(link) or not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
