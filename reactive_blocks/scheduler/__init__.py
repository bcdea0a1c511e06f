"""Scheduler: queues, concurrency groups, trigger modes and cancellation.

It knows nothing about sockets; sessions reach it through ``EventOwner``.
"""

from reactive_blocks.scheduler._context import Info, Warning
from reactive_blocks.scheduler._direct import RunFailed, run_directly
from reactive_blocks.scheduler._event import (
    FROM_SESSION,
    Event,
    EventOwner,
    Outcome,
    Stage,
    with_state_places,
)
from reactive_blocks.scheduler._executor import Executor, LocalExecutor, Step
from reactive_blocks.scheduler._outputs import OutputChange, OutputError, output_changes
from reactive_blocks.scheduler._progress import Progress
from reactive_blocks.scheduler._scheduler import POSITION_INTERVAL, Refusal, Scheduler

__all__ = [
    "FROM_SESSION",
    "POSITION_INTERVAL",
    "Event",
    "EventOwner",
    "Executor",
    "Info",
    "LocalExecutor",
    "Outcome",
    "OutputChange",
    "OutputError",
    "Progress",
    "Refusal",
    "RunFailed",
    "Scheduler",
    "Stage",
    "Step",
    "Warning",
    "output_changes",
    "run_directly",
    "with_state_places",
]
