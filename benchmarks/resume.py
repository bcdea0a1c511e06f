"""Time from a restored connection to the first resumed update.

A server process streams a counter into a Textbox every 5 ms; a client
(the library's AsyncClient) drops its TCP connection without a close frame,
resumes at once, and the time from the resumed connection to the first
update after it is measured. Bounded: ``--cuts`` cuts, each within seconds.

    python benchmarks/resume.py [--cuts 20]

Writes ``benchmarks/results/resume.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import reactive_blocks as gr

HERE = Path(__file__).resolve().parent
APP = """
import os, time
import reactive_blocks as gr

def count():
    for i in range(100_000):
        time.sleep(0.005)
        yield str(i)

with gr.Blocks() as demo:
    out = gr.Textbox(label="Count")
    gr.Button("Go").click(count, None, out)
demo.launch(server_port=int(os.environ["PORT"]), quiet=True, reconnect_grace=30)
"""


async def _wait(condition: object, timeout: float = 10.0) -> float:
    deadline = time.perf_counter() + timeout
    while not condition():  # type: ignore[operator]
        if time.perf_counter() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.0002)
    return time.perf_counter()


async def measure(url: str, cuts: int) -> list[float]:
    """Milliseconds from each resume to the first update after it."""
    delays = []
    async with gr.AsyncClient(url) as client:
        out, go = client.component(label="Count"), client.component(value="Go")
        await client.trigger(go, "click")
        await _wait(lambda: client.values.get(out))
        for _ in range(cuts):
            await asyncio.sleep(0.2)
            resumes = client.resumes
            client.drop_connection()
            restored = await _wait(lambda r=resumes: client.resumes > r)
            seen = client.values[out]
            updated = await _wait(lambda s=seen: client.values[out] != s)
            delays.append((updated - restored) * 1000)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", type=int, default=20)
    args = parser.parse_args()

    port = 7959
    env = {**os.environ, "PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-c", APP], env=env)
    try:
        time.sleep(2.0)
        delays = asyncio.run(measure(f"http://127.0.0.1:{port}/", args.cuts))
    finally:
        server.terminate()
        server.wait(10)

    result = {
        "cuts": len(delays),
        "median_ms": round(statistics.median(delays), 2),
        "p90_ms": round(statistics.quantiles(delays, n=10)[-1], 2),
        "max_ms": round(max(delays), 2),
        "update_interval_ms": 5,
    }
    (HERE / "results" / "resume.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| cuts | restored → first update, median | p90 | max |")
    print("|---:|---:|---:|---:|")
    row = [
        result["cuts"],
        *(f"{result[k]} ms" for k in ("median_ms", "p90_ms", "max_ms")),
    ]
    print("| " + " | ".join(map(str, row)) + " |")


if __name__ == "__main__":
    main()
