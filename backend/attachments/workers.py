"""Uploads checked in worker processes (issue 21), not on the event loop's core.

Decoding and re-encoding a photo is ~30 ms of pure CPU that holds the GIL: in a thread
it still stalls every other request of the process, and the machine's other cores stay
idle. A ``ProcessPoolExecutor`` of ``MOTCUA_IMAGE_WORKERS`` processes (default: one per
core; 0: in a thread of this process, as before) does it instead.

- The children are *spawned*, never forked: a fork of a process with an event loop,
  database threads and open sockets copies all of them half-way through.
- The entry is a module-level function taking and returning plain data (bytes, a
  name, a ``CheckedFile``), so that a spawned child can import it. A refusal comes
  back as its problems: ``InvalidInput`` itself does not survive pickling.
- The pool starts at the first upload and stops with the app (``lifespan``).
- A child that dies (killed, out of memory) breaks the whole pool: the upload it held
  is answered 503 with nothing kept, and the next upload gets a new pool. A check that
  runs past ``timeout_s`` has its pool's children killed (the only way to stop one) and
  is answered 503 too.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from backend.attachments.checks import CheckedFile, inspect_upload
from backend.errors import FieldProblem, InvalidInput, Unavailable
from backend.i18n import N_

logger = logging.getLogger(__name__)

# A 40-megapixel photo takes ~1 s on a slow core; thirty means something is wrong.
TIMEOUT_S: Final = 30.0

DIED: Final = N_(
    "Máy chủ gặp sự cố khi kiểm tra tệp này nên chưa lưu tệp. Hãy gửi lại tệp một lần nữa."
)
TOO_SLOW: Final = N_(
    "Máy chủ kiểm tra tệp này quá lâu nên chưa lưu tệp. Hãy thử lại sau ít phút, "
    "hoặc chụp lại ảnh với độ phân giải thấp hơn."
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Refused:
    """``InvalidInput`` as it crosses from a worker process: its problems."""

    problems: tuple[FieldProblem, ...]


def check_in_worker(data: bytes, filename: str) -> CheckedFile | Refused:
    """The pool's entry: ``inspect_upload`` with its refusal as data."""
    try:
        return inspect_upload(data, filename)
    except InvalidInput as error:
        return Refused(tuple(error.problems))


def _ready() -> None:
    """Nothing: a new worker has imported this module (and Pillow) once it ran."""


_PR_SET_PDEATHSIG: Final = 1


def _die_with(parent: int) -> None:
    """A worker's initializer: it ends when the app's process does, even by SIGKILL
    (which runs no clean-up). Otherwise it would wait on its queue forever, an orphan
    holding its memory, one per kill."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the app was gone before the line above
        os._exit(0)


class CheckWorkers:
    """The processes that run the CPU-bound checks; ``workers`` 0: a thread here."""

    def __init__(self, workers: int, timeout_s: float = TIMEOUT_S) -> None:
        self.workers = workers
        self.timeout_s = timeout_s
        self._pool: ProcessPoolExecutor | None = None

    async def inspect(self, data: bytes, filename: str) -> CheckedFile:
        """The safe form of an upload, or ``InvalidInput`` (field "file"), or
        ``Unavailable`` when its worker died or took too long (nothing is kept)."""
        result = await self.run(check_in_worker, data, filename)
        if isinstance(result, Refused):
            raise InvalidInput(problems=result.problems)
        return result

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker: a module-level function, picklable arguments."""
        if not self.workers:
            return await asyncio.to_thread(function, *args)
        pool = self._started()
        try:
            future = pool.submit(function, *args)
        except BrokenProcessPool:
            # Broken while idle (a child killed between uploads): no work was lost,
            # so this upload simply goes to a new pool.
            self._discard(pool)
            pool = self._started()
            future = pool.submit(function, *args)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
        except BrokenProcessPool:
            logger.warning("an upload check's worker process died; starting new ones")
            self._discard(pool)
            raise Unavailable(DIED, field="file") from None
        except TimeoutError:
            logger.warning("an upload check ran over %.0f s; its workers killed", self.timeout_s)
            self._discard(pool, kill=True)
            raise Unavailable(TOO_SLOW, field="file") from None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_die_with,
                initargs=(os.getpid(),),
            )
            # All the workers at once (the executor would spawn one a busy moment,
            # ~1 s of importing each, in the middle of the uploads that need it).
            for _ in range(self.workers):
                self._pool.submit(_ready)
        return self._pool

    def _discard(self, pool: ProcessPoolExecutor, *, kill: bool = False) -> None:
        if self._pool is pool:
            self._pool = None
        if kill:
            # The executor has no public way to stop a running call before Python
            # 3.14 (``kill_workers``); its children are in ``_processes``.
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    @asynccontextmanager
    async def lifespan(self, _: object = None) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.close()
