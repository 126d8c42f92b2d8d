"""The job sandbox as an attacker's job would probe it: the provider's files, the loopback network,
escaped children, floods of output, hostile image names and limits the OS refuses."""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from akechain.agents import sandbox
from akechain.agents.sandbox import (
    ImageNameError,
    SandboxError,
    SandboxPolicy,
    SandboxUnavailableError,
    compute_output_hash,
    container_argv,
    run_sandboxed,
    sandbox_problem,
    validate_image,
)
from akechain.client.market import decode_workload, encode_workload


@pytest.fixture
def bwrap() -> None:
    """bubblewrap is a system tool `make test` installs; only outside CI may a machine lack it."""
    if sandbox.bwrap_path() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("bwrap is missing in CI: `make test` installs bubblewrap with apt-get")
        pytest.skip("bubblewrap not installed (apt-get install bubblewrap); CI runs this")


def test_a_job_runs_in_a_fresh_work_directory_and_its_stdout_is_hashed(bwrap) -> None:
    result = run_sandboxed(("python3", "-c", "import os; print(6*7, os.getcwd())"), 10, 512)
    assert result.ok and result.stdout == b"42 /work\n"
    assert result.output_hash == compute_output_hash(result.stdout)


def test_a_job_cannot_read_the_providers_files(bwrap, tmp_path: Path) -> None:
    secret = tmp_path / "keyring" / "validator.key"
    secret.parent.mkdir()
    secret.write_text("the provider's key")
    home_file = Path.home() / ".ake-sandbox-probe"
    home_file.write_text("in the agent's home")
    try:
        for path in (secret, home_file):
            result = run_sandboxed(("cat", str(path)), 10, 256)
            assert result.returncode != 0 and b"key" not in result.stdout and b"home" not in result.stdout
    finally:
        home_file.unlink()
    assert run_sandboxed(("sh", "-c", "echo x > /usr/probe"), 10, 256).returncode != 0  # the system is read-only


def test_a_job_has_no_network_unless_it_asks_and_the_agent_allows(bwrap) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        probe = ("python3", "-c", f"import socket; socket.create_connection(('127.0.0.1', {port}), 2); print('in')")
        assert run_sandboxed(probe, 10, 256).stdout == b""
        with pytest.raises(SandboxUnavailableError, match="--allow-network"):
            run_sandboxed(probe, 10, 256, network=True)
        allowed = run_sandboxed(probe, 10, 256, network=True, policy=SandboxPolicy(allow_network=True))
        assert allowed.stdout == b"in\n"


def still_running(marker: str) -> bool:
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                return True
        except OSError:
            continue
    return False


def test_the_time_limit_kills_everything_the_job_started(bwrap) -> None:
    started = time.monotonic()
    escaped = run_sandboxed(("sh", "-c", "setsid sleep 6 & echo hi"), 1, 256)
    assert escaped.stdout == b"hi\n" and time.monotonic() - started < 3
    marker = "7777.25"
    slow = run_sandboxed(("sh", "-c", f"setsid sleep {marker} & sleep 30"), 1, 256)
    assert slow.timed_out and not slow.ok and slow.seconds < 3
    time.sleep(0.2)
    assert not still_running(marker), "a forked grandchild outlived the time limit"


def test_output_is_capped_in_bytes(bwrap) -> None:
    chatty = run_sandboxed(("sh", "-c", "yes; yes >&2"), 10, 256)
    assert chatty.output_capped and not chatty.ok and len(chatty.stdout) == sandbox.MAX_STDOUT_BYTES
    assert chatty.seconds < 5
    noisy = run_sandboxed(("sh", "-c", "head -c 1000000 /dev/zero >&2; echo done"), 10, 256)
    assert noisy.ok and noisy.stdout == b"done\n" and len(noisy.stderr) == sandbox.MAX_STDERR_BYTES


def test_memory_limits_hold_and_a_refused_one_is_a_clear_error(bwrap) -> None:
    hog = run_sandboxed(("python3", "-c", "x = bytearray(400 * 1024 * 1024)"), 10, 256)
    assert hog.returncode != 0
    with pytest.raises(SandboxError, match="memory limit"):
        run_sandboxed(("true",), 10, 10**12)

    def refused() -> None:  # what setrlimit does in the child when the OS will not grant a limit
        raise ValueError("not allowed to raise maximum limit")

    with pytest.raises(SandboxError, match="cannot start"):
        sandbox.run_bounded(["true"], "/", {}, refused, 1, lambda: None)
    with pytest.raises(SandboxError, match="cannot start"):
        sandbox.run_bounded(["/nonexistent/command"], "/", {}, None, 1, lambda: None)


def test_hostile_image_names_are_refused_and_never_reach_the_options() -> None:
    for bad in ("-v/:/host", "--privileged", "alpine --network host", "Alpine", "a" * 300, "", "alpine:", "x@sha256:00"):
        with pytest.raises(ImageNameError):
            validate_image(bad)
    for good in ("alpine", "alpine:3.20", "library/python:3.11-slim", "ghcr.io/acme/job:v1", "localhost:5000/x",
                 "busybox@sha256:" + "a" * 64):
        assert validate_image(good) == good
    argv = container_argv("docker", "alpine:3.20", ("-rf", "/"), "ake-job-1", 64, 1, network=False)
    assert argv[argv.index("alpine:3.20") + 1:] == ["-rf", "/"]
    options = argv[:argv.index("alpine:3.20")]
    assert options[options.index("--network") + 1] == "none" and "--read-only" in options and "--pids-limit" in options
    with pytest.raises(ImageNameError):
        run_sandboxed(("true",), 10, 64, "--privileged")


def test_without_a_sandbox_jobs_are_refused_unless_the_operator_accepts_the_risk(monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    assert "apt-get install bubblewrap" in sandbox_problem("", False, SandboxPolicy())
    with pytest.raises(SandboxUnavailableError):
        run_sandboxed(("echo", "hi"), 10, 256)
    assert sandbox_problem("", False, SandboxPolicy(unsafe_no_sandbox=True)) is None
    assert run_sandboxed(("echo", "hi"), 10, 256, policy=SandboxPolicy(unsafe_no_sandbox=True)).stdout == b"hi\n"
    monkeypatch.setattr(sandbox, "container_engine", lambda: None)
    assert "docker nor podman" in sandbox_problem("alpine", False, SandboxPolicy(unsafe_no_sandbox=True))


def test_workloads_say_whether_they_need_the_network() -> None:
    plain = encode_workload(["echo", "hi"])
    assert plain == b'{"argv":["echo","hi"],"image":""}'  # unchanged for jobs that need none
    assert decode_workload(plain).network is False
    assert decode_workload(encode_workload(["curl", "x"], network=True)).network is True
    assert decode_workload(b'{"argv":["a"],"image":"","network":"yes"}') is None
    assert decode_workload(b'{"argv":["a"],"image":"","extra":1}') is None
