"""Ed25519 checks of tx batches in a worker process, so the node's second core verifies signatures.

A worker thread does not do it: pynacl releases the GIL for each check, but takes it back after
every one, and while the event loop or a commit runs Python that wait is most of the time (a
measured block sync checked 3-6k signatures/s in a thread against 20k/s on an idle core). A batch
sent to a process is plain bytes in and booleans out; small batches (one client's tx) are checked
here, where a hand-off would cost more than the check. If the worker dies the node does not:
the pool checks in-process from then on and says so once.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from akechain.chain.crypto import SignatureCheck, verify_signatures

log = logging.getLogger(__name__)

MIN_POOLED_BATCH = 64  # fewer checks than this run in the caller's thread (~3 ms at 20k/s)
PARENT_POLL_SECONDS = 1.0


def exit_with_parent(parent_pid: int) -> None:
    """In the worker: exit once the node is gone. A node killed with SIGKILL never closes the pool,
    and the worker, blocked on its task queue, would otherwise outlive it for good."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class SignaturePool:
    """`verify(checks)` is `verify_signatures(checks)`, run by one worker process for large batches.
    Call it from worker threads (it blocks until the batch is done); `close()` stops the worker."""

    def __init__(self, min_pooled_batch: int = MIN_POOLED_BATCH) -> None:
        # spawn, not fork: the node runs threads (trio's, LevelDB's) that a fork would copy mid-state
        self._executor: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=exit_with_parent, initargs=(os.getpid(),))
        self._min_pooled_batch = min_pooled_batch
        self._executor.submit(verify_signatures, [])  # start the worker now, not in the first sync's path

    def verify(self, checks: Sequence[SignatureCheck]) -> list[bool]:
        executor = self._executor
        if executor is None or len(checks) < self._min_pooled_batch:
            return verify_signatures(checks)
        try:
            return executor.submit(verify_signatures, list(checks)).result()
        except (BrokenProcessPool, RuntimeError) as exc:  # the worker died, or the pool is shutting down
            if self._executor is not None:
                log.warning("signature worker process is gone (%s): checking signatures in-process", exc)
                self._executor = None
            return verify_signatures(checks)

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
