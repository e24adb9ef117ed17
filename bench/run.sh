#!/usr/bin/env bash
# The scale benchmark: builds the release binary, then measures asyncdemo and
# Python asyncio side by side. Arguments go to bench.py (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
exec python3 bench/bench.py "$@"
