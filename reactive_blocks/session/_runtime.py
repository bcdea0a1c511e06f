"""The runtime of one served app: its graph, scheduler and live sessions."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

from reactive_blocks.declaration import AppSpec, Component
from reactive_blocks.graph import Graph
from reactive_blocks.scheduler import (
    POSITION_INTERVAL,
    Executor,
    LocalExecutor,
    Scheduler,
)
from reactive_blocks.session._outbox import Sink
from reactive_blocks.session._session import Session
from reactive_blocks.session._state_keeper import StateKeeper

#: Uploads checked whole at once, across all sessions. A check of a
#: 50-megapixel image holds about 150 MB while it runs: 45 of them at once
#: held 3 to 6 GB, which the C allocator then kept after they ended. More
#: uploads than this wait their turn; their sessions' later messages with them.
CHECK_THREADS: Final = 2


class Runtime:
    """Everything one app needs at run time, below the transport.

    Sessions are kept by id so that later transports can find a session by
    what the client proves, not by which socket it came on.

    Args:
        spec: The app description.
        executor: Where listener functions run; a ``LocalExecutor`` if None.
        show_error: Whether error messages of user functions reach the page.
        max_threads: Threads of the default executor.
        clock: Injectable time source for the scheduler.
        state_session_capacity: Sessions whose ``State`` values are kept.
        reconnect_grace: Seconds a session whose connection was lost waits
            for the client to resume it; 0 ends it at once.
    """

    def __init__(
        self,
        spec: AppSpec,
        *,
        executor: Executor | None = None,
        show_error: bool = False,
        max_threads: int = 40,
        clock: Callable[[], float] = time.monotonic,
        state_session_capacity: int = 10000,
        reconnect_grace: float = 60.0,
    ) -> None:
        self.spec = spec
        self.graph = Graph(spec)
        self.executor = executor or LocalExecutor(max_threads)
        rate = spec.queue.status_update_rate
        self.scheduler = Scheduler(
            self.graph,
            self.executor,
            max_size=spec.queue.max_size,
            clock=clock,
            position_interval=POSITION_INTERVAL if rate == "auto" else float(rate),
        )
        self.show_error = show_error
        self.sessions: dict[str, Session] = {}
        self.state_keeper = StateKeeper(state_session_capacity)
        self.reconnect_grace = reconnect_grace
        self._tokens: dict[str, Session] = {}
        self._checks: ThreadPoolExecutor | None = None

    def check_whole(
        self, components: Sequence[Component], values: Sequence[Any]
    ) -> asyncio.Future[None] | None:
        """Start checking the values whole that need it, off the loop.

        Only values (not None) of components with a ``check_whole`` are
        checked; None when there are none. The future's exception is the
        ValueError of the first value that fails.
        """
        checks = [
            (c, v)
            for c, v in zip(components, values, strict=True)
            if c.checks_whole and v is not None
        ]
        if not checks:
            return None
        if self._checks is None:
            self._checks = ThreadPoolExecutor(
                CHECK_THREADS, thread_name_prefix="reactive_blocks_check"
            )
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._checks, _check_whole, checks)

    def open_session(self, sink: Sink) -> Session:
        """Mint a session for a new connection; the id is never the client's."""
        key = secrets.token_urlsafe(16)
        session = Session(key, self, sink)
        self.sessions[key] = session
        return session

    def mint_token(self, session: Session) -> str:
        """A new secret that resumes ``session``, until ``forget_token``."""
        token = secrets.token_urlsafe(32)
        self._tokens[token] = session
        return token

    def forget_token(self, token: str | None) -> None:
        """Make ``token`` resume nothing."""
        if token is not None:
            self._tokens.pop(token, None)

    def session_for_token(self, token: Any) -> Session | None:
        """The live session ``token`` resumes, if any."""
        if not isinstance(token, str):
            return None
        session = self._tokens.get(token)
        if session is None or not session.is_open:
            return None
        return session

    def forget(self, session: Session) -> None:
        """Drop a closed session."""
        self.sessions.pop(session.key, None)
        self.state_keeper.forget(session)

    async def close(self) -> None:
        """End every session (unload fires for each), then stop the executor."""
        await asyncio.gather(
            *(s.close() for s in list(self.sessions.values())), return_exceptions=True
        )
        self.executor.shutdown()
        if self._checks is not None:
            self._checks.shutdown(wait=False, cancel_futures=True)


def _check_whole(checks: list[tuple[Component, Any]]) -> None:
    for component, value in checks:
        component.check_whole(value)
