"""`/metrics` on a real node, read with prometheus_client's own parser and checked against `/status`."""
from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.node_process import NodeProcess, wait_until

pytestmark = pytest.mark.slow
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(node: NodeProcess) -> Samples:
    answer = node.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def test_metrics_agree_with_status_and_move(single_node: NodeProcess) -> None:
    first = scrape(single_node)
    status = single_node.status()
    # the node may commit between the two reads, never go back
    assert 1 <= first[("akechain_height", ())] <= status["height"]
    assert first[("akechain_validators", ())] == status["validators"] == 1
    assert first[("akechain_peers", ())] == status["peers"] == 0
    assert first[("akechain_mempool_txs", ())] >= 0 and ("akechain_mempool_bytes", ()) in first
    wait_until(lambda: single_node.status()["height"] >= status["height"] + 2, 30, "two more blocks")
    second = scrape(single_node)
    assert second[("akechain_height", ())] >= first[("akechain_height", ())] + 2
    assert second[("akechain_blocks_committed_total", ())] >= first[("akechain_blocks_committed_total", ())] + 2
    assert second[("akechain_block_interval_seconds_count", ())] >= 1
    assert ("akechain_txs_committed_total", ()) in second
    status_ok = (("method", "GET"), ("route", "/status"), ("status", "200"))
    assert second[("akechain_http_requests_total", status_ok)] > first.get(("akechain_http_requests_total", status_ok), 0)
    assert second[("akechain_http_request_seconds_count", (("method", "GET"), ("route", "/status")))] >= 1
    single_node.get("/no/such/path")
    unmatched = (("method", "GET"), ("route", "other"), ("status", "404"))
    assert scrape(single_node)[("akechain_http_requests_total", unmatched)] == 1


def test_metrics_show_wal_fsyncs_and_sync_progress(single_node: NodeProcess) -> None:
    wait_until(lambda: single_node.status()["height"] >= 2, 30, "two blocks")
    samples = scrape(single_node)
    status = single_node.status()
    assert samples[("akechain_wal_fsync_seconds_count", ())] >= 2  # the validator syncs its own votes
    assert samples[("akechain_wal_fsync_seconds_sum", ())] > 0
    assert samples[("akechain_sync_target_height", ())] == status["sync_target_height"] == 0  # no peer to sync from
    assert samples[("akechain_catching_up", ())] == 0 and status["catching_up"] is False
