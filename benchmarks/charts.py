"""Draw one PNG per scenario from a results JSON (needs matplotlib).

    python benchmarks/charts.py results/latest.json results/ latest

Run by ``run.py`` with the peers venv's Python, so that matplotlib stays out
of the library's own dependencies.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLOURS = {"floor": "#9e9e9e", "reactive_blocks": "#1f77b4", "gradio": "#ff7f0e"}


def headline(name: str, result: dict[str, Any]) -> list[tuple[str, dict[str, float]]]:
    """The metrics worth a chart: (title, {target: value})."""
    figures = result["figures"]
    params = result.get("params", {})

    def pick(*path: str) -> dict[str, float]:
        values = {}
        for target, data in figures.items():
            value: Any = data
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values[target] = float(value)
        return values

    if name == "roundtrip":
        return [
            ("latency p50 (ms)", pick("p50_ms")),
            ("latency p99 (ms)", pick("p99_ms")),
        ]
    if name == "throughput":
        return [
            (f"{n} sessions: events/s", pick(str(n), "events_per_s"))
            for n in params.get("sessions", [])
        ]
    if name == "streaming":
        return [
            ("time to final value (ms)", pick("time_to_final_ms")),
            ("bytes on the wire", pick("bytes_on_wire")),
        ]
    if name == "slider":
        return [
            ("last send to final output (ms)", pick("last_send_to_final_ms")),
            ("fn runs", pick("fn_runs")),
        ]
    if name == "memory":
        return [
            (f"{n} idle sessions: KiB per session", pick(str(n), "kb_per_session"))
            for n in params.get("levels", [])
        ]
    if name == "coldstart":
        return [
            ("start to first page (ms)", pick("first_page_ms")),
            ("idle CPU (% of a core)", pick("idle_cpu_percent")),
        ]
    if name == "batching":
        return [
            ("batched: events/s", pick("upper_batched", "events_per_s")),
            ("one by one: events/s", pick("upper_single", "events_per_s")),
        ]
    if name == "browser":
        return [
            ("dashboard: frames/s", pick("dashboard", "frames_per_s")),
            ("dashboard: plot updates applied/s", pick("dashboard", "updates_per_s")),
            (
                "dashboard: message to paint p50 (ms)",
                pick("dashboard", "update_to_paint_p50_ms"),
            ),
            ("typing: key to greeting p50 (ms)", pick("typing", "key_to_shown_p50_ms")),
        ]
    return []


def _label(value: float) -> str:
    """Thousands with separators, small figures with three digits."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def draw(name: str, result: dict[str, Any], out: Path) -> None:
    """One figure per scenario, one panel per headline metric."""
    panels = [p for p in headline(name, result) if p[1]]
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4))
    axes_list = axes if len(panels) > 1 else [axes]
    for ax, (title, values) in zip(axes_list, panels, strict=True):
        names = list(values)
        bars = ax.bar(
            names, [values[n] for n in names], color=[COLOURS[n] for n in names]
        )
        ax.bar_label(bars, labels=[_label(values[n]) for n in names], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(name, fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(results_json: str, directory: str, stem: str) -> None:
    results = json.loads(Path(results_json).read_text())
    for name, result in results.get("scenarios", {}).items():
        draw(name, result, Path(directory) / f"{stem}-{name}.png")


if __name__ == "__main__":
    main(*sys.argv[1:4])
