"""The notes' countasync.py with the task count and the delay as arguments.

    python3 bench/countasync.py [-q] [--uvloop] [N] [DELAY_SECS]

The same coroutine (print, sleep, print) gathered N times on asyncio's event
loop. -q leaves the prints out, as `asyncdemo count -q` does, so that only the
tasks and the waiting are measured (bench/bench.py runs it so). --uvloop runs
the same on uvloop's event loop; it exits with status 3 when uvloop is not
installed.
"""

import argparse
import asyncio
import sys
import time


async def count(delay):
    print("One")
    await asyncio.sleep(delay)  # non-blocking, gives execution back to the loop
    print("Two")


async def count_quietly(delay):
    await asyncio.sleep(delay)


async def main(n, delay, quiet):
    coroutine = count_quietly if quiet else count
    await asyncio.gather(*(coroutine(delay) for _ in range(n)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", nargs="?", type=int, default=3, help="task count (default: 3)")
    parser.add_argument("delay", nargs="?", type=float, default=1.0, help="seconds each task sleeps (default: 1)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing at all")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    args = parser.parse_args()
    run = asyncio.run
    if args.uvloop:
        try:
            import uvloop
        except ImportError:
            print("uvloop is not installed (pip install uvloop)", file=sys.stderr)
            sys.exit(3)
        if hasattr(uvloop, "run"):
            run = uvloop.run
        else:  # uvloop before 0.18
            uvloop.install()
    s = time.perf_counter()
    run(main(args.n, args.delay, args.quiet))
    elapsed = time.perf_counter() - s
    if not args.quiet:
        print(f"{__file__} executed in {elapsed:0.2f} seconds.")
