"""``gr.Progress``: a progress bar over a listener's outputs, pushed to the page."""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final, TypeVar

from reactive_blocks.scheduler._context import current_run, report_progress

T = TypeVar("T")

#: Progress updates closer together than this are merged: a tight loop
#: reporting every item would otherwise flood the socket.
MIN_INTERVAL: Final = 0.05


class Progress:
    """Declare as a parameter default to report progress from a listener.

    Example:
        >>> def slow(text, progress=gr.Progress()):
        ...     for letter in progress.tqdm(text, desc="Reading"):
        ...         time.sleep(0.1)
        ...     return text

    Args:
        track_tqdm: Also report every ``tqdm`` progress bar the function
            runs (when the ``tqdm`` package is installed).
    """

    def __init__(self, track_tqdm: bool = False) -> None:
        self.track_tqdm = track_tqdm
        self._last = 0.0
        self._held: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def __call__(
        self,
        progress: float | tuple[int, int | None] | None,
        desc: str | None = None,
        total: int | None = None,
        unit: str = "steps",
    ) -> None:
        """Report ``progress``: a fraction in [0, 1], ``(index, length)``, or None.

        Updates leave at most every 50 ms; one that comes sooner is held
        and sent when the 50 ms are up, unless a newer one replaces it, so
        the bar always reaches the newest report. An update that completes
        a bar leaves at once.
        """
        update: dict[str, Any] = {"desc": desc, "unit": unit}
        if isinstance(progress, tuple):
            index, length = progress
            update |= {"index": index, "length": length}
            update["fraction"] = index / length if length else None
        else:
            update["fraction"] = progress
            if total is not None:
                update["length"] = total

        now = time.monotonic()
        with self._lock:
            finishing = update["fraction"] is not None and update["fraction"] >= 1
            wait = self._last + MIN_INTERVAL - now
            if not finishing and wait > 0:
                if self._held is None:
                    self._release_later(wait)
                self._held = update
                return
            self._last = now
            self._held = None
        report_progress(update)

    def _release_later(self, delay: float) -> None:
        run = current_run.get()
        if run is not None:
            # The callbacks inherit this context, so the release finds the run.
            run.loop.call_soon_threadsafe(run.loop.call_later, delay, self._release)

    def _release(self) -> None:
        with self._lock:
            update, self._held = self._held, None
            if update is None:
                return  # a newer update already left
            self._last = time.monotonic()
        report_progress(update)

    def tqdm(
        self,
        iterable: Iterable[T],
        desc: str | None = None,
        total: int | None = None,
        unit: str = "steps",
    ) -> Iterator[T]:
        """Iterate ``iterable``, reporting progress after each item."""
        if total is None:
            with contextlib.suppress(TypeError):
                total = len(iterable)  # type: ignore[arg-type]
        self((0, total), desc=desc, unit=unit)
        for index, item in enumerate(iterable, start=1):
            yield item
            self((index, total), desc=desc, unit=unit)


def progress_parameters(fn: Callable[..., Any]) -> dict[str, Progress]:
    """The parameters of ``fn`` whose default is a ``Progress``."""
    import inspect

    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return {}
    return {
        name: parameter.default
        for name, parameter in signature.parameters.items()
        if isinstance(parameter.default, Progress)
    }


_tracked: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "reactive_blocks_tracked_tqdm", default=None
)
_patched = False


@contextlib.contextmanager
def tracking_tqdm(progress: Progress) -> Iterator[None]:
    """Report every tqdm bar updated in this context to ``progress``."""
    _patch_tqdm()
    token = _tracked.set(progress)
    try:
        yield
    finally:
        _tracked.reset(token)


def _patch_tqdm() -> None:
    global _patched
    if _patched:
        return
    try:
        from tqdm import std
    except ImportError:
        return
    update, iterate = std.tqdm.update, std.tqdm.__iter__

    def reporting_update(self: Any, n: float | None = 1) -> bool | None:
        result = update(self, n)
        _report(self, int(self.n))
        return result

    def reporting_iter(self: Any) -> Iterator[Any]:
        # tqdm's own loop updates its count only every few items.
        for done, item in enumerate(iterate(self), start=self.initial + 1):
            yield item
            _report(self, done)

    std.tqdm.update = reporting_update
    std.tqdm.__iter__ = reporting_iter
    _patched = True


def _report(bar: Any, done: int) -> None:
    progress = _tracked.get()
    if progress is not None:
        progress((done, bar.total), desc=bar.desc or None, unit=bar.unit)
