"""N GETs at once with aiohttp: what a Python programmer would write instead
of `asyncdemo fetch -n N --url URL -q`.

    python3 bench/peers/aiohttp_fetch.py N URL

One ClientSession for every request (as asyncdemo shares one reqwest
client), its connector without aiohttp's default limit of 100 connections
(reqwest has none), each reply read whole, gathered. Exits 1 if any request
did not get a 2xx reply.
"""

import asyncio
import sys

import aiohttp


async def main(n, url):
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def fetch():
            async with session.get(url) as response:
                await response.read()
                return 200 <= response.status < 300

        results = await asyncio.gather(*(fetch() for _ in range(n)), return_exceptions=True)
    failed = sum(1 for ok in results if ok is not True)
    if failed:
        sys.exit("%d of %d requests failed" % (failed, n))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
