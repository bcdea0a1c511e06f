"""Run the benchmarks: the floor, reactive_blocks and Gradio, side by side.

    python benchmarks/run.py --setup-peers      # Gradio + matplotlib venv
    python benchmarks/run.py                     # every scenario, full size
    python benchmarks/run.py --quick             # small sizes, under 2 minutes
    python benchmarks/run.py --only roundtrip    # one scenario

Each target is a server process on 127.0.0.1 serving the same app source
(``benchmarks/apps/``); the load generator (``load.py``) is another process,
and so is the browser driver (``browser.py``, headless Chromium).
Figures go to ``benchmarks/results/`` as JSON, a Markdown table and PNG
charts. Gradio runs from ``benchmarks/.venv-peers``; without it its column is
left out with a note.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime
import json
import logging
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import browser
import report

log = logging.getLogger("benchmarks.run")

HERE: Final = Path(__file__).resolve().parent
REPO: Final = HERE.parent
APPS: Final = HERE / "apps"
PEERS_VENV: Final = HERE / ".venv-peers"
PEERS_PYTHON: Final = PEERS_VENV / "bin" / "python"
PEERS_REQUIREMENTS: Final = HERE / "requirements-peers.txt"
RESULTS: Final = HERE / "results"

SCENARIOS: Final = (
    "roundtrip",
    "throughput",
    "streaming",
    "slider",
    "memory",
    "coldstart",
    "batching",
    "browser",
)
ALL_TARGETS: Final = ("floor", "reactive_blocks", "gradio")
#: Scenarios with no meaning for a bare echo server.
NO_FLOOR: Final = {"slider", "batching"}
#: Scenarios a plain --quick leaves out. The browser alone takes 40-55 s here
#: (a Gradio server start, and Gradio's first 10,000-point plot takes its
#: page 8-10 s), while scenarios 1-7 already take about 100 s of the two
#: minutes --quick promises; --quick --only browser runs it.
QUICK_OPT_IN: Final = {"browser"}
#: Scenarios driven through each target's page; the floor has none, and its
#: column shows a dash.
IN_BROWSER: Final = {"browser"}
#: The browser scenario's parts and their apps. Neither joins the combined app
#: of --quick: a 20 Hz timer in every session would disturb other scenarios.
BROWSER_PARTS: Final = (("typing", "welcome"), ("dashboard", "dashboard"))
APP_OF: Final = {
    "roundtrip": "hello",
    "throughput": "trivial",
    "streaming": "streaming",
    "slider": "slider",
    "memory": "hello",
    "coldstart": "hello",
    "batching": "batching",
}
#: Under --quick these share one server per target running apps/combined.py,
#: which saves a Gradio start (several seconds each) per scenario. Memory is
#: measured as a difference from a baseline taken just before, so a server
#: that served other scenarios still gives per-session figures.
SHARED_IN_QUICK: Final = {
    "roundtrip",
    "throughput",
    "streaming",
    "slider",
    "memory",
    "batching",
}

PARAMS: Final[dict[str, dict[str, dict[str, Any]]]] = {
    "full": {
        "roundtrip": {"clicks": 2000, "rounds": 4, "warmup": 50},
        "throughput": {
            "sessions": [50, 500],
            "rounds": 3,
            "warmup": 1.0,
            "warmup_cap": 30.0,
            "window": 5.0,
            "quiet_cap": 10.0,
        },
        "streaming": {"tokens": 2000, "rounds": 5},
        "slider": {"values": 2000, "rate": 1000.0, "rounds": 3},
        "memory": {"levels": [1000, 5000], "settle": 2.0},
        "coldstart": {"runs": 5, "idle": 5.0},
        "batching": {
            "sessions": 200,
            "rounds": 2,
            "warmup": 5.0,
            "warmup_cap": 30.0,
            "window": 8.0,
            "quiet_cap": 10.0,
        },
        "browser": {
            "dashboard": {
                "rounds": 3,
                "window": 5.0,
                "warmup": 1.0,
                "settle_cap": 10.0,
            },
            "typing": {
                "rounds": 2,
                "chars": 40,
                "warmup_chars": 3,
                "key_timeout": 10.0,
                "time_cap": 120.0,
            },
        },
    },
    "quick": {
        "roundtrip": {"clicks": 300, "rounds": 3, "warmup": 20},
        "throughput": {
            "sessions": [50],
            "rounds": 2,
            "warmup": 0.75,
            "warmup_cap": 4.0,
            "window": 1.5,
            "quiet_cap": 2.0,
        },
        "streaming": {"tokens": 2000, "rounds": 1},
        "slider": {"values": 2000, "rate": 1000.0, "rounds": 1},
        "memory": {"levels": [200], "settle": 0.5},
        "coldstart": {"runs": 1, "idle": 5.0},
        "batching": {
            "sessions": 64,
            "rounds": 1,
            "warmup": 1.5,
            "warmup_cap": 3.0,
            "window": 2.0,
            "quiet_cap": 2.0,
        },
        "browser": {
            "dashboard": {"rounds": 1, "window": 3.0, "warmup": 0.5, "settle_cap": 6.0},
            "typing": {
                "rounds": 1,
                "chars": 15,
                "warmup_chars": 2,
                "key_timeout": 5.0,
                "time_cap": 30.0,
            },
        },
    },
}

START_TIMEOUT: Final = 120.0
LOAD_TIMEOUT: Final = 1200.0
#: A server a crashed run leaves behind exits by itself after this long.
SERVER_LIFETIME: Final = 3600


# -- servers -------------------------------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def page_ok(url: str, timeout: float = 1.0) -> bool:
    """Whether ``url`` serves its page (HTTP 200) right now."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


@dataclass
class Server:
    """One target's server process on 127.0.0.1."""

    target: str
    app: str
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def stats_file(self) -> Path:
        return self.workdir / f"{self.target}-{self.app}-{self.port}.stats.json"

    @property
    def log_file(self) -> Path:
        return self.workdir / f"{self.target}-{self.app}-{self.port}.log"

    def command(self) -> list[str]:
        if self.target == "floor":
            return [sys.executable, str(HERE / "floor_server.py"), str(self.port)]
        python = str(PEERS_PYTHON) if self.target == "gradio" else sys.executable
        return [python, str(APPS / f"{self.app}.py"), str(self.port)]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            BENCH_TARGET=self.target,
            BENCH_STATS_FILE=str(self.stats_file),
            BENCH_LIFETIME=str(SERVER_LIFETIME),
            # Gradio must not phone home: there is no network here, and the
            # attempt would only add noise to its figures.
            GRADIO_ANALYTICS_ENABLED="False",
            HF_HUB_OFFLINE="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        if self.target != "gradio":
            env["PYTHONPATH"] = os.pathsep.join(
                [str(REPO), *filter(None, [env.get("PYTHONPATH")])]
            )
        return env

    def start(self) -> None:
        with open(self.log_file, "wb") as log_out:
            self.process = subprocess.Popen(
                self.command(),
                cwd=str(REPO),
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log_out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.perf_counter()

    def wait_ready(self, poll: float = 0.05) -> float:
        """Wait for the first page; return seconds since the process started."""
        assert self.process is not None
        deadline = self.started_at + START_TIMEOUT
        while time.perf_counter() < deadline:
            if page_ok(self.url, timeout=2.0):
                return time.perf_counter() - self.started_at
            if self.process.poll() is not None:
                break
            time.sleep(poll)
        self.stop()
        tail = self.log_file.read_text(errors="replace")[-2000:]
        raise RuntimeError(
            f"{self.target} ({self.app}) did not serve its page:\n{tail}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def spec(self) -> dict[str, Any]:
        assert self.process is not None
        return {
            "name": self.target,
            "kind": self.target,
            "url": self.url,
            "pid": self.process.pid,
            "stats_file": str(self.stats_file),
        }


class Pool:
    """Servers by (target, app), started together, stopped when asked."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.servers: dict[tuple[str, str], Server] = {}

    def get(self, targets: list[str], app: str) -> list[Server]:
        fresh = [
            Server(target, app, self.workdir)
            for target in targets
            if (target, app) not in self.servers
        ]
        for server in fresh:
            server.start()
            self.servers[(server.target, app)] = server
        for server in fresh:
            seconds = server.wait_ready()
            log.info("%s serves %s after %.1fs", server.target, app, seconds)
        return [self.servers[(target, app)] for target in targets]

    def release(self, app: str) -> None:
        """Stop the servers of ``app``, so that they take no CPU from what follows."""
        for key in [key for key in self.servers if key[1] == app]:
            self.servers.pop(key).stop()

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


# -- running scenarios -----------------------------------------------------------------


def run_load(
    scenario: str,
    servers: list[Server],
    params: dict[str, Any],
    script: str = "load.py",
) -> Any:
    """Run ``script`` (the load generator) for one scenario; return its figures."""
    spec = {
        "scenario": scenario,
        "params": params,
        "targets": [server.spec() for server in servers],
    }
    done = subprocess.run(
        [sys.executable, str(HERE / script), json.dumps(spec)],
        cwd=str(HERE),
        capture_output=True,
        timeout=LOAD_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{script} failed on {scenario}:\n{done.stderr.decode()[-3000:]}"
        )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MiB."""
    with open(f"/proc/{pid}/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def coldstart(
    targets: list[str], params: dict[str, Any], workdir: Path
) -> dict[str, Any]:
    """Process start to first page, interleaved; then idle CPU of fresh servers.

    reactive_blocks' bytecode is compiled first, as ``pip install`` compiles
    an installed package's (Gradio's in the peers' venv was); a checkout run
    with PYTHONDONTWRITEBYTECODE would compile every module at each start.
    """
    compileall.compile_dir(str(REPO / "reactive_blocks"), quiet=1)
    times: dict[str, list[float]] = {t: [] for t in targets}
    kept: list[Server] = []
    for run in range(params["runs"]):
        order = targets[run % len(targets) :] + targets[: run % len(targets)]
        for target in order:
            server = Server(target, "hello", workdir)
            server.start()
            times[target].append(server.wait_ready(poll=0.01))
            if run == params["runs"] - 1:
                kept.append(server)
            else:
                server.stop()
            time.sleep(0.5)

    # Idle CPU: every fresh server at once, over the same seconds.
    time.sleep(1.0)
    before = {s.target: cpu_seconds(s.process.pid) for s in kept if s.process}
    time.sleep(params["idle"])
    idle = {
        s.target: (cpu_seconds(s.process.pid) - before[s.target]) / params["idle"]
        for s in kept
        if s.process
    }
    rss = {s.target: rss_mb(s.process.pid) for s in kept if s.process}
    for server in kept:
        server.stop()
    return {
        target: {
            "first_page_ms": statistics.median(times[target]) * 1e3,
            "runs_ms": [t * 1e3 for t in times[target]],
            "idle_cpu_percent": idle[target] * 100,
            "idle_rss_mb": rss[target],
        }
        for target in targets
    }


def in_browser(targets: list[str], params: dict[str, Any], pool: Pool) -> Any:
    """The typing test, then the dashboard, each on servers of its own app.

    One app's servers stop before the next app's start, so that an idle
    Gradio (its queue loop takes a few percent of a core) does not share the
    machine with the page being measured.
    """
    figures: dict[str, dict[str, Any]] = {target: {} for target in targets}
    for part, app in BROWSER_PARTS:
        servers = pool.get(targets, app)
        try:
            found = run_load(part, servers, params[part], script="browser.py")
        finally:
            pool.release(app)
        for target in targets:
            figures[target][part] = found.get(target, {})
    return figures


@contextlib.contextmanager
def profiled(server: Server, out: Path, enabled: bool) -> Iterator[None]:
    """Sample ``server`` with py-spy while the block runs."""
    spy = PEERS_VENV / "bin" / "py-spy"
    if not enabled or server.process is None:
        yield
        return
    if not spy.exists():
        log.warning("py-spy is not in %s; run --setup-peers; no profile", PEERS_VENV)
        yield
        return
    raw = out.with_suffix(".collapsed")
    proc = subprocess.Popen(
        [
            str(spy),
            "record",
            "--pid",
            str(server.process.pid),
            "--rate",
            "500",
            # Only the thread holding the GIL: where the server's Python time
            # goes, without idle pool workers and waits in epoll.
            "--gil",
            "--format",
            "raw",
            "--output",
            str(raw),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if raw.exists():
            out.write_text(report.profile_summary(raw.read_text()))
            log.info("profile written to %s", out)
        else:
            log.warning("py-spy wrote no profile: %s", err.decode()[-500:])


def run_scenario(
    scenario: str,
    targets: list[str],
    mode: str,
    pool: Pool,
    workdir: Path,
    profile_dir: Path | None,
) -> dict[str, Any]:
    """Start (or reuse) the servers, run one scenario, return its figures."""
    params = PARAMS[mode][scenario]
    used = [t for t in targets if not (scenario in NO_FLOOR and t == "floor")]
    if scenario in IN_BROWSER:
        # The floor keeps its column, with a dash: it serves no page.
        pages = [t for t in used if t != "floor"]
        reason = browser.missing() or (None if pages else "no target serves a page")
        if reason is not None:
            log.warning("scenario %s skipped: %s", scenario, reason)
            return {"params": params, "targets": used, "figures": {}, "skipped": reason}
        figures = in_browser(pages, params, pool)
    elif scenario == "coldstart":
        figures = coldstart(used, params, workdir)
    else:
        app = (
            "combined"
            if mode == "quick" and scenario in SHARED_IN_QUICK
            else APP_OF[scenario]
        )
        servers = pool.get(used, app)
        rb = next((s for s in servers if s.target == "reactive_blocks"), None)
        out = profile_dir / f"profile-{scenario}.txt" if profile_dir else None
        with (
            profiled(rb, out, out is not None)
            if rb and out
            else contextlib.nullcontext()
        ):
            figures = run_load(scenario, servers, params)
    return {"params": params, "targets": used, "figures": figures}


# -- setting up Gradio ------------------------------------------------------------------


def setup_peers() -> None:
    """Create benchmarks/.venv-peers and install the peers into it."""
    if not PEERS_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    subprocess.run(
        [
            str(PEERS_PYTHON),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "-r",
            str(PEERS_REQUIREMENTS),
        ],
        check=True,
    )
    print(f"peers installed in {PEERS_VENV}")


def peers_version() -> str | None:
    """The installed Gradio's version, or None when the venv is absent."""
    if not PEERS_PYTHON.exists():
        return None
    done = subprocess.run(
        [
            str(PEERS_PYTHON),
            "-c",
            "import importlib.metadata as m; print(m.version('gradio'))",
        ],
        capture_output=True,
        check=False,
    )
    return done.stdout.decode().strip() if done.returncode == 0 else None


def now_iso() -> str:
    """The current UTC time, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import aiohttp
    import orjson

    import reactive_blocks

    return {
        "date": now_iso(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_before": os.getloadavg(),
        "reactive_blocks": reactive_blocks.__version__,
        "aiohttp": aiohttp.__version__,
        "orjson": orjson.__version__,
    }


# -- main -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--only", action="append", choices=SCENARIOS, metavar="NAME")
    parser.add_argument(
        "--targets",
        default=",".join(ALL_TARGETS),
        help="comma-separated subset of floor,reactive_blocks,gradio",
    )
    parser.add_argument("--setup-peers", action="store_true")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the reactive_blocks server with py-spy (roundtrip, throughput)",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    parser.add_argument(
        "--charts", action="store_true", help="draw PNG charts of a --quick run too"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse_args(argv)
    if args.setup_peers:
        setup_peers()
        if not args.only and not args.quick:
            return 0

    mode = "quick" if args.quick else "full"
    notes: list[str] = []
    if args.only:
        scenarios = [s for s in SCENARIOS if s in args.only]
    else:
        skipped = QUICK_OPT_IN if mode == "quick" else set()
        scenarios = [s for s in SCENARIOS if s not in skipped]
        notes += [
            f"{s} left out of --quick; --quick --only {s} runs it." for s in skipped
        ]
    targets = [t for t in args.targets.split(",") if t]
    gradio = peers_version()
    if "gradio" in targets and gradio is None:
        targets.remove("gradio")
        notes.append(
            "Gradio column skipped: benchmarks/.venv-peers is absent "
            "(python benchmarks/run.py --setup-peers creates it)."
        )
        log.warning(notes[-1])

    results_dir: Path = args.results_dir
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = "profiled" if args.profile else mode if mode == "quick" else "latest"
    profile_dir = results_dir if args.profile else None
    meta = machine() | {"mode": mode, "gradio": gradio, "targets": targets}
    results = report.load_existing(results_dir / f"{stem}.json") if args.only else {}
    results.setdefault("scenarios", {})
    # Tables kept from an earlier run say when that run was, and its load.
    earlier = results.get("meta", {})
    for kept in results["scenarios"].values():
        if "date" not in kept and "date" in earlier:
            kept["date"] = earlier["date"]
            kept["loadavg_before"] = earlier.get("loadavg_before", [math.nan])[0]

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="rb-bench-"))
    pool = Pool(workdir)
    try:
        if mode == "quick":
            shared = [s for s in scenarios if s in SHARED_IN_QUICK]
            if shared:
                pool.get(targets, "combined")
        for scenario in scenarios:
            log.info("scenario %s", scenario)
            t0 = time.perf_counter()
            begun = {"date": now_iso(), "loadavg_before": os.getloadavg()[0]}
            results["scenarios"][scenario] = (
                begun
                | run_scenario(scenario, targets, mode, pool, workdir, profile_dir)
                | {
                    "seconds": round(time.perf_counter() - t0, 1),
                    "loadavg_after": os.getloadavg()[0],
                }
            )
            if mode == "full":
                pool.stop_all()
    finally:
        pool.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)

    meta["loadavg_after"] = os.getloadavg()
    meta["seconds"] = round(time.perf_counter() - started, 1)
    results["meta"] = meta
    results["notes"] = notes
    # A profiled run's figures carry py-spy's overhead: tables only.
    charts = (mode == "full" and not args.profile) or args.charts
    report.write(results, results_dir, stem, charts=charts)
    print((results_dir / f"{stem}.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
