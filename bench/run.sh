#!/usr/bin/env bash
# The scale benchmark: builds asyncdemo (release) and bench/reference, then
# measures them and the peers (Go, Node, Python asyncio/uvloop) whole-process.
#   bench/run.sh            N = 10k, 100k, 1M, 10M (10M: asyncdemo, reference, Go)
#   bench/run.sh --quick    N = 10k, 100k, 1M (also: BENCH_QUICK=1)
# Other arguments go to bench.py (try --help). Build output goes to stderr.
set -euo pipefail
command="bench/run.sh${*:+ $*}"
cd "$(dirname "$0")/.."
cargo build --release --locked >&2
cargo build --release --locked --manifest-path bench/reference/Cargo.toml >&2
BENCH_COMMAND="$command" exec python3 bench/bench.py "$@"
