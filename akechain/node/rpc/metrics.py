"""`/metrics` in the Prometheus text format: a node's figures in its own CollectorRegistry (several
nodes in one process, as in tests, must not share the global one).

Figures a node already keeps (height, round, mempool, peers) are read at scrape time from its
status, so they always agree with `/status`; what happens between scrapes (commits, HTTP requests)
is counted as it happens."""
from __future__ import annotations

import time
from typing import Any, Callable, Iterator, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute, Match

from akechain.node.rpc.limits import ASGIApp, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED_ROUTE = "other"  # any path no route serves: one label, so clients cannot mint label values
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})  # others count as "OTHER"
BLOCK_INTERVAL_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)

# status() field -> (metric name, help)
STATUS_GAUGES = {
    "height": ("akechain_height", "Height of the last committed block"),
    "round": ("akechain_round", "Consensus round of the height being decided"),
    "mempool_size": ("akechain_mempool_txs", "Txs waiting in the mempool"),
    "mempool_bytes": ("akechain_mempool_bytes", "Bytes of the txs waiting in the mempool"),
    "peers": ("akechain_peers", "Connected p2p peers"),
    "validators": ("akechain_validators", "Validators in the active set"),
    "sync_target_height": ("akechain_sync_target_height", "Highest height a peer claimed in the last sync round"),
    "catching_up": ("akechain_catching_up", "1 while block sync is more than a block behind its peers"),
}
FSYNC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class StatusCollector(Collector):
    """Gauges read from the node's `/status` view, and the gossip verdicts the host counts, on each scrape."""

    def __init__(self, status: Callable[[], dict[str, Any]], verdicts: Callable[[], Mapping[tuple[str, str], int]]) -> None:
        self._status = status
        self._verdicts = verdicts

    def collect(self) -> Iterator[Metric]:
        doc = self._status()
        for field, (name, help_text) in STATUS_GAUGES.items():
            yield GaugeMetricFamily(name, help_text, value=int(doc[field]))
        gossip = CounterMetricFamily("akechain_gossip_messages", "Peers' gossip messages by topic and validator verdict",
                                     labels=["topic", "verdict"])
        for (topic, verdict), count in sorted(self._verdicts().items()):
            gossip.add_metric([topic, verdict], count)
        yield gossip


class NodeMetrics:
    """The metrics of one node."""

    def __init__(self, status: Callable[[], dict[str, Any]],
                 verdicts: Callable[[], Mapping[tuple[str, str], int]] = dict) -> None:
        self.registry = CollectorRegistry()  # no auto_describe: the collector reads a running node only
        self.registry.register(StatusCollector(status, verdicts))
        self.txs_committed = Counter("akechain_txs_committed", "Txs committed in blocks", registry=self.registry)
        self.blocks_committed = Counter("akechain_blocks_committed", "Blocks this node committed since it started",
                                        registry=self.registry)
        self.block_interval = Histogram("akechain_block_interval_seconds",
                                        "Time between consecutive block headers", buckets=BLOCK_INTERVAL_BUCKETS,
                                        registry=self.registry)
        self.http_requests = Counter("akechain_http_requests", "HTTP requests answered",
                                     ["method", "route", "status"], registry=self.registry)
        self.http_seconds = Histogram("akechain_http_request_seconds", "Time to answer an HTTP request",
                                      ["method", "route"], registry=self.registry)
        self.wal_fsync = Histogram("akechain_wal_fsync_seconds", "Time of each consensus WAL fsync",
                                   buckets=FSYNC_BUCKETS, registry=self.registry)
        self._last_block_time_ms: int | None = None

    def observe_commit(self, tx_count: int, block_time_ms: int) -> None:
        self.blocks_committed.inc()
        self.txs_committed.inc(tx_count)
        if self._last_block_time_ms is not None and block_time_ms >= self._last_block_time_ms:
            self.block_interval.observe((block_time_ms - self._last_block_time_ms) / 1000)
        self._last_block_time_ms = block_time_ms

    def render(self) -> bytes:
        return generate_latest(self.registry)


class HTTPMetrics:
    """ASGI middleware counting requests and their latency per route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: NodeMetrics, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    def route_of(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return getattr(route, "path", UNMATCHED_ROUTE)
        return UNMATCHED_ROUTE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless the app starts an answer

        async def recording_send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = self.route_of(scope)
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_seconds.labels(method, route).observe(time.perf_counter() - started)
