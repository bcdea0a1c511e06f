#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine, then runs the checks
# and the whole suite: ruff, mypy, pytest (browser tests in Debian's Chromium,
# proxy tests behind Debian's nginx).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || [ ! -x /usr/sbin/nginx ]; then
    echo "installing Debian's chromium and nginx for the browser and proxy tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

if [ -f client/package-lock.json ]; then
    (cd client && npm ci --no-audit --no-fund --loglevel=error)
fi

# The project's folders only: scripts of one's own in the checkout are not linted.
.venv/bin/ruff check reactive_blocks tests benchmarks examples
.venv/bin/ruff format --check reactive_blocks tests benchmarks examples
.venv/bin/mypy
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
