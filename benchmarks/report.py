"""Turn benchmark figures into JSON, Markdown tables, charts and profiles."""

from __future__ import annotations

import json
import logging
import math
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

log = logging.getLogger("benchmarks.report")

HERE: Final = Path(__file__).resolve().parent
README: Final = HERE / "README.md"
START: Final = "<!-- results:start -->"
END: Final = "<!-- results:end -->"
TARGET_TITLES: Final = {
    "floor": "floor",
    "reactive_blocks": "reactive_blocks",
    "gradio": "Gradio",
}

#: Rows whose label holds one of these words get no ratio.
NO_RATIO: Final = ("retained", "timed", "unanswered")

Getter = Callable[[dict[str, Any]], Any]
Row = tuple[str, Getter, str]


def _get(*path: str) -> Getter:
    def getter(figures: dict[str, Any]) -> Any:
        value: Any = figures
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value

    return getter


def _rows(scenario: str, params: dict[str, Any]) -> list[Row]:
    """The table rows of a scenario: label, getter, number format."""
    if scenario == "roundtrip":
        return [
            ("latency p50 (ms)", _get("p50_ms"), ".2f"),
            ("latency p99 (ms)", _get("p99_ms"), ".2f"),
            ("latency mean (ms)", _get("mean_ms"), ".2f"),
            ("server CPU per click (ms)", _get("server_cpu_ms_per_click"), ".3f"),
        ]
    if scenario == "throughput":
        rows: list[Row] = []
        for n in params.get("sessions", []):
            rows += [
                (f"{n} sessions: events/s", _get(str(n), "events_per_s"), ",.0f"),
                (
                    f"{n} sessions: server CPU per event (ms)",
                    _get(str(n), "server_cpu_ms_per_event"),
                    ".3f",
                ),
                (
                    f"{n} sessions: load generator CPU per event (ms)",
                    _get(str(n), "client_cpu_ms_per_event"),
                    ".3f",
                ),
                (
                    f"{n} sessions: latency p50 (ms)",
                    _get(str(n), "latency_p50_ms"),
                    ".1f",
                ),
                (
                    f"{n} sessions: latency p99 (ms)",
                    _get(str(n), "latency_p99_ms"),
                    ".1f",
                ),
            ]
        return rows
    if scenario == "streaming":
        return [
            ("yields delivered/s", _get("yields_per_s"), ",.0f"),
            ("time to final value (ms)", _get("time_to_final_ms"), ",.1f"),
            ("bytes on the wire", _get("bytes_on_wire"), ",.0f"),
            ("updates received", _get("updates_received"), ",.0f"),
            ("server CPU (ms)", _get("server_cpu_ms"), ",.0f"),
            ("final value exact", _get("final_value_exact"), ""),
        ]
    if scenario == "slider":
        return [
            ("fn runs (of 2,000 values)", _get("fn_runs"), ",.0f"),
            ("final output == f(last value)", _get("final_output_ok"), ""),
            ("last send to final output (ms)", _get("last_send_to_final_ms"), ",.1f"),
            ("achieved send rate (Hz)", _get("send_rate_hz"), ",.0f"),
            ("server CPU (ms)", _get("server_cpu_ms"), ",.0f"),
        ]
    if scenario == "memory":
        rows = [("baseline RSS (MiB)", _get("baseline_rss_mb"), ",.1f")]
        for n in params.get("levels", []):
            rows += [
                (f"{n} idle sessions: RSS (MiB)", _get(str(n), "rss_mb"), ",.1f"),
                (
                    f"{n} idle sessions: KiB per session",
                    _get(str(n), "kb_per_session"),
                    ",.1f",
                ),
                (
                    f"{n} idle sessions: gc objects per session",
                    _get(str(n), "gc_objects_per_session"),
                    ",.1f",
                ),
            ]
        rows += [
            (
                "after all close: RSS retained (MiB)",
                _get("after_close", "rss_retained_mb"),
                ",.1f",
            ),
            (
                "after all close: gc objects retained",
                _get("after_close", "gc_objects_retained"),
                ",.0f",
            ),
        ]
        return rows
    if scenario == "coldstart":
        return [
            ("start to first page, median (ms)", _get("first_page_ms"), ",.0f"),
            ("idle CPU, no sessions (% of a core)", _get("idle_cpu_percent"), ".2f"),
            ("idle RSS (MiB)", _get("idle_rss_mb"), ",.1f"),
        ]
    if scenario == "batching":
        return [
            (
                "batched (max 16): events/s",
                _get("upper_batched", "events_per_s"),
                ",.0f",
            ),
            ("one by one: events/s", _get("upper_single", "events_per_s"), ",.0f"),
            (
                "batched: latency p50 (ms)",
                _get("upper_batched", "latency_p50_ms"),
                ",.0f",
            ),
            (
                "one by one: latency p50 (ms)",
                _get("upper_single", "latency_p50_ms"),
                ",.0f",
            ),
        ]
    if scenario == "browser":
        return _browser_rows(params)
    return []


def _browser_rows(params: dict[str, Any]) -> list[Row]:
    """The dashboard's frames and updates, then the typing test's latencies."""
    chars = params.get("typing", {}).get("chars", "?")
    return [
        ("dashboard: frames per second", _get("dashboard", "frames_per_s"), ".1f"),
        (
            "dashboard: plot updates applied per second",
            _get("dashboard", "updates_per_s"),
            ".1f",
        ),
        (
            "dashboard: plot messages received per second",
            _get("dashboard", "messages_per_s"),
            ".1f",
        ),
        (
            "dashboard: message to paint p50 (ms)",
            _get("dashboard", "update_to_paint_p50_ms"),
            ",.1f",
        ),
        (
            "dashboard: message to paint p90 (ms)",
            _get("dashboard", "update_to_paint_p90_ms"),
            ",.1f",
        ),
        (
            "dashboard: updates timed",
            _get("dashboard", "update_to_paint_samples"),
            ",.0f",
        ),
        (
            "dashboard, client marks: frame to plot drawn p50 (ms)",
            _get("dashboard", "client_frame_to_drawn_p50_ms"),
            ".1f",
        ),
        (
            "dashboard, client marks: frame to paint p50 (ms)",
            _get("dashboard", "client_frame_to_paint_p50_ms"),
            ".1f",
        ),
        (
            "dashboard: server CPU (% of a core)",
            _get("dashboard", "server_cpu_percent"),
            ".1f",
        ),
        (
            "typing: key to greeting shown p50 (ms)",
            _get("typing", "key_to_shown_p50_ms"),
            ".1f",
        ),
        (
            "typing: key to greeting shown p90 (ms)",
            _get("typing", "key_to_shown_p90_ms"),
            ".1f",
        ),
        (
            "typing: key to greeting painted p50 (ms)",
            _get("typing", "key_to_paint_p50_ms"),
            ".1f",
        ),
        (
            f"typing: keys unanswered (of {chars} a round)",
            _get("typing", "missed"),
            "d",
        ),
    ]


def _fmt(value: Any, spec: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    return format(value, spec) if spec else str(value)


def _ratio(a: Any, b: Any, label: str) -> str:
    """``a / b`` for figures where a ratio means something."""
    numbers = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)
    )
    # Leftovers after close hover around zero, and counts of samples say how
    # much was measured, not how fast: their ratio would be noise.
    if not numbers or any(w in label for w in NO_RATIO) or not (a > 0 and b > 0):
        return ""
    return f"{a / b:.2f}x"


def scenario_table(name: str, result: dict[str, Any]) -> str:
    """One scenario as a Markdown table with ratio columns."""
    targets: list[str] = result["targets"]
    figures: dict[str, Any] = result["figures"]
    ratios = []
    # A target without figures (the floor has no page) shows a dash, no ratio.
    if "floor" in figures and "reactive_blocks" in figures:
        ratios.append(("reactive_blocks", "floor", "rb ÷ floor"))
    if "gradio" in figures and "reactive_blocks" in figures:
        ratios.append(("gradio", "reactive_blocks", "Gradio ÷ rb"))
    header = ["", *(TARGET_TITLES[t] for t in targets), *(r[2] for r in ratios)]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    for label, getter, spec in _rows(name, result.get("params", {})):
        values = {t: getter(figures.get(t, {})) for t in targets}
        cells = [_fmt(values[t], spec) if t in figures else "—" for t in targets]
        cells += [_ratio(values[a], values[b], label) for a, b, _ in ratios]
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines)


SCENARIO_TITLES: Final = {
    "roundtrip": "1. roundtrip: hello app, one session, sequential clicks",
    "throughput": "2. throughput: many sessions clicking a trivial listener",
    "streaming": "3. streaming: a generator yielding 2,000 five-byte tokens",
    "slider": "4. slider: 2,000 values at 1 kHz into an always_last 5 ms listener",
    "memory": "5. memory: idle sessions",
    "coldstart": "6. coldstart: process start to first page; idle CPU",
    "batching": "7. batching: many sessions, 20 ms per call, batch of 16 vs one by one",
    "browser": "8. browser: a 20 Hz dashboard and typing, in headless Chromium",
}


def markdown(results: dict[str, Any]) -> str:
    """The whole report: machine line, notes, one table per scenario."""
    meta = results.get("meta", {})
    load = meta.get("loadavg_before", [0, 0, 0])
    parts = [
        f"Measured {meta.get('date', '?')} ({meta.get('mode', '?')} run, "
        f"{meta.get('seconds', '?')} s): Python {meta.get('python', '?')}, "
        f"{meta.get('cpus', '?')} CPUs, load average {load[0]:.2f} at start; "
        f"reactive_blocks {meta.get('reactive_blocks', '?')}, "
        f"Gradio {meta.get('gradio') or 'absent'}, aiohttp {meta.get('aiohttp', '?')}.",
    ]
    parts += [f"> {note}" for note in results.get("notes", [])]
    for name, title in SCENARIO_TITLES.items():
        if name not in results.get("scenarios", {}):
            continue
        result = results["scenarios"][name]
        if "skipped" in result:
            parts.append(f"### {title}\n\nSkipped: {result['skipped']}.")
            continue
        parts.append(
            f"### {title}\n\n_{_describe(result)}_\n\n{scenario_table(name, result)}"
        )
    return "\n\n".join(parts) + "\n"


def _describe(result: dict[str, Any]) -> str:
    """A scenario's parameters, and when it ran if the run recorded that."""
    given: dict[str, Any] = result.get("params", {})
    nested = any(isinstance(value, dict) for value in given.values())
    params = ("; " if nested else ", ").join(
        f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items())
        if isinstance(value, dict)
        else f"{key}={value}"
        for key, value in given.items()
    )
    if "date" not in result:
        return params
    # Runs with --only merge into older results: each table says when it ran.
    return (
        f"{params}; measured {result['date']}, "
        f"load average {result.get('loadavg_before', float('nan')):.2f}"
    )


def load_existing(path: Path) -> dict[str, Any]:
    """Earlier results to merge a partial run into, or an empty report."""
    if not path.exists():
        return {}
    try:
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    except ValueError:
        return {}


def write(
    results: dict[str, Any], directory: Path, stem: str, *, charts: bool = True
) -> None:
    """Write ``stem``.json and .md, the charts, and the README's table."""
    (directory / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    text = markdown(results)
    (directory / f"{stem}.md").write_text(text)
    if stem == "latest" and directory.resolve() == (HERE / "results").resolve():
        _update_readme(text)
    if charts:
        _charts(directory / f"{stem}.json", directory, stem)


def _update_readme(text: str) -> None:
    if not README.exists():
        return
    readme = README.read_text()
    if START not in readme or END not in readme:
        return
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{text}{END}{tail}")


def _charts(results_json: Path, directory: Path, stem: str) -> None:
    """Draw the PNG charts with whichever Python has matplotlib."""
    peers = HERE / ".venv-peers" / "bin" / "python"
    for python in (str(peers), sys.executable):
        if not Path(python).exists():
            continue
        done = subprocess.run(
            [python, str(HERE / "charts.py"), str(results_json), str(directory), stem],
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            return
        log.debug("charts with %s failed: %s", python, done.stderr.decode()[-500:])
    log.warning("no charts: matplotlib is in neither the peers venv nor this Python")


# -- profiles -----------------------------------------------------------------------------

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def _short(frame: str) -> str:
    """``func (path:line)`` made readable: package-relative path, no line."""
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


def _package(frame: str) -> str:
    """The package a shortened frame belongs to (``reactive_blocks.session``)."""
    match = re.search(r"\((?P<path>[^)]*)\)$", frame)
    if not match:
        return "other"
    parts = match["path"].split("/")
    if parts[0] == "reactive_blocks" and len(parts) > 2:
        return f"reactive_blocks.{parts[1]}"
    return parts[0].removesuffix(".py") if parts else "other"


def profile_summary(collapsed: str, top: int = 25) -> str:
    """Top functions by own and by total samples from py-spy's raw output."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        # The first frame is the thread ("process ...;thread ...") in py-spy raw.
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    by_package: Counter[str] = Counter()
    for frame, count in own.items():
        by_package[_package(frame)] += count
    lines = [f"{samples} samples (py-spy --gil: only the thread holding the GIL)"]
    lines += ["", "By package of the frame on top of the stack:"]
    lines += [f"{c / samples:6.1%}  {p}" for p, c in by_package.most_common()]
    lines += ["", "By own time (the frame on top of the stack):"]
    lines += [f"{c / samples:6.1%}  {f}" for f, c in own.most_common(top)]
    lines += ["", "By total time (the frame anywhere on the stack):"]
    lines += [f"{c / samples:6.1%}  {f}" for f, c in total.most_common(top)]
    return "\n".join(lines) + "\n"
