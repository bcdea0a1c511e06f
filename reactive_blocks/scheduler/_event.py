"""One run of a listener for one session, and what it reports to its owner."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from reactive_blocks.declaration import Component, Listener
    from reactive_blocks.scheduler._outputs import OutputChange

Stage = Literal["queued", "held", "running", "ended"]

#: In an event's explicit inputs: read this one from the session when the run
#: starts (a ``State``, which callers cannot pass).
FROM_SESSION: Any = type("FromSession", (), {"__repr__": lambda self: "FROM_SESSION"})()


def with_state_places(components: tuple[Component, ...], sent: list[Any]) -> list[Any]:
    """One value per component: ``sent`` in order, FROM_SESSION for each State."""
    if len(sent) == len(components):
        return sent
    given = iter(sent)
    return [FROM_SESSION if c.server_only else next(given) for c in components]


Outcome = Literal["done", "error", "cancelled", "refused"]


class EventOwner(Protocol):
    """What the scheduler needs of a session; the session implements it.

    The scheduler knows nothing of sockets: it reads inputs, applies outputs
    and reports progress only through these methods.
    """

    key: str

    @property
    def is_open(self) -> bool: ...

    def next_event_id(self) -> int: ...

    def read_values(self, components: tuple[Component, ...]) -> list[Any]: ...

    def apply_outputs(self, event: Event, changes: list[OutputChange]) -> None: ...

    def event_status(
        self,
        event: Event,
        stage: Stage,
        position: int | None = None,
        eta: float | None = None,
    ) -> None: ...

    def notify(
        self, event: Event, level: str, message: str, duration: float | None
    ) -> None: ...

    def progress(self, event: Event, update: dict[str, Any]) -> None: ...

    def event_ended(
        self,
        event: Event,
        outcome: Outcome,
        error: BaseException | str | None,
        outputs: list[Any] | None,
    ) -> None: ...


class Event:
    """One run of one listener for one session, from trigger to terminal message.

    Attributes:
        id: Unique within the session.
        owner: The session it runs for.
        listener: What it runs.
        ref: The client's reference for the message that started it.
        inputs: Explicit wire inputs (from ``call``); None to read the session.
        depth: How many change waves led to it (0 for a user's trigger).
        path: The components whose changes led to it, oldest first.
        stage: Where it is: queued, held (waiting behind its running twin
            under ``always_last``), running, ended.
    """

    __slots__ = (
        "batch",
        "depth",
        "entry",
        "group",
        "id",
        "inputs",
        "listener",
        "owner",
        "path",
        "position",
        "ref",
        "run",
        "stage",
    )

    def __init__(
        self,
        owner: EventOwner,
        listener: Listener,
        *,
        ref: Any = None,
        inputs: list[Any] | None = None,
        depth: int = 0,
        path: tuple[int, ...] = (),
    ) -> None:
        self.id = owner.next_event_id()
        self.owner = owner
        self.listener = listener
        self.ref = ref
        self.inputs = inputs
        self.depth = depth
        self.path = path
        self.stage: Stage = "queued"
        #: What a running event's cancel cancels: its task, or its call's future.
        self.run: asyncio.Future[Any] | None = None
        self.batch: list[Event] = []
        self.entry: list[Event | None] | None = None
        self.group = ""
        self.position: int | None = None

    def __repr__(self) -> str:
        return f"Event({self.id}, listener={self.listener.id}, {self.stage})"
