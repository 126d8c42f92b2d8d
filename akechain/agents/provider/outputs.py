"""The provider agent's output server: each job's stdout, sealed to the job's consumer, kept in
memory and served at `GET /outputs/{output hash hex}[?consumer=ADDRESS]` (the route and the
sealing are `akechain.client.outputs`'). Only sealed bytes are kept, so nothing this server
answers is readable by anyone but the consumer; the store is bounded in count and bytes (the
oldest outputs go first) because any job's consumer decides how much a provider must keep.
"""
from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from akechain.client.outputs import CONSUMER_PARAM, OUTPUTS_PATH, compute_output_hash, seal_output

log = logging.getLogger("akechain.provider.outputs")
OUTPUT_ROUTE = re.compile(re.escape(OUTPUTS_PATH) + r"([0-9a-f]{64})")
REQUEST_TIMEOUT_S = 30.0  # a client that stalls longer loses its connection


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Where the agent serves outputs and how much it keeps."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port, chosen at start
    max_outputs: int = 256
    max_bytes: int = 256 * 1024 * 1024


class OutputStore:
    """Sealed outputs by (output hash, consumer address), oldest first; thread-safe."""

    def __init__(self, max_outputs: int, max_bytes: int) -> None:
        self.max_outputs = max_outputs
        self.max_bytes = max_bytes
        self._sealed: OrderedDict[tuple[bytes, str], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def keep(self, output: bytes, consumer: str, pub_key: bytes) -> bytes | None:
        """Seal `output` to `pub_key` and keep it for `consumer` under its hash (returned); None if
        it alone is larger than the store, evicting the oldest outputs until it fits otherwise."""
        sealed = seal_output(output, pub_key)
        if len(sealed) > self.max_bytes:
            return None
        output_hash = compute_output_hash(output)
        with self._lock:
            self._drop((output_hash, consumer))
            while self._sealed and (len(self._sealed) >= self.max_outputs or self._bytes + len(sealed) > self.max_bytes):
                self._drop(next(iter(self._sealed)))
            self._sealed[(output_hash, consumer)] = sealed
            self._bytes += len(sealed)
        return output_hash

    def get(self, output_hash: bytes, consumer: str | None = None) -> bytes | None:
        """The copy sealed to `consumer`, or (no consumer named) the latest kept under that hash."""
        with self._lock:
            if consumer is not None:
                return self._sealed.get((output_hash, consumer))
            return next((sealed for (kept, _), sealed in reversed(self._sealed.items()) if kept == output_hash), None)

    def __len__(self) -> int:
        return len(self._sealed)

    @property
    def size(self) -> int:
        """Bytes kept (sealed)."""
        return self._bytes

    def _drop(self, key: tuple[bytes, str]) -> None:
        sealed = self._sealed.pop(key, None)
        if sealed is not None:
            self._bytes -= len(sealed)


class OutputServer:
    """A threaded HTTP server answering only GET /outputs/{hash}: 200 with the sealed bytes, else 404."""

    def __init__(self, store: OutputStore, host: str, port: int) -> None:
        self.store = store
        self._httpd = ThreadingHTTPServer((host, port), make_handler(store))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="output-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        self._thread.start()
        log.info("serving sealed outputs at %s%s<hash>", self.url, OUTPUTS_PATH)
        return self.url

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> "OutputServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def make_handler(store: OutputStore) -> type[BaseHTTPRequestHandler]:
    class OutputHandler(BaseHTTPRequestHandler):
        timeout = REQUEST_TIMEOUT_S

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            match = OUTPUT_ROUTE.fullmatch(url.path)
            consumer = parse_qs(url.query).get(CONSUMER_PARAM, [None])[-1]
            sealed = store.get(bytes.fromhex(match[1]), consumer) if match else None
            if sealed is None:
                self.send_error(404, "no such output")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(sealed)))
            self.end_headers()
            self.wfile.write(sealed)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s " + format, self.address_string(), *args)

    return OutputHandler
