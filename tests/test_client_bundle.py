"""The committed browser bundle matches its TypeScript sources."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "client"
STATIC = ROOT / "reactive_blocks" / "static"

pytestmark = [
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npx") is None,
        reason="Node.js is not installed; the client bundle cannot be rebuilt",
    ),
    pytest.mark.skipif(
        not (CLIENT / "node_modules").is_dir(),
        reason="client/node_modules is absent; run `npm ci` in client/ to check the bundle",
    ),
]


def _bundle_files(folder: Path) -> dict[str, bytes]:
    """app.js, app.css and fonts/*, by path relative to `folder`."""
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file()
    }
    return {
        name: data
        for name, data in files.items()
        if name in ("app.js", "app.css") or name.startswith("fonts/")
    }


def test_rebuilt_bundle_is_byte_identical_to_committed(tmp_path: Path) -> None:
    """Rebuilding the client yields exactly the files committed in static/."""
    subprocess.run(
        ["node", str(CLIENT / "build.mjs"), "--outdir", str(tmp_path)],
        check=True,
        timeout=300,
    )
    built = _bundle_files(tmp_path)
    committed = _bundle_files(STATIC)

    assert {"app.js", "app.css"} <= built.keys()
    assert sorted(committed) == sorted(built), "static/ and the build differ in files"
    differ = sorted(name for name in built if built[name] != committed[name])
    assert not differ, f"{differ} are stale; rebuild with `node client/build.mjs`"


def test_client_type_checks() -> None:
    """The TypeScript sources pass `tsc --noEmit` under the strict config."""
    result = subprocess.run(
        ["npx", "--no-install", "tsc", "--noEmit", "-p", str(CLIENT)],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
