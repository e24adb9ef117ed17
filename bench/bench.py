"""Scale benchmark: asyncdemo vs Python asyncio, wall clock and peak memory.

    bench/run.sh                       # builds the release binary, then runs this
    python3 bench/bench.py --help      # options

For each N it runs `asyncdemo count -n N --delay 1s > /dev/null` and the same
lesson in Python (bench/countasync.py) several times, and prints the median
wall clock and the median peak RSS of each, the overhead per task beyond the
one-second sleep, the memory per task, and the Python/Rust ratios.

Peak RSS is GNU time's "Maximum resident set size" (`/usr/bin/time -f %M`).
It is not read from wait4(2) here, because a child forked from Python
reports Python's own pages from before its exec as part of its peak.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BINARY = os.path.join(ROOT, "target", "release", "asyncdemo")
PYTHON_REF = os.path.join(HERE, "countasync.py")
GNU_TIME = "/usr/bin/time"


def run(argv):
    """Runs argv once with stdout to /dev/null; returns the wall seconds."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(argv)}")
    return wall


def measure(argv):
    """Runs argv once under GNU time: (wall seconds, peak RSS bytes)."""
    with tempfile.NamedTemporaryFile("r") as report:
        wall = run([GNU_TIME, "-f", "%M", "-o", report.name, *argv])
        rss_kib = int(report.read().split()[-1])
    return wall, rss_kib * 1024


def median_of(argv, repeats):
    runs = [measure(argv) for _ in range(repeats)]
    return statistics.median(w for w, _ in runs), statistics.median(r for _, r in runs)


def sizes(text):
    return [int(s.replace("_", "")) for s in text.split(",")]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=sizes, default=sizes("10_000,100_000,1_000_000,10_000_000"),
                        help="task counts, comma-separated (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure; medians are quoted (default: 5)")
    parser.add_argument("--python-max", type=int, default=1_000_000,
                        help="largest N to run in Python; 10M needs ~16 GB and minutes (default: 1,000,000)")
    parser.add_argument("--python-repeats", type=int, default=3, help="runs per Python figure (default: 3)")
    args = parser.parse_args()

    if not os.path.exists(GNU_TIME):
        sys.exit(f"{GNU_TIME} is missing: install GNU time (Debian: apt-get install time)")
    if not os.path.exists(BINARY):
        sys.exit(f"{BINARY} is missing: run `cargo build --release` first (bench/run.sh does)")
    delay = 1.0
    # One task with the same delay: the fixed cost of a run (start-up, the
    # runtime, the sleep itself), subtracted so the table shows the cost each
    # further task adds.
    base_wall, base_rss = median_of([BINARY, "count", "-n", "1", "--delay", "1s"], args.repeats)

    print(f"asyncdemo count -n N --delay 1s > /dev/null, medians of {args.repeats} runs "
          f"(Python: {args.python_repeats}); {os.cpu_count()} cores")
    print(f"one task: {base_wall:.3f} s, {base_rss / 1e6:.1f} MB; the per-task columns are "
          "(N-task figure − one-task figure) / N")
    print()
    header = ("| N | asyncdemo wall | overhead / task | asyncdemo RSS | bytes / task "
              "| Python wall | Python RSS | Python/Rust wall | Python/Rust RSS |")
    print(header)
    print("|---:" * 9 + "|")
    results = {}
    for n in args.sizes:
        wall, rss = median_of([BINARY, "count", "-n", str(n), "--delay", "1s"], args.repeats)
        results[n] = (wall, rss)
        overhead_us = (wall - base_wall) / n * 1e6
        per_task = (rss - base_rss) / n
        row = f"| {n:,} | {wall:.2f} s | {overhead_us:.3f} µs | {rss / 1e6:.0f} MB | {per_task:.0f} B |"
        if n <= args.python_max:
            py_wall, py_rss = median_of([sys.executable, PYTHON_REF, str(n), str(delay)], args.python_repeats)
            row += f" {py_wall:.2f} s | {py_rss / 1e6:.0f} MB | {py_wall / wall:.1f}× | {py_rss / rss:.1f}× |"
        else:
            row += " (not run) | | | |"
        print(row, flush=True)

    print()
    startup = statistics.median(run([BINARY, "count", "-n", "3", "--delay", "0s"]) for _ in range(21))
    print(f"start-up, `count -n 3 --delay 0s`, whole process, median of 21: {startup * 1e3:.1f} ms")
    n = 1_000_000 if 1_000_000 in results else max(results)
    nd_wall, nd_rss = median_of([BINARY, "count", "-n", str(n), "--delay", "1s", "-f", "ndjson"], args.repeats)
    text_wall = results[n][0]
    print(f"ndjson at N={n:,}: {nd_wall:.2f} s, {nd_rss / 1e6:.0f} MB "
          f"({nd_wall / text_wall:.2f}× the text run's {text_wall:.2f} s)")

    print()
    print("targets:")
    checks = [("start-up ≤ 5 ms", startup <= 0.005)]
    if 1_000_000 in results:
        w, r = results[1_000_000]
        checks += [(f"1M wall ≤ 1.25 s (measured {w:.2f} s)", w <= 1.25),
                   (f"1M RSS ≤ 256 MB (measured {r / 1e6:.0f} MB)", r <= 256e6)]
    if 10_000_000 in results:
        w, r = results[10_000_000]
        checks += [(f"10M wall ≤ 4 s (measured {w:.2f} s)", w <= 4.0),
                   (f"10M RSS ≤ 2.5 GB (measured {r / 1e9:.2f} GB)", r <= 2.5e9)]
    checks.append((f"ndjson ≤ 2× text at N={n:,}", nd_wall <= 2 * text_wall))
    for name, ok in checks:
        print(f"  {'met ' if ok else 'MISSED'}  {name}")


if __name__ == "__main__":
    main()
