"""Session: one connected tab's values, events and outbox, and the app runtime."""

from reactive_blocks.session._outbox import Outbox, Sink
from reactive_blocks.session._runtime import Runtime
from reactive_blocks.session._session import GENERIC_ERROR, MAX_WAVES, Session

__all__ = ["GENERIC_ERROR", "MAX_WAVES", "Outbox", "Runtime", "Session", "Sink"]
