"""Keep a benchmark server alive for a bounded time and report its memory.

The load generator sends SIGUSR1 to read a server's RSS and gc object count
without any extra route in the app; the figures land in the file named by
``BENCH_STATS_FILE``.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import time
from types import FrameType
from typing import Final

#: A server left behind by a crashed run stops by itself after this long.
DEFAULT_LIFETIME: Final = 1800.0


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size of a process, from /proc."""
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _dump_stats(signum: int, frame: FrameType | None) -> None:
    path = os.environ.get("BENCH_STATS_FILE")
    if not path:
        return
    gc.collect()
    stats = {
        "rss": rss_bytes(),
        "gc_objects": len(gc.get_objects()),
        "time": time.time(),
    }
    tmp = f"{path}.tmp"
    with open(tmp, "w") as out:
        json.dump(stats, out)
    os.replace(tmp, path)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def hold(lifetime: float | None = None) -> None:
    """Answer stats requests until SIGTERM or the lifetime runs out."""
    signal.signal(signal.SIGUSR1, _dump_stats)
    signal.signal(signal.SIGTERM, _stop)
    limit = lifetime or float(os.environ.get("BENCH_LIFETIME", DEFAULT_LIFETIME))
    deadline = time.monotonic() + limit
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 60.0))
