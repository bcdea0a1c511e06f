"""Scheduler: queues, concurrency groups, trigger modes and cancellation.

It knows nothing about sockets; sessions reach it through ``EventOwner``.
"""

from reactive_blocks.scheduler._event import Event, EventOwner, Outcome, Stage
from reactive_blocks.scheduler._executor import Executor, LocalExecutor, Step
from reactive_blocks.scheduler._outputs import OutputChange, OutputError, output_changes
from reactive_blocks.scheduler._scheduler import Scheduler

__all__ = [
    "Event",
    "EventOwner",
    "Executor",
    "LocalExecutor",
    "Outcome",
    "OutputChange",
    "OutputError",
    "Scheduler",
    "Stage",
    "Step",
    "output_changes",
]
