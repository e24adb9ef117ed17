"""N queries of pg_sleep(DELAY) through an asyncpg pool of K connections.

    python bench/peers/asyncpg_query.py N DELAY_SECS K SOCKET_DIR

What `asyncdemo query -n N -d DELAY --connections K -q` does, as a Python
programmer would write it: one pool, every query under gather, each task
holding a connection for its query. Prints nothing per query.
"""

import asyncio
import sys

import asyncpg


async def main(n, delay, k, socket_dir):
    pool = await asyncpg.create_pool(
        host=socket_dir, user="postgres", database="postgres", min_size=k, max_size=k
    )

    async def query():
        async with pool.acquire() as conn:
            await conn.execute("SELECT pg_sleep($1)", delay)

    await asyncio.gather(*(query() for _ in range(n)))
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
