"""Bounds on per-session ``State``: capacity across sessions, time to live."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reactive_blocks.session._session import Session


class StateKeeper:
    """Keeps ``State`` values of at most ``capacity`` sessions.

    Sessions are ordered by when they last stored a State value; past the
    capacity, the oldest sessions' State values are deleted (their
    ``delete_callback`` runs) and those sessions fall back to fresh initial
    values.

    Args:
        capacity: ``launch(state_session_capacity=…)``.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(
                f"state_session_capacity must be at least 1, got {capacity}"
            )
        self.capacity = capacity
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def stored(self, session: Session) -> None:
        """Note that ``session`` stored a State value; evict past the capacity."""
        self._sessions[session.key] = session
        self._sessions.move_to_end(session.key)
        while len(self._sessions) > self.capacity:
            _, oldest = self._sessions.popitem(last=False)
            oldest.delete_state()

    def forget(self, session: Session) -> None:
        """Drop a session that ended."""
        self._sessions.pop(session.key, None)
