"""Helpers for end-to-end tests: free ports on 127.0.0.1 and real `akechain` node processes."""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import httpx

AKECHAIN = [sys.executable, "-m", "akechain.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> int:
    """A base port B such that B .. B+count-1 are all free on 127.0.0.1 right now."""
    rng = random.Random()
    for _ in range(200):
        # Below Linux's ephemeral range (32768+): outgoing connections of other nodes cannot
        # take these ports between this check and the node's bind.
        base = rng.randrange(10_000, 32_000 - count)
        sockets = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError(f"no run of {count} free ports found")


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*AKECHAIN, *args], capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"akechain {' '.join(args)} failed ({result.returncode}):\n{result.stderr}{result.stdout}")
    return result


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (httpx.HTTPError, KeyError, ValueError):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class NodeProcess:
    """`akechain start --home HOME` as a child process, logging to HOME/node.log."""

    def __init__(self, home: Path, rpc_port: int) -> None:
        self.home = home
        self.url = f"http://127.0.0.1:{rpc_port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *args: str, env: dict[str, str] | None = None, wait: bool = True) -> "NodeProcess":
        """`args`: more `akechain start` options; `env`: the whole environment; `wait`: until it serves."""
        log = open(self.home / "node.log", "ab")
        self.proc = subprocess.Popen([*AKECHAIN, "start", "--home", str(self.home), *args], stdout=log, stderr=log,
                                     env=env)
        if wait:
            wait_until(self.is_serving, 30, f"node {self.home} to serve {self.url}")
        return self

    def is_serving(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"node exited with {self.proc.returncode}:\n{self.log_tail()}")
        return httpx.get(f"{self.url}/status", timeout=2).status_code == 200

    def status(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/status", timeout=5).json()

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10)

    def wait_for_height(self, height: int, timeout: float = 30) -> dict[str, Any]:
        return wait_until(lambda: (s := self.status())["height"] >= height and s, timeout, f"height {height}")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM and wait: a clean stop exits 0."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"node did not stop on SIGTERM:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 40) -> str:
        path = self.home / "node.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""
