"""query at scale beside asyncpg: N pg_sleep queries through a pool of K.

    python3 bench/query.py [--binary PATH] [--repeats 3] [--quick]

Starts a throwaway PostgreSQL server (initdb and pg_ctl from `pg_config
--bindir` or /usr/lib/postgresql/*/bin, as the `postgres` user when run as
root, a Unix socket in a temporary directory, no TCP, max_connections=250),
and for each case runs in pairs, alternately (A B A B ...), so that a noisy
neighbour slows both alike:

  asyncdemo  target/release/asyncdemo query -n N -d D --connections K --db ... -q
  asyncpg    bench/peers/asyncpg_query.py N D K SOCKET_DIR (one pool, gather)

both against that same server, the cases being N in {1000, 10000}, D in {0,
0.1 s} and K in {10, 100}. N = 10000 of 0.1 s through 10 connections takes
100 s a run for either client (the pool allows 100 queries a second), so it
runs one pair only. asyncpg is installed into bench/.venv (gitignored) on
the first run.

For each run: wall (time.monotonic() around the process) and the client's
peak RSS (GNU time's "Maximum resident set size"; the server's processes
are not the client's). Throughput is N / wall. Medians with min and max.
The server is stopped at the end, whatever happens.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# One run measured, and a spread of runs, as fetch.py takes and quotes them.
sys.path.insert(0, HERE)
from fetch import measure, spread  # noqa: E402
ROOT = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
VENV_PYTHON = os.path.join(VENV, "bin", "python")
PEER = os.path.join(HERE, "peers", "asyncpg_query.py")


def ensure_asyncpg():
    """The venv's python, with asyncpg installed into it on first use."""
    check = [VENV_PYTHON, "-c", "import asyncpg"]
    if os.path.exists(VENV_PYTHON) and subprocess.run(check, stderr=subprocess.DEVNULL).returncode == 0:
        return VENV_PYTHON
    print("installing asyncpg into bench/.venv ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([VENV_PYTHON, "-m", "pip", "install", "-q", "asyncpg"], check=True)
    return VENV_PYTHON


def bindir():
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        if os.path.exists(os.path.join(out, "initdb")):
            return out
    except FileNotFoundError:
        pass
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not dirs:
        sys.exit("no PostgreSQL server binaries (initdb): install the postgresql package")
    return os.path.dirname(dirs[-1])


class Server:
    """A PostgreSQL server in a temporary directory, on a Unix socket only."""

    def __init__(self):
        self.bin = bindir()
        self.dir = tempfile.mkdtemp(prefix="adpgb", dir="/tmp")
        self.root = os.geteuid() == 0
        if self.root:
            shutil.chown(self.dir, "postgres")
        self.data = os.path.join(self.dir, "data")
        self.run("initdb", "-A", "trust", "-U", "postgres", "-D", self.data)
        options = "-k %s -c listen_addresses= -c max_connections=250 -c fsync=off" % self.dir
        self.run("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-o", options, "-w", "start")

    def run(self, name, *args, check=True):
        argv = [os.path.join(self.bin, name), *args]
        if self.root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "asyncdemo"))
    parser.add_argument("--repeats", type=int, default=3, help="pairs per case (default: 3)")
    parser.add_argument("--quick", action="store_true", help="N = 1000 only")
    args = parser.parse_args()
    python = ensure_asyncpg()
    server = Server()
    db = "host=%s user=postgres dbname=postgres" % server.dir
    cases = []
    for n in (1000,) if args.quick else (1000, 10000):
        for delay in (0.0, 0.1):
            for k in (10, 100):
                pairs = 1 if n * delay / k > 30 else args.repeats
                cases.append((n, delay, k, pairs))
    try:
        for n, delay, k, pairs in cases:
            ours = [args.binary, "query", "-n", str(n), "-d", "%gs" % delay, "--connections", str(k), "--db", db, "-q"]
            theirs = [python, PEER, str(n), str(delay), str(k), server.dir]
            runs = [(measure(ours), measure(theirs)) for _ in range(pairs)]
            print("N = %d, pg_sleep(%g), pool of %d, %d pair%s, medians (min-max):"
                  % (n, delay, k, pairs, "" if pairs == 1 else "s"))
            for name, mine in (("asyncdemo", [r[0] for r in runs]), ("asyncpg", [r[1] for r in runs])):
                walls = [w for w, _ in mine]
                print("  %-9s  wall %s  throughput %s  peak %s" % (
                    name,
                    spread(walls, lambda s: "%.2f s" % s),
                    spread([n / w for w in walls], lambda q: "%.0f/s" % q),
                    spread([r for _, r in mine], lambda b: "%.0f MB" % (b / 1e6)),
                ))
            ratios = [theirs_wall / ours_wall for (ours_wall, _), (theirs_wall, _) in runs]
            print("  throughput ratio asyncdemo/asyncpg, per pair: %s" % spread(ratios, lambda r: "%.2f" % r))
            sys.stdout.flush()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
