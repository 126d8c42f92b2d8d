"""Run a job's command as a bounded local process: no shell, a fresh temp working directory, a
minimal environment, and rlimits on address space, CPU time, file size and core dumps; a wall-clock
limit kills the whole process group. A docker image is run only when docker is installed."""
from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Callable

MAX_FILE_BYTES = 64 * 1024 * 1024


class SandboxError(Exception):
    """The command could not be started at all (missing executable, docker absent)."""


@dataclass(frozen=True, slots=True)
class RunResult:
    stdout: bytes
    returncode: int  # negative: killed by that signal
    seconds: float
    timed_out: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def output_hash(self) -> bytes:
        return compute_output_hash(self.stdout)


def compute_output_hash(stdout: bytes) -> bytes:
    """What a receipt commits to: sha256 of the command's stdout."""
    return hashlib.sha256(stdout).digest()


def has_docker() -> bool:
    return shutil.which("docker") is not None


def docker_argv(image: str, argv: tuple[str, ...], memory_mb: int) -> list[str]:
    return ["docker", "run", "--rm", "--network", "none", "--memory", f"{memory_mb}m", image, *argv]


def limit_resources(memory_mb: int, cpu_seconds: int) -> Callable[[], None]:
    """A preexec_fn applying the limits in the child, before exec."""

    def apply() -> None:
        memory = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_sandboxed(argv: tuple[str, ...], time_limit_s: float, memory_mb: int, image: str = "") -> RunResult:
    """Run `argv` (inside `image` if given) and capture its stdout; stderr is discarded."""
    if image:
        if not has_docker():
            raise SandboxError(f"the job names image {image!r} but docker is not installed")
        argv, preexec = tuple(docker_argv(image, argv, memory_mb)), None
    else:
        preexec = limit_resources(memory_mb, int(time_limit_s) + 1)
    with tempfile.TemporaryDirectory(prefix="ake-job-") as workdir:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir, "LANG": "C.UTF-8"}
        started = time.monotonic()
        try:
            proc = subprocess.Popen(list(argv), cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, preexec_fn=preexec, start_new_session=True)
        except OSError as exc:
            raise SandboxError(f"cannot start {argv[0]!r}: {exc}") from exc
        timed_out = False
        try:
            stdout, _ = proc.communicate(timeout=time_limit_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, _ = proc.communicate()
        return RunResult(stdout, proc.returncode, time.monotonic() - started, timed_out)
