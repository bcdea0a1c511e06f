"""The benchmark harness runs end to end and records its figures."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_script(name: str, *args: str, timeout: float) -> str:
    """Run ``benchmarks/<name>`` as a user would; its output, once it exits 0."""
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / name), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_quick_roundtrip_writes_latencies(tmp_path: Path) -> None:
    """`run.py --quick --only roundtrip` exits 0 with p50/p99 for floor and rb."""
    run_script(
        "run.py",
        "--quick",
        "--only",
        "roundtrip",
        "--results-dir",
        str(tmp_path),
        timeout=110,
    )

    results = json.loads((tmp_path / "quick.json").read_text())
    figures = results["scenarios"]["roundtrip"]["figures"]
    for target in ("floor", "reactive_blocks"):
        for key in ("p50_ms", "p99_ms"):
            value = figures[target][key]
            assert isinstance(value, float) and math.isfinite(value) and value > 0
        assert figures[target]["p50_ms"] <= figures[target]["p99_ms"]
    assert (tmp_path / "quick.md").read_text().count("latency p50") == 1


def test_hop_measures_each_hand_off_free_and_pinned() -> None:
    """`hop.py` prints a row per hand-off: wall and CPU, free and pinned."""
    printed = run_script("hop.py", "--calls", "100", "--runs", "1", timeout=60)

    rows = [line for line in printed.splitlines() if line.startswith("| ")]
    assert [row.split("|")[1].strip() for row in rows[1:]] == [
        "queues",
        "loop",
        "workers",
    ]
    for row in rows[1:]:
        figures = [float(cell) for cell in row.split("|")[2:6]]
        assert all(math.isfinite(f) and f > 0 for f in figures), row
