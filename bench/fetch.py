"""fetch at scale beside aiohttp: N requests at once against one slow server.

    python3 bench/fetch.py [--binary PATH] [--sizes 10000,1000] [--repeats 5]

Starts one `asyncdemo serve -d 1s` (its own process) and, for each N, runs in
pairs, alternately (A B A B ...), so that a noisy neighbour slows both alike:

  asyncdemo   target/release/asyncdemo fetch -n N --url URL -q
  aiohttp     bench/peers/aiohttp_fetch.py N URL: one ClientSession, no
              connection limit, gather

both against that same server. aiohttp is installed into a venv under
bench/.venv (gitignored) on the first run, with the system python3's pip.

For each run: wall (time.monotonic() around the process, as bench.py does),
peak RSS (GNU time's "Maximum resident set size"), and the overhead, wall -
delay: what the client costs beyond the one second every request waits.
Medians of the runs are quoted, with min and max, and the targets checked:
asyncdemo's overhead at most 0.5 x aiohttp's, and its peak memory per request
at or below aiohttp's, at the largest N.

The file descriptor limit must allow N connections in each process (the
server holds one per request too); the script raises the soft limit to the
hard one and says so if that is not enough.

    python3 bench/fetch.py --resident [--binary PATH] [--sizes 10000]

instead says where asyncdemo's resident memory is (Linux, glibc, root or
ptrace rights over the child): it starts one fetch of the largest N, stops
it halfway through the server's delay (every request written, no reply back
yet), and walks glibc's main heap chunk by chunk (sizes from the chunk
headers, read through /proc/PID/mem) against the pages the kernel says are
resident (/proc/PID/pagemap). A resident page is shared among the chunks it
overlaps. Per chunk size: bytes asked and bytes resident, per request.
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")
PEER = os.path.join(HERE, "peers", "aiohttp_fetch.py")
GNU_TIME = "/usr/bin/time"
RSS_LINE = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
DELAY_SECS = 1.0


def ensure_aiohttp():
    """The venv's python, with aiohttp installed into it on first use."""
    check = [VENV_PYTHON, "-c", "import aiohttp"]
    if os.path.exists(VENV_PYTHON) and subprocess.run(check, stderr=subprocess.DEVNULL).returncode == 0:
        return VENV_PYTHON
    print("installing aiohttp into bench/.venv ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([VENV_PYTHON, "-m", "pip", "install", "-q", "aiohttp"], check=True)
    return VENV_PYTHON


def raise_descriptor_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n + 100:
        sys.exit("the hard descriptor limit (%d) is below N (%d): raise it (ulimit -Hn)" % (hard, n))
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_server(binary):
    """One `asyncdemo serve -d 1s` on a free loopback port: (process, URL)."""
    server = subprocess.Popen(
        [binary, "serve", "-d", "%gs" % DELAY_SECS, "--client-timeout", "60s"],
        stdout=subprocess.PIPE,
        # Its log, a line per request (20,000 per pair at 10k), would bury
        # the figures; a server that fails shows as a client run that fails.
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = server.stdout.readline()
    match = re.search(r"(http://\S+)", line)
    if not match:
        server.kill()
        sys.exit("asyncdemo serve did not say where it listens: %r" % line)
    return server, match.group(1)


def measure(argv):
    """One run under GNU time: (wall seconds, peak RSS bytes)."""
    with tempfile.NamedTemporaryFile("r") as report:
        start = time.monotonic()
        done = subprocess.run([GNU_TIME, "-v", "-o", report.name, *argv], stdout=subprocess.DEVNULL)
        wall = time.monotonic() - start
        text = report.read()
    if done.returncode != 0:
        sys.exit("failed (%d): %s" % (done.returncode, " ".join(argv)))
    return wall, int(RSS_LINE.search(text).group(1)) * 1024


def resident(binary, url, n):
    """Prints, per glibc chunk size, the heap and resident bytes per request
    of `asyncdemo fetch -n N` while all N requests wait for their replies."""
    import collections
    import struct

    child = subprocess.Popen([binary, "fetch", "-n", str(n), "--url", url, "-q"], stdout=subprocess.DEVNULL)
    # Connecting 10,000 sockets takes most of a second, and the first reply
    # comes a second after its request: half a second later, all wait.
    time.sleep(DELAY_SECS * 1.5)
    os.kill(child.pid, 19)  # SIGSTOP: the heap holds still while it is read
    try:
        with open("/proc/%d/maps" % child.pid) as maps:
            heap = [line.split()[0] for line in maps if line.rstrip().endswith("[heap]")]
        lo, hi = (int(x, 16) for x in heap[0].split("-"))
        # The pagemap first: reading the heap through /proc/PID/mem faults
        # its untouched pages in, and they would all look resident.
        with open("/proc/%d/pagemap" % child.pid, "rb") as pagemap:
            pagemap.seek(lo // 4096 * 8)
            raw = pagemap.read((hi - lo) // 4096 * 8)
        present = [struct.unpack_from("<Q", raw, i * 8)[0] >> 63 for i in range(len(raw) // 8)]
        with open("/proc/%d/mem" % child.pid, "rb") as mem:
            mem.seek(lo)
            data = mem.read(hi - lo)
        with open("/proc/%d/status" % child.pid) as status:
            rss = [line.split()[1] for line in status if line.startswith("VmRSS")][0]
    finally:
        os.kill(child.pid, 18)  # SIGCONT
        child.wait()
    # glibc's chunks: the size (low 3 bits are flags) at offset 8 of each;
    # a chunk is in use when the next one's PREV_INUSE bit (1) says so.
    chunks = []
    at = 0
    while at + 16 <= len(data):
        size = struct.unpack_from("<Q", data, at + 8)[0] & ~7
        if size == 0 or at + size > len(data):
            break
        chunks.append((at, size))
        at += size
    table = collections.defaultdict(lambda: [0, 0, 0])
    for i, (at, size) in enumerate(chunks):
        used = i + 1 == len(chunks) or struct.unpack_from("<Q", data, chunks[i + 1][0] + 8)[0] & 1
        res = 0
        page = at // 4096
        while page * 4096 < at + size:
            if present[page]:
                res += min(at + size, (page + 1) * 4096) - max(at, page * 4096)
            page += 1
        row = table[(size if size > 512 else "<=512", "used" if used else "free")]
        row[0] += 1
        row[1] += size
        row[2] += res
    print("asyncdemo fetch -n %d, all waiting: RSS %s KiB; heap %.0f MB, %.0f MB resident"
          % (n, rss, len(data) / 1e6, sum(present) * 4096 / 1e6))
    print("  %8s %5s %8s %12s %12s" % ("chunk", "", "per req", "heap B/req", "resident B/req"))
    for (size, used), (count, heap_bytes, res) in sorted(table.items(), key=lambda kv: -kv[1][2]):
        if res / n >= 20:
            print("  %8s %5s %8.2f %12.0f %12.0f" % (size, used, count / n, heap_bytes / n, res / n))


def spread(values, fmt):
    return "%s (%s-%s)" % (fmt(statistics.median(values)), fmt(min(values)), fmt(max(values)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "asyncdemo"))
    parser.add_argument("--sizes", default="10000,1000", help="request counts (default: 10000,1000)")
    parser.add_argument("--repeats", type=int, default=5, help="pairs per N (default: 5)")
    parser.add_argument("--resident", action="store_true", help="where asyncdemo's resident memory is, at the largest N")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.resident:
        raise_descriptor_limit(max(sizes))
        server, url = start_server(args.binary)
        try:
            resident(args.binary, url, max(sizes))
        finally:
            server.kill()
            server.wait()
        return
    python = ensure_aiohttp()
    raise_descriptor_limit(max(sizes))
    server, url = start_server(args.binary)
    try:
        results = {}
        for n in sizes:
            ours = [args.binary, "fetch", "-n", str(n), "--url", url, "-q"]
            theirs = [python, PEER, str(n), url]
            pairs = [(measure(ours), measure(theirs)) for _ in range(args.repeats)]
            results[n] = pairs
            print("N = %d, %d pairs, medians (min-max):" % (n, len(pairs)))
            for name, runs in (("asyncdemo", [p[0] for p in pairs]), ("aiohttp", [p[1] for p in pairs])):
                walls = [w for w, _ in runs]
                rss = [r for _, r in runs]
                print(
                    "  %-10s wall %s  overhead %s  peak %s  per request %s"
                    % (
                        name,
                        spread(walls, lambda v: "%.2f s" % v),
                        spread([w - DELAY_SECS for w in walls], lambda v: "%.2f s" % v),
                        spread(rss, lambda v: "%.0f MB" % (v / 1e6)),
                        spread([r / n for r in rss], lambda v: "%.1f KB" % (v / 1e3)),
                    )
                )
            ratios = [(a[0] - DELAY_SECS) / (b[0] - DELAY_SECS) for a, b in pairs]
            print("  overhead ratio asyncdemo/aiohttp, per pair: %s" % spread(ratios, lambda v: "%.2f" % v))
        n = max(sizes)
        pairs = results[n]
        ratio = statistics.median((a[0] - DELAY_SECS) / (b[0] - DELAY_SECS) for a, b in pairs)
        ours_kb = statistics.median(a[1] for a, _ in pairs) / n / 1e3
        theirs_kb = statistics.median(b[1] for _, b in pairs) / n / 1e3
        print("targets at N = %d:" % n)
        print("  overhead ratio %.2f (target <= 0.5): %s" % (ratio, "met" if ratio <= 0.5 else "NOT met"))
        print(
            "  peak per request %.1f KB vs aiohttp %.1f KB (target <=): %s"
            % (ours_kb, theirs_kb, "met" if ours_kb <= theirs_kb else "NOT met")
        )
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
