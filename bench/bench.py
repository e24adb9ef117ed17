"""Scale benchmark: asyncdemo against a minimal tokio reference and its peers.

    bench/run.sh [--quick]             # builds both Rust binaries, then runs this
    python3 bench/bench.py --help      # options

Every figure is a whole process: start-up, N tasks that each sleep `--delay`
(1 s), the exit. For each N it runs

  asyncdemo   target/release/asyncdemo count -n N --delay 1s -q  (output discarded)
  reference   bench/reference: tokio current-thread, unconstrained join_all of N sleeps
  go          bench/peers/goroutines.go: N goroutines, time.Sleep, sync.WaitGroup
  node        bench/peers/promises.js: Promise.all over N setTimeout promises
  asyncio     bench/countasync.py -q: asyncio.gather over N asyncio.sleep
  uvloop      the same on uvloop, when `import uvloop` works

None of them prints per task. A peer whose toolchain is missing is skipped with
a note. asyncdemo and the reference run alternately (A B A B ...), so that a
noisy neighbour slows both alike; each pair gives the ratio of their overheads
(wall - delay), and the median ratio is quoted.

Wall is time.monotonic() around the subprocess (so it includes the exec of
GNU time, about a millisecond). Peak RSS is GNU time's "Maximum resident set
size" (`/usr/bin/time -v`); it is not read from wait4(2) here, because a child
forked from Python reports Python's own pages from before its exec as part of
its peak. CPU is GNU time's user + system time: on a shared machine a busy
neighbour stretches the wall clock far more than it does the CPU time, so a
wall figure that moves while CPU does not is noise. Medians: 5 runs, or 3
when a run takes over 3 s, or for Python 1 when a run takes over 15 s (1M);
the table says how many.
"""

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BINARY = os.path.join(ROOT, "target", "release", "asyncdemo")
REFERENCE = os.path.join(HERE, "reference", "target", "release", "reference")
GO_SOURCE = os.path.join(HERE, "peers", "goroutines.go")
NODE_SOURCE = os.path.join(HERE, "peers", "promises.js")
PYTHON_SOURCE = os.path.join(HERE, "countasync.py")
GNU_TIME = "/usr/bin/time"
RSS_LINE = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
CPU_LINE = re.compile(r"(?:User|System) time \(seconds\): ([\d.]+)")


def run(argv):
    """Runs argv once with its output discarded; returns the wall seconds."""
    start = time.monotonic()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(argv)}")
    return wall


def measure(argv):
    """Runs argv once under GNU time: (wall seconds, peak RSS bytes, CPU seconds)."""
    with tempfile.NamedTemporaryFile("r") as report:
        wall = run([GNU_TIME, "-v", "-o", report.name, *argv])
        text = report.read()
    match = RSS_LINE.search(text)
    if not match:
        sys.exit(f"no 'Maximum resident set size' from {GNU_TIME} -v for {' '.join(argv)}")
    return wall, int(match.group(1)) * 1024, sum(float(s) for s in CPU_LINE.findall(text))


def repeats_after(first_wall, repeats, single=False):
    """How many runs in all, given the first one's wall; `single` lets a run
    over 15 s stand alone (Python at 1M, half a minute a run)."""
    if single and first_wall > 15:
        return 1
    if first_wall > 3:
        return min(3, repeats)
    return repeats


def series(argv, repeats, single=False):
    """Runs argv `repeats` times (fewer when slow): a list of (wall, rss, cpu)."""
    runs = [measure(argv)]
    while len(runs) < repeats_after(runs[0][0], repeats, single):
        runs.append(measure(argv))
    return runs


def pairs(argv_a, argv_b, repeats):
    """Runs A and B alternately: a list of ((wall, rss) of A, (wall, rss) of B)."""
    runs = [(measure(argv_a), measure(argv_b))]
    while len(runs) < repeats_after(max(runs[0][0][0], runs[0][1][0]), repeats):
        runs.append((measure(argv_a), measure(argv_b)))
    return runs


def median_wall(runs):
    return statistics.median(run[0] for run in runs)


def median_rss(runs):
    return statistics.median(run[1] for run in runs)


def median_cpu(runs):
    return statistics.median(run[2] for run in runs)


def load():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def human_bytes(b):
    if b >= 1e9:
        return f"{b / 1e9:.2f} GB"
    return f"{b / 1e6:.0f} MB" if b >= 10e6 else f"{b / 1e6:.1f} MB"


def sizes(text):
    return [int(s.replace("_", "")) for s in text.split(",")]


def version(argv):
    try:
        done = subprocess.run(argv, capture_output=True, text=True)
    except OSError:
        return None
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else None


def peers(build_dir, notes):
    """The peer programs that can run here: {name: argv prefix taking N DELAY}."""
    found = {}
    if shutil.which("go"):
        exe = os.path.join(build_dir, "goroutines")
        built = subprocess.run(["go", "build", "-o", exe, GO_SOURCE], capture_output=True, text=True)
        if built.returncode == 0:
            found["go"] = [exe]
            notes.append(f"go: {version(['go', 'version'])}")
        else:
            notes.append(f"go: skipped, `go build` failed: {built.stderr.strip()}")
    else:
        notes.append("go: skipped, no `go` on PATH (Debian: apt-get install golang-go)")
    if shutil.which("node"):
        found["node"] = [shutil.which("node"), NODE_SOURCE]
        notes.append(f"node: {version(['node', '--version'])}")
    else:
        notes.append("node: skipped, no `node` on PATH (Debian: apt-get install nodejs)")
    found["asyncio"] = [sys.executable, PYTHON_SOURCE, "-q"]
    notes.append(f"asyncio: Python {platform.python_version()}")
    probe = subprocess.run([sys.executable, "-c", "import uvloop; print(uvloop.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode == 0:
        found["uvloop"] = [sys.executable, PYTHON_SOURCE, "-q", "--uvloop"]
        notes.append(f"uvloop: {probe.stdout.strip()}")
    else:
        notes.append("uvloop: skipped, `import uvloop` fails here (pip install uvloop)")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1",
                        help="leave out N = 10M (also: BENCH_QUICK=1)")
    parser.add_argument("--sizes", type=sizes, default=None,
                        help="task counts, comma-separated (default: 10_000,100_000,1_000_000,10_000_000, "
                             "or without 10_000_000 with --quick)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="runs per figure, fewer for slow runs; medians are quoted (default: 5)")
    parser.add_argument("--peer-max", type=int, default=1_000_000,
                        help="largest N for node and Python (default: 1,000,000)")
    parser.add_argument("--go-max", type=int, default=10_000_000, help="largest N for Go (default: 10,000,000)")
    args = parser.parse_args()
    if args.sizes is None:
        args.sizes = sizes("10_000,100_000,1_000_000" if args.quick else "10_000,100_000,1_000_000,10_000_000")

    for path, how in [(GNU_TIME, "install GNU time (Debian: apt-get install time)"),
                      (BINARY, "run `cargo build --release` first (bench/run.sh does)"),
                      (REFERENCE, "run `cargo build --release --manifest-path bench/reference/Cargo.toml` "
                                  "first (bench/run.sh does)")]:
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: {how}")

    command = os.environ.get("BENCH_COMMAND") or " ".join(["python3", "bench/bench.py", *sys.argv[1:]])
    print(f"command: {command}")
    delay = 1.0
    notes = [f"machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}",
             f"rust: {version(['rustc', '--version'])}"]
    build_dir = tempfile.mkdtemp(prefix="bench-peers-")
    try:
        found = peers(build_dir, notes)
        for note in notes:
            print(f"  {note}")
        print()
        print(f"delay {delay:g} s; overhead = (wall - delay) / N; B/task = peak RSS / N; CPU = user + "
              f"system time, which a busy neighbour disturbs less than wall; medians of the runs "
              f"counted in `runs`; load average at the start: {load()}")
        print()
        print("| N | program | runs | wall median | overhead µs/task | peak RSS | B/task | CPU |")
        print("|---:|:---|---:|---:|---:|---:|---:|---:|")

        def row(n, name, runs):
            wall, rss = median_wall(runs), median_rss(runs)
            print(f"| {n:,} | {name} | {len(runs)} | {wall:.3f} s | {(wall - delay) / n * 1e6:.3f} "
                  f"| {human_bytes(rss)} | {rss / n:.0f} | {median_cpu(runs):.2f} s |", flush=True)

        results = {}
        ratios = {}
        for n in args.sizes:
            a = [BINARY, "count", "-n", str(n), "--delay", f"{delay:g}s", "-q"]
            b = [REFERENCE, str(n), f"{delay:g}"]
            both = pairs(a, b, args.repeats)
            ours = [x for x, _ in both]
            row(n, "asyncdemo", ours)
            row(n, "reference", [y for _, y in both])
            results[n] = (median_wall(ours), median_rss(ours))
            ratios[n] = [((x[0] - delay) / (y[0] - delay), x[1] / y[1]) for x, y in both]
            for name, prefix in found.items():
                if n > (args.go_max if name == "go" else args.peer_max):
                    continue
                single = name in ("asyncio", "uvloop")
                row(n, name, series([*prefix, str(n), f"{delay:g}"], args.repeats, single))
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)

    print()
    print(f"load average at the end: {load()}")
    print()
    print("asyncdemo against the reference, pair by pair (run alternately):")
    print()
    print("| N | pairs | overhead ratio per pair | median overhead ratio | median RSS ratio |")
    print("|---:|---:|:---|---:|---:|")
    for n, each in ratios.items():
        listed = ", ".join(f"{w:.2f}" for w, _ in each)
        print(f"| {n:,} | {len(each)} | {listed} | {statistics.median(w for w, _ in each):.2f}× "
              f"| {statistics.median(r for _, r in each):.2f}× |")

    print()
    startup = statistics.median(run([BINARY, "count", "-n", "3", "--delay", "0s"]) for _ in range(21))
    ref_startup = statistics.median(run([REFERENCE, "3", "0"]) for _ in range(21))
    print(f"start-up, whole process, median of 21: asyncdemo `count -n 3 --delay 0s` {startup * 1e3:.1f} ms, "
          f"reference `3 0` {ref_startup * 1e3:.1f} ms")

    print()
    print("targets:")
    checks = [(f"start-up ≤ 5 ms (measured {startup * 1e3:.1f} ms)", startup <= 0.005)]
    # The scale targets are ratios against the reference run side by side,
    # which a busy machine disturbs far less than absolute wall times.
    for n, label, rss_limit, rss_text in ((1_000_000, "1M", 210 * 1_000_000, "210 B/task"),
                                          (10_000_000, "10M", 2.1e9, "2.1 GB")):
        if n not in results:
            continue
        overhead = statistics.median(w for w, _ in ratios[n])
        w, r = results[n]
        checks += [(f"{label} overhead ≤ 0.6 × the reference's (measured {overhead:.2f}×)",
                    overhead <= 0.6),
                   (f"{label} peak RSS ≤ {rss_text} (measured {r / n:.0f} B/task, "
                    f"{human_bytes(r)})", r <= rss_limit)]
    for name, ok in checks:
        print(f"  {'met ' if ok else 'MISSED'}  {name}")


if __name__ == "__main__":
    main()
