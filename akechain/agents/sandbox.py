"""Run a stranger's job without trusting it.

A command runs inside bubblewrap (`bwrap`): the system directories read-only, a fresh tmpfs
working directory as the only writable place, no view of the provider's home, keys or other
files, its own PID namespace (so killing the sandbox kills everything the job forked, even a
`setsid` grandchild), no network unless the job asks and the provider allows it, and rlimits on
memory, CPU time and file size. A job naming an image runs under docker or podman with the image
name checked, `--network none`, a read-only root and memory/CPU/pids limits, and the container is
removed on timeout. Without a sandbox the command runs on the host only when the caller says
`unsafe_no_sandbox` (the provider agent's `--unsafe-no-sandbox`).

Output is read under the wall-clock deadline and capped in bytes: neither a job that keeps its
stdout open nor a chatty one can hold or exhaust the agent.
"""
from __future__ import annotations

import os
import re
import resource
import secrets
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Callable

from akechain.client.outputs import MAX_OUTPUT_BYTES, compute_output_hash

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_STDOUT_BYTES = MAX_OUTPUT_BYTES  # what a consumer accepts back
MAX_STDERR_BYTES = 64 * 1024
MAX_MEMORY_MB = 1024 * 1024  # 1 TiB: anything larger is a mistake, refused before starting
CONTAINER_PIDS_LIMIT = 256
EXIT_GRACE_S = 0.2  # after the job exits, how long an inherited stdout may stay open
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")
# The few files under /etc programs need to start (the dynamic loader's cache, locale, users).
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/alternatives", "/etc/localtime", "/etc/passwd",
                "/etc/group", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates", "/etc/resolv.conf", "/etc/hosts")

# A docker reference: [registry[:port]/]name[/name...][:tag][@sha256:digest], lower-case names.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REGISTRY = r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?"
IMAGE_RE = re.compile(
    rf"(?:{_REGISTRY}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(?:@sha256:[0-9a-f]{{64}})?"
)
MAX_IMAGE_CHARS = 255


class SandboxError(Exception):
    """The command could not be started (missing executable, no sandbox, limits the OS refused)."""


class SandboxUnavailableError(SandboxError):
    """No sandbox can run this job here, and running it on the host was not allowed."""


class ImageNameError(SandboxError):
    """A job's image name is not a plain registry/name[:tag|@digest] reference."""


@dataclass(frozen=True, slots=True)
class SandboxPolicy:
    """What the agent's operator allows: network for jobs that ask for it, and (unsafe) the host."""

    allow_network: bool = False
    unsafe_no_sandbox: bool = False


@dataclass(frozen=True, slots=True)
class RunResult:
    stdout: bytes
    returncode: int  # negative: killed by that signal
    seconds: float
    timed_out: bool
    output_capped: bool = False  # stdout passed MAX_STDOUT_BYTES: the job was stopped
    stderr: bytes = b""  # the first MAX_STDERR_BYTES, for the operator's log

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.output_capped

    @property
    def output_hash(self) -> bytes:
        return compute_output_hash(self.stdout)


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def container_engine() -> str | None:
    """docker or podman, whichever is installed (docker first)."""
    return shutil.which("docker") or shutil.which("podman")


def sandbox_problem(image: str, network: bool, policy: SandboxPolicy) -> str | None:
    """Why this agent cannot run such a job safely (None: it can); agents refuse to bid on it."""
    if network and not policy.allow_network:
        return "the job asks for network access and this agent does not allow it (--allow-network)"
    if image:
        if container_engine() is None:
            return f"the job names image {image!r} and neither docker nor podman is installed"
        return None
    if bwrap_path() is None and not policy.unsafe_no_sandbox:
        return ("bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`, or start the agent with "
                "--unsafe-no-sandbox to run strangers' code on this host")
    return None


def validate_image(image: str) -> str:
    """The image name if it is a plain reference; never something a container CLI reads as an option."""
    if len(image) > MAX_IMAGE_CHARS or not IMAGE_RE.fullmatch(image):
        raise ImageNameError(f"image {image[:80]!r} is not a registry/name[:tag|@sha256:digest] reference")
    return image


def bwrap_argv(bwrap: str, argv: tuple[str, ...], workdir: str, network: bool) -> list[str]:
    """bubblewrap around `argv`: read-only system, tmpfs everywhere else, `workdir` as /work."""
    args = [bwrap, "--die-with-parent", "--new-session", "--unshare-all", "--clearenv",
            "--setenv", "PATH", SANDBOX_PATH, "--setenv", "HOME", "/work", "--setenv", "LANG", "C.UTF-8"]
    if network:
        args.append("--share-net")
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in SYSTEM_FILES:
        args += ["--ro-bind-try", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", workdir, "/work", "--chdir", "/work",
             "--", *argv]
    return args


def container_argv(engine: str, image: str, argv: tuple[str, ...], name: str, memory_mb: int, cpus: int,
                   network: bool) -> list[str]:
    """`engine run` with every option before the (validated) image, the job's argv after it."""
    return [engine, "run", "--rm", "--name", name, "--network", "bridge" if network else "none", "--read-only",
            "--tmpfs", "/tmp", "--memory", f"{memory_mb}m", "--cpus", str(max(cpus, 1)),
            "--pids-limit", str(CONTAINER_PIDS_LIMIT), "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            validate_image(image), *argv]


def limit_resources(memory_mb: int, cpu_seconds: int) -> Callable[[], None]:
    """A preexec_fn applying the limits in the child, before exec."""

    def apply() -> None:
        memory = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_sandboxed(argv: tuple[str, ...], time_limit_s: float, memory_mb: int, image: str = "", *,
                  network: bool = False, cpus: int = 1, policy: SandboxPolicy = SandboxPolicy()) -> RunResult:
    """Run a job's `argv` (inside `image` if given) under the strongest sandbox available and
    capture its stdout; SandboxError if it cannot be run as the policy requires."""
    if not 0 < memory_mb <= MAX_MEMORY_MB:
        raise SandboxError(f"memory limit {memory_mb} MB is outside 1..{MAX_MEMORY_MB}")
    if image:
        validate_image(image)
    problem = sandbox_problem(image, network, policy)
    if problem is not None:
        raise SandboxUnavailableError(problem)
    with tempfile.TemporaryDirectory(prefix="ake-job-") as workdir:
        cleanup: Callable[[], None] = lambda: None
        if image:
            engine = container_engine() or ""
            name = f"ake-job-{secrets.token_hex(6)}"
            command, preexec = container_argv(engine, image, argv, name, memory_mb, cpus, network), None
            cleanup = lambda: remove_container(engine, name)
        elif (bwrap := bwrap_path()) is not None:
            command, preexec = bwrap_argv(bwrap, argv, workdir, network), limit_resources(memory_mb, int(time_limit_s) + 1)
        else:  # policy.unsafe_no_sandbox: the operator accepted running it on the host
            command, preexec = list(argv), limit_resources(memory_mb, int(time_limit_s) + 1)
        env = {"PATH": SANDBOX_PATH, "HOME": workdir, "LANG": "C.UTF-8"}
        return run_bounded(command, workdir, env, preexec, time_limit_s, cleanup)


def remove_container(engine: str, name: str) -> None:
    subprocess.run([engine, "rm", "-f", name], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=30, check=False)


def run_bounded(command: list[str], cwd: str, env: dict[str, str], preexec: Callable[[], None] | None,
                time_limit_s: float, on_timeout: Callable[[], None]) -> RunResult:
    """Start `command` in its own session and read its output until it exits (plus a short grace
    for an inherited stdout), the deadline passes, or stdout passes its cap; then kill the session."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, preexec_fn=preexec, start_new_session=True)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:  # SubprocessError: a limit the OS refused
        raise SandboxError(f"cannot start {command[0]!r}: {exc}") from exc
    assert proc.stdout is not None and proc.stderr is not None
    out, err = Capture(MAX_STDOUT_BYTES), Capture(MAX_STDERR_BYTES)
    timed_out = False
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ, out)
        selector.register(proc.stderr, selectors.EVENT_READ, err)
        exited_at: float | None = None
        while selector.get_map() and not out.overflowed:
            now = time.monotonic()
            if now >= started + time_limit_s:
                timed_out = True
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now >= exited_at + EXIT_GRACE_S:
                break  # the job is done; whatever still holds its pipes is killed below
            for key, _ in selector.select(timeout=min(0.05, started + time_limit_s - now)):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    key.data.add(chunk)
                else:
                    selector.unregister(key.fileobj)
    kill_session(proc)
    if timed_out:
        on_timeout()
    proc.stdout.close()
    proc.stderr.close()
    return RunResult(out.data(), proc.returncode, time.monotonic() - started, timed_out, out.overflowed, err.data())


def kill_session(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the job's whole session (with bwrap, its PID namespace dies with it) and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # already gone with everything it started
    proc.wait()


class Capture:
    """Bytes read from one pipe, up to a cap; `overflowed` once more arrived than fits."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.chunks: list[bytes] = []
        self.size = 0
        self.overflowed = False

    def add(self, chunk: bytes) -> None:
        room = self.cap - self.size
        if len(chunk) > room:
            self.overflowed = True
            chunk = chunk[:room]
        self.chunks.append(chunk)
        self.size += len(chunk)

    def data(self) -> bytes:
        return b"".join(self.chunks)
