"""The browser scenario: each target's page in headless Chromium, in its own process.

``run.py`` starts the servers and calls ``python benchmarks/browser.py SPEC``,
where SPEC is a JSON object ``{"scenario": "dashboard" | "typing", "params",
"targets": [{"name", "kind", "url", "pid", "stats_file"}]}``, as for
``load.py``; the figures come back as one JSON object on stdout.

Every page gets ``page_probe.js`` before its own scripts, so both targets are
measured from outside by the same code: frames painted, large messages
arriving, the plot changing, keys pressed and text shown. reactive_blocks'
client also leaves its own marks (``rb:frame``, ``rb:plot-drawn``), which give
its finer figure. Targets are interleaved round by round, as in ``load.py``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from load import Target, cpu_seconds, rotated

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

HERE: Final = Path(__file__).resolve().parent
PROBE: Final = HERE / "page_probe.js"
CHROMIUM: Final = Path("/usr/bin/chromium")
#: As the browser tests launch it: no sandbox (root in a container), no GPU.
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: Final = {"width": 1200, "height": 900}
#: Longest wait for a page to load or show its first plot update.
PAGE_TIMEOUT_MS: Final = 30_000
#: The seed demo's placeholder and greeting (examples/blocks_hello.py).
PLACEHOLDER: Final = "What is your name?"
LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"


def missing() -> str | None:
    """Why the scenario cannot run here, or None when it can."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install playwright)"
    return None


def page_timeout() -> type[Exception]:
    """Playwright's timeout error, imported only where a page is driven."""
    from playwright.sync_api import TimeoutError as PageTimeout

    return PageTimeout


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), nearest rank, as load.py takes it; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def open_page(browser: Browser, target: Target) -> Page:
    """A fresh context and tab on the target's page, the probe installed first."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.add_init_script(path=str(PROBE))
    page.goto(target.url, wait_until="load")
    return page


# -- the live dashboard --------------------------------------------------------------


def watch_dashboard(
    browser: Browser, target: Target, params: dict[str, Any]
) -> dict[str, Any]:
    """One window of the dashboard page: the probe's summary and server CPU."""
    page = open_page(browser, target)
    try:
        # The window opens once the first plot update is on screen and the
        # page has run a little, so that start-up work is not measured.
        page.wait_for_function("() => window.__probe.painted() > 0")
        time.sleep(params["warmup"])
        start = page.evaluate("() => window.__probe.now()")
        cpu = cpu_seconds(target.pid)
        wall = time.perf_counter()
        time.sleep(params["window"])
        cpu = cpu_seconds(target.pid) - cpu
        wall = time.perf_counter() - wall

        # The window ends by the page's clock, which a busy page reads late;
        # updates that arrived inside it may be painted after it. A page still
        # busy when the cap runs out is measured as it is.
        end = start + params["window"] * 1000
        with contextlib.suppress(page_timeout()):
            page.wait_for_function(
                "(end) => window.__probe.settled(end)",
                arg=end,
                timeout=params["settle_cap"] * 1000,
            )
        summary: dict[str, Any] = page.evaluate(
            "([start, end]) => window.__probe.summary(start, end)", [start, end]
        )
    finally:
        page.context.close()
    summary["server_cpu_s"] = cpu
    summary["wall_s"] = wall
    return summary


def dashboard_figures(windows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rates over every window of a target, latencies pooled."""
    seconds = sum(w["seconds"] for w in windows)
    latencies = [x for w in windows for x in w["latencies"]]
    draw = [x for w in windows for x in w["client_draw"]]
    paint = [x for w in windows for x in w["client_paint"]]
    figures: dict[str, Any] = {
        "frames_per_s": sum(w["frames"] for w in windows) / seconds,
        "updates_per_s": sum(w["applied"] for w in windows) / seconds,
        "messages_per_s": sum(w["messages"] for w in windows) / seconds,
        "update_to_paint_p50_ms": percentile(latencies, 50),
        "update_to_paint_p90_ms": percentile(latencies, 90),
        "update_to_paint_samples": len(latencies),
        "server_cpu_percent": 100
        * sum(w["server_cpu_s"] for w in windows)
        / sum(w["wall_s"] for w in windows),
        "window_s": seconds,
    }
    if any(w["client_marks"] for w in windows):
        figures |= {
            "client_frame_to_drawn_p50_ms": percentile(draw, 50),
            "client_frame_to_paint_p50_ms": percentile(paint, 50),
            "client_frame_to_paint_p90_ms": percentile(paint, 90),
        }
    return figures


def dashboard(
    browser: Browser, targets: list[Target], params: dict[str, Any]
) -> dict[str, Any]:
    """Frames, plot updates and update-to-paint latency of a 20 Hz dashboard."""
    windows = interleaved(browser, targets, params, watch_dashboard)
    return {name: dashboard_figures(found) for name, found in windows.items()}


def interleaved(
    browser: Browser,
    targets: list[Target],
    params: dict[str, Any],
    watch: Callable[[Browser, Target, dict[str, Any]], dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """What ``watch`` saw of each target, once a round, in a rotating order."""
    seen: dict[str, list[dict[str, Any]]] = {t.name: [] for t in targets}
    for round_no in range(params["rounds"]):
        for target in rotated(targets, round_no):
            seen[target.name].append(watch(browser, target, params))
    return seen


# -- typing into the seed demo ----------------------------------------------------------


def type_name(
    browser: Browser, target: Target, params: dict[str, Any]
) -> dict[str, Any]:
    """Type a name key by key; each key waits for its greeting before the next.

    The first ``warmup_chars`` keys are typed the same way but not kept: the
    first event of a page also pays for compiling its code paths.
    """
    page = open_page(browser, target)
    warmup: int = params["warmup_chars"]
    chars = warmup + params["chars"]
    name = (LETTERS * (chars // len(LETTERS) + 1))[:chars]
    deadline = time.monotonic() + params["time_cap"]
    missed = 0
    warm = 0
    try:
        page.get_by_placeholder(PLACEHOLDER).click()
        for typed in range(1, chars + 1):
            if typed == warmup + 1:
                warm = page.evaluate("() => window.__probe.shown()")
            if time.monotonic() > deadline:
                missed += chars - max(typed, warmup + 1) + 1
                break
            text = name[:typed]
            before = page.evaluate(
                "(t) => { window.__probe.expect(t); return window.__probe.shown(); }",
                f"Welcome to Gradio, {text}!",
            )
            page.keyboard.press(text[-1])
            # Polled in the page at each frame; the times are the probe's.
            try:
                page.wait_for_function(
                    "(n) => window.__probe.shown() > n",
                    arg=before,
                    timeout=params["key_timeout"] * 1000,
                )
            except page_timeout():
                if typed > warmup:
                    missed += 1
        # The last greeting's paint comes a frame after it is shown.
        with contextlib.suppress(page_timeout()):
            page.wait_for_function("() => window.__probe.typed().every(k => k[2] > 0)")
        keys: list[list[float]] = page.evaluate("() => window.__probe.typed()")
    finally:
        page.context.close()
    kept = keys[warm:]
    return {
        "shown_ms": [shown - key for key, shown, _ in kept],
        "painted_ms": [painted - key for key, _, painted in kept if painted > 0],
        "missed": missed,
    }


def typing(
    browser: Browser, targets: list[Target], params: dict[str, Any]
) -> dict[str, Any]:
    """Key press to greeting shown, per key, in the seed demo."""
    runs = interleaved(browser, targets, params, type_name)
    results = {}
    for name, found in runs.items():
        shown = [x for run in found for x in run["shown_ms"]]
        painted = [x for run in found for x in run["painted_ms"]]
        results[name] = {
            "key_to_shown_p50_ms": percentile(shown, 50),
            "key_to_shown_p90_ms": percentile(shown, 90),
            "key_to_paint_p50_ms": percentile(painted, 50),
            "key_to_paint_p90_ms": percentile(painted, 90),
            "keys": len(shown),
            "missed": sum(run["missed"] for run in found),
        }
    return results


# -- entry point ---------------------------------------------------------------------------

PARTS: Final[
    dict[str, Callable[[Browser, list[Target], dict[str, Any]], dict[str, Any]]]
] = {"dashboard": dashboard, "typing": typing}


def main(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one part of the scenario against the targets in ``spec``."""
    from playwright.sync_api import sync_playwright

    targets = [Target(**t) for t in spec["targets"]]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            return PARTS[spec["scenario"]](browser, targets, spec["params"])
        finally:
            browser.close()


if __name__ == "__main__":
    result = main(json.loads(sys.argv[1]))
    sys.stdout.write(json.dumps(result) + "\n")
