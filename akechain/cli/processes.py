"""Stop processes by pid, all at once: SIGTERM each, wait for every one under one deadline, SIGKILL the rest.

Exit is detected without being fooled by zombies: `os.kill(pid, 0)` succeeds on an exited child that is
not reaped yet, so our own children are reaped with `waitpid`, and others are checked in /proc.
"""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path

POLL = 0.05


def is_running(pid: int) -> bool:
    """True while `pid` is a live process (neither gone nor a zombie); reaps it if it is our child."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # Not our child: its parent reaps it.
        reaped = 0
    else:
        if reaped == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # Another user's process now holds the pid: ours is gone.
        return False
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # Gone meanwhile, or no /proc: kill(pid, 0) already said it exists.
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def stop_all(pids: Iterable[int], grace: float) -> set[int]:
    """SIGTERM every pid, wait up to `grace` seconds for all of them, SIGKILL what is left.

    Returns the pids that were running (and are now stopped); returns within about `grace` seconds.
    """
    running = set()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
            running.add(pid)
        except ProcessLookupError:
            pass
    pending = set(running)
    deadline = time.monotonic() + grace
    while pending and time.monotonic() < deadline:
        pending = {pid for pid in pending if is_running(pid)}
        if pending:
            time.sleep(POLL)
    for pid in pending:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    kill_deadline = time.monotonic() + 1.0
    while pending and time.monotonic() < kill_deadline:  # reap our killed children so none stays a zombie
        pending = {pid for pid in pending if is_running(pid)}
        if pending:
            time.sleep(POLL)
    return running
