"""Writing to the store from the gateway's event loop without waiting on the database.

Every gateway request ends with a usage row and a bump of its key's counters. A database write
can wait (SQLite's lock, PostgreSQL's network), and waiting on the event loop stalls every
stream it serves. So `BatchWriter.put` only appends to a list; one job on the loop's default
executor (a worker thread) writes what has gathered, then whatever gathered meanwhile, until the
list is empty. Under load, the rows of many requests go in one statement. With no event loop
running (a script, a test), `put` writes at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger("drupe.gateway")

T = TypeVar("T")

MAX_BATCH = 500
"""Rows per statement at most, so one write never holds the database for long."""

GATHER_SECONDS = 0.5
"""How long a job waits for more rows before its first write. Writing costs CPU, and Python
threads share one interpreter lock: a write per request, made while the next request is being
relayed, added about a millisecond to its first token. Gathered, requests one after another
share a write; a crash loses at most this much usage (never an answer)."""


class BatchWriter(Generic[T]):
    """Gathers items and hands them to `write` in batches, off the event loop."""

    def __init__(self, write: Callable[[list[T]], None], what: str) -> None:
        self._write = write
        self._what = what
        self._lock = threading.Lock()
        self._items: list[T] = []
        self._busy = False
        self._job: asyncio.Future[None] | None = None
        self._wake = threading.Event()
        """Set to end a job's gathering early (`drain`, `aclose`)."""
        self._idle = threading.Event()
        """Set while no job is writing or waiting to."""
        self._idle.set()

    def put(self, item: T) -> None:
        """Queue `item`; never waits on the database when called on an event loop."""
        with self._lock:
            self._items.append(item)
            if self._busy:
                return  # the running job takes it
            self._busy = True
            self._idle.clear()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.drain()
            return
        try:
            self._job = loop.run_in_executor(None, self._gather_then_run)
        except RuntimeError:  # the loop is shutting down its executor
            self.drain()

    def _gather_then_run(self) -> None:
        self._wake.wait(GATHER_SECONDS)
        self._wake.clear()
        self._run()

    def _run(self) -> None:
        """The job: write batches until nothing is left, then let the next `put` start a new job."""
        while True:
            with self._lock:
                batch, self._items = self._items[:MAX_BATCH], self._items[MAX_BATCH:]
                if not batch:
                    self._busy = False
                    self._idle.set()
                    return
            try:
                self._write(batch)
            except Exception:  # a lost record must not take the gateway down with it
                log.exception("Could not write %d gateway %s to the database", len(batch), self._what)

    def drain(self) -> None:
        """Write everything queued now: in this thread, or by waking the job that holds it and
        waiting for it."""
        with self._lock:
            running = self._busy and self._job is not None and not self._job.done()
            if not running:
                self._busy = True
                self._idle.clear()
        if running:
            self._wake.set()
            self._idle.wait()
            return
        self._run()

    def pending(self) -> int:
        with self._lock:
            return len(self._items)

    async def aclose(self) -> None:
        """Wait until everything queued so far is written."""
        while True:
            job = self._job
            if job is not None and not job.done():
                self._wake.set()
                if job.get_loop() is asyncio.get_running_loop():
                    await asyncio.shield(job)
                else:  # started on another loop, in its executor: wait for it to finish
                    await asyncio.sleep(0.01)
                continue
            with self._lock:
                left = bool(self._items)
            if not left:
                return
            await asyncio.to_thread(self.drain)
