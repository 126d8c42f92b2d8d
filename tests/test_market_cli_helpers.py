"""Pure pieces behind the market commands: workload encoding, input parsing, price policies,
the sandbox's limits."""
from __future__ import annotations

import json

import pytest

from akechain.client.market import (
    MarketInputError,
    Workload,
    build_policy,
    decode_workload,
    encode_workload,
    parse_resources,
)
from akechain.chain.modules.market.msgs import MAX_WORKLOAD, POLICY_REDUNDANCY, Resources
from akechain.agents.provider.pricing import FixedPrice, FractionOfMax, parse_price_policy
from test_market_support import job_msg


def test_workload_round_trips_and_fits_the_job_field() -> None:
    argv = ["python3", "-c", "print('x' * 40); import sys; sys.stdout.write('=' * 100)"]
    payload = encode_workload(argv, image="alpine:3")
    job_msg(workload=payload).validate_basic()  # the chain accepts it
    assert payload == b'{"argv":' + json.dumps(argv, separators=(",", ":")).encode() + b',"image":"alpine:3"}'
    assert decode_workload(payload) == Workload(tuple(argv), "alpine:3")
    assert decode_workload(encode_workload(["true"])) == Workload(("true",), "")
    for bad in (b"", b"\xff", b"[]", b'{"argv":[]}', b'{"argv":[],"image":""}', b'{"argv":[1],"image":""}',
                b'{"argv":["x"],"image":null}', b'{"argv":["x"],"image":"","env":{}}'):
        assert decode_workload(bad) is None, bad
    with pytest.raises(MarketInputError, match="too long"):
        encode_workload(["x" * MAX_WORKLOAD])
    with pytest.raises(MarketInputError, match="needs a command"):
        encode_workload([])


def test_resources_and_policies_from_text() -> None:
    assert parse_resources("cpu_cores=2, gpu_model=A100,gpu_count=1") == Resources(2, "A100", 1, 0, 0, 0)
    assert parse_resources("") == Resources(0, "", 0, 0, 0, 0)
    for bad in ("cpu_cores", "cpu_cores=x", "cpus=2", "memory_mb=-1"):
        with pytest.raises(MarketInputError):
            parse_resources(bad)
    assert build_policy("2/3", None).kind == POLICY_REDUNDANCY
    for redundancy, spot in (("1/2", None), ("two/3", None), ("2/3", 100)):
        with pytest.raises(MarketInputError):
            build_policy(redundancy, spot)


def test_price_policies() -> None:
    assert parse_price_policy("fixed:30") == FixedPrice(30)
    assert FixedPrice(30).price(20) is None and FixedPrice(30).price(30) == 30
    assert parse_price_policy("fraction:5000").price(101) == 50 and FractionOfMax(1).price(10) == 1
    for bad in ("fixed:0", "fraction:10001", "cheap:3", "fixed"):
        with pytest.raises(ValueError):
            parse_price_policy(bad)
