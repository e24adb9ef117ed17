#!/usr/bin/env bash
# The cost of --live: paired whole-process runs of the release binary, with
# and without the view, on a real terminal (a tmux pane, 100x30), so that
# stdout is a terminal as it is for a person watching.
#   bench/live.sh                 N = 100k and 1M, 5 pairs each
#   RUNS=9 bench/live.sh 1000000  other N, more pairs
# Each pair runs both commands back to back, in alternating order, and the
# ratio is taken pair by pair (with / without), so a drift of the machine's
# speed moves both. Prints min, median and max of each, and the median ratio.
# Needs tmux and python3. Build output goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-5}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
command -v tmux >/dev/null || { echo "bench/live.sh needs tmux" >&2; exit 1; }
cargo build --release --locked >&2
bin="$PWD/target/release/asyncdemo"
work="$(mktemp -d)"
socket="asyncdemo-bench-live-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

# The runner, inside the pane: each command's stdout is the pane itself.
cat >"$work/runner.py" <<'EOF'
import json, subprocess, sys, time
bin, runs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sizes = [int(n) for n in sys.argv[4:]]
results = []
for n in sizes:
    plain = [bin, "count", "-n", str(n), "-d", "1s"]
    live = plain + ["--live"]
    for i in range(runs + 1):  # the first pair warms up and is not kept
        pair = {}
        order = [("plain", plain), ("live", live)]
        if i % 2:
            order.reverse()
        for name, cmd in order:
            start = time.perf_counter()
            code = subprocess.run(cmd).returncode
            pair[name] = time.perf_counter() - start
            if code != 0:
                sys.exit(f"{' '.join(cmd)} exited {code}")
        if i:
            results.append({"n": n, **pair})
with open(out, "w") as f:
    json.dump(results, f)
EOF

tmux -L "$socket" -f /dev/null new-session -d -x 100 -y 30 \
    "python3 $work/runner.py $bin $runs $work/results.json ${sizes[*]} 2>$work/err; tmux -L $socket wait-for -S done"
tmux -L "$socket" wait-for done
if [ ! -s "$work/results.json" ]; then
    echo "bench/live.sh: the runs failed:" >&2
    cat "$work/err" >&2
    exit 1
fi
python3 - "$work/results.json" "$runs" <<'EOF'
import json, statistics, sys
results, runs = json.load(open(sys.argv[1])), sys.argv[2]
print(f"asyncdemo count -n N -d 1s, with and without --live, on a 100x30 tmux pane; {runs} pairs each")
print(f"{'N':>9}  {'without (s) min/median/max':>28}  {'--live (s) min/median/max':>28}  {'ratio (median)':>14}")
for n in sorted({r["n"] for r in results}):
    rows = [r for r in results if r["n"] == n]
    fmt = lambda xs: f"{min(xs):.2f} / {statistics.median(xs):.2f} / {max(xs):.2f}"
    plain = [r["plain"] for r in rows]
    live = [r["live"] for r in rows]
    ratio = statistics.median(r["live"] / r["plain"] for r in rows)
    print(f"{n:>9}  {fmt(plain):>28}  {fmt(live):>28}  {ratio:>14.3f}")
EOF
