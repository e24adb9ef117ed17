"""The notes' countasync.py with the task count and the delay as arguments.

    python3 bench/countasync.py [N] [DELAY_SECS]

The reference that bench/bench.py measures asyncdemo against: the same
coroutine (print, sleep, print) gathered N times on asyncio's event loop.
"""

import asyncio
import sys
import time


async def count(delay):
    print("One")
    await asyncio.sleep(delay)  # non-blocking, gives execution back to the loop
    print("Two")


async def main(n, delay):
    await asyncio.gather(*(count(delay) for _ in range(n)))


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    s = time.perf_counter()
    asyncio.run(main(n, delay))
    elapsed = time.perf_counter() - s
    print(f"{__file__} executed in {elapsed:0.2f} seconds.")
