"""The notes' programs, one row of `asyncdemo compare --python` per run.

    python3 -c "$(cat rows.py)" ROW DEMO N DELAY_SECS [URL | CONNECTIONS] [< DATABASE]

asyncdemo embeds this file and runs it once per row, with the same task count
and delay as its own rows. ROW is one of

  gather       asyncio.sleep under gather: the notes' countasync.py
  blocking     time.sleep inside the same coroutines
  to_thread    asyncio.to_thread(time.sleep) under gather
  threads      a threading.Thread per task, no event loop
  uvloop       asyncio.sleep under gather, on uvloop's event loop
  aiohttp      fetch: one aiohttp session, its requests under gather
  requests     fetch: a requests call inside each coroutine
  sqlite3      query: sqlite3 called inside each coroutine
  aiosqlite    query: aiosqlite, its queries under gather
  psycopg      query: sync psycopg called inside each coroutine (PostgreSQL)
  asyncpg      query: an asyncpg pool, its queries under gather (PostgreSQL)

For query, the fifth argument is the number of connections, and the
database (a SQLite file, ":memory:", or PostgreSQL's key=value or
postgresql:// form) comes on stdin, never as an argument: its text may hold
a password, and every user of the machine can read a process's arguments
(`ps`, /proc/PID/cmdline).

Nothing is printed while the tasks run (asyncdemo's own compare rows print
into nothing too): each task line is recorded with its time, and the record
is printed after the measured part, one fact per line:

  python 3.11.7              the version (always the first line)
  event NS TASK first|last THREAD
  fail TASK REASON           a request that got no good reply
  observed NS                the quickest request's round trip
  park NS THREAD 1|0         the loop's thread went idle (1) or woke (0)
  executor THREADS           the default executor's size (to_thread)
  call NS TASK 1|0 THREAD    an executor thread began (1) or ended (0) a
                             task's call (to_thread): a call queued for a
                             free executor thread has not begun
  polls LONGEST_NS SLOW      the longest callback of the event loop
  elapsed NS                 the measured part, as the notes time it

Times are nanoseconds of time.perf_counter(), from the start of the measured
part: the interpreter's start-up and the imports are not inside it, as in the
notes, which start their clock just before asyncio.run(main()).

Exit status: 0 measured; 3 a package the row needs does not import; 4 this
Python is older than 3.9 (asyncio.to_thread); anything else, a failure.
The file avoids syntax newer than Python 3.5 so that an old interpreter
reaches the version check and says so.
"""

import sys

sys.stdout.write("python %d.%d.%d\n" % tuple(sys.version_info[:3]))
if sys.version_info < (3, 9):
    sys.stderr.write("asyncio.to_thread needs Python 3.9 or newer\n")
    sys.exit(4)

import asyncio
import os
import threading
import time

# What a callback of the event loop may hold it for before it counts as slow:
# asyncio's own slow_callback_duration (debug mode), and what asyncdemo's
# compare counts as a slow poll.
SLOW_CALLBACK = 0.1

# Each task line: (nanoseconds since the start, task, phase, thread).
events = []
# Tasks whose request failed: (task, reason).
failures = []
# Round trips of the requests that got a good reply, in nanoseconds.
round_trips = []
# The OS threads that printed a line, numbered from 1 in order of first use,
# as asyncdemo numbers its own.
thread_numbers = {}
numbering = threading.Lock()
start_ns = 0


def thread_number():
    """The calling thread's number."""
    ident = threading.get_ident()
    thread = thread_numbers.get(ident)
    if thread is None:
        # Under a lock: two new threads must not both take the same number.
        with numbering:
            thread = thread_numbers.setdefault(ident, len(thread_numbers) + 1)
    return thread


def line(task, phase):
    """Records that `task` printed its `phase` line ("first" or "last")."""
    at = time.perf_counter_ns() - start_ns
    events.append((at, task, phase, thread_number()))


# When the event loop's thread sat idle in the selector (epoll), waiting
# for a timer or a socket: what tokio's park hooks record for asyncdemo's
# own thread lanes. Idles shorter than this are left out, as asyncdemo
# leaves out its own, and at most MAX_PARKS are kept.
SHORTEST_IDLE_NS = 50_000
MAX_PARKS = 100_000
parks = []


def watch_idle():
    """Times every wait of the running loop's selector (not uvloop's)."""
    loop = asyncio.get_running_loop()
    selector = getattr(loop, "_selector", None)
    if selector is None:
        return
    thread = thread_number()
    select = selector.select

    def timed_select(timeout=None):
        began = time.perf_counter_ns() - start_ns
        try:
            return select(timeout)
        finally:
            ended = time.perf_counter_ns() - start_ns
            if ended - began >= SHORTEST_IDLE_NS and len(parks) < MAX_PARKS:
                parks.append((began, thread, 1))
                parks.append((ended, thread, 0))

    selector.select = timed_select


# The longest callback, and how many were slow. asyncio runs every step of
# every Task as a callback (a Handle): timing them is timing what tokio calls
# a poll. uvloop's handles are its own, so its row has no such figure.
polls = {"longest": 0, "slow": 0, "timed": False}


def time_callbacks():
    run = asyncio.events.Handle._run

    def timed(handle):
        began = time.perf_counter_ns()
        try:
            return run(handle)
        finally:
            took = time.perf_counter_ns() - began
            if took > polls["longest"]:
                polls["longest"] = took
            if took >= SLOW_CALLBACK * 1e9:
                polls["slow"] += 1

    asyncio.events.Handle._run = timed
    polls["timed"] = True


# --- count and hello: the notes' coroutine, four ways of waiting ---------


async def sleeps(task, delay):
    line(task, "first")
    await asyncio.sleep(delay)  # non-blocking, gives execution back to the loop
    line(task, "last")


async def blocks(task, delay):
    line(task, "first")
    time.sleep(delay)  # blocking: the loop runs nothing else meanwhile
    line(task, "last")


# Each to_thread call's start and end on its executor thread:
# (nanoseconds since the start, task, 1 began or 0 ended, thread).
calls = []


def offloaded(task, delay):
    """The call to_thread hands to the executor: it notes when a thread
    really began it, which a call queued for a free thread has not."""
    calls.append((time.perf_counter_ns() - start_ns, task, 1, thread_number()))
    time.sleep(delay)
    calls.append((time.perf_counter_ns() - start_ns, task, 0, thread_number()))


async def offloads(task, delay):
    line(task, "first")
    # The sleep runs on the loop's default executor, a ThreadPoolExecutor of
    # at most min(32, os.cpu_count() + 4) threads, started as calls need
    # them; the coroutine awaits it.
    await asyncio.to_thread(offloaded, task, delay)
    line(task, "last")


# The size of the default executor that to_thread used, once it has run.
executor = []


def gather(coroutine, n, delay):
    async def main():
        watch_idle()
        await asyncio.gather(*(coroutine(task, delay) for task in range(1, n + 1)))
        pool = getattr(asyncio.get_running_loop(), "_default_executor", None)
        if pool is not None:
            executor.append(getattr(pool, "_max_workers", 0))

    return main()


def threads(n, delay):
    def count(task):
        line(task, "first")
        time.sleep(delay)
        line(task, "last")

    workers = [threading.Thread(target=count, args=(task,)) for task in range(1, n + 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


# --- fetch: the two clients the notes contrast ----------------------------


def reason(status, text):
    """Why a reply outside 2xx fails its task: `HTTP 404 Not Found`."""
    return ("HTTP %d %s" % (status, text or "")).strip()


async def fetch_aiohttp(n, delay, url):
    import aiohttp

    # aiohttp's connector allows 100 connections at a time unless told
    # otherwise; reqwest has no such limit, so neither does this row.
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=delay + 10)
    watch_idle()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def fetch(task):
            line(task, "first")
            began = time.perf_counter_ns()
            try:
                async with session.get(url) as response:
                    await response.read()
                    if 200 <= response.status < 300:
                        round_trips.append(time.perf_counter_ns() - began)
                        line(task, "last")
                    else:
                        failures.append((task, reason(response.status, response.reason)))
            except Exception as err:  # every failure is the task's own
                failures.append((task, "%s: %s" % (type(err).__name__, err)))

        await asyncio.gather(*(fetch(task) for task in range(1, n + 1)))


async def fetch_requests(n, delay, url, session):
    watch_idle()
    async def fetch(task):
        line(task, "first")
        began = time.perf_counter_ns()
        try:
            # Blocking: the loop runs nothing else until the reply is in.
            response = session.get(url, timeout=delay + 10)
            if response.ok:
                round_trips.append(time.perf_counter_ns() - began)
                line(task, "last")
            else:
                failures.append((task, reason(response.status_code, response.reason)))
        except Exception as err:
            failures.append((task, "%s: %s" % (type(err).__name__, err)))

    await asyncio.gather(*(fetch(task) for task in range(1, n + 1)))


# --- query: a slow query, the drivers the notes' lesson contrasts ----------


def sqlite_sleep(ms):
    """The SQL function sleep(ms), as asyncdemo registers it on SQLite."""
    time.sleep(ms / 1000.0)
    return ms


def sqlite_target(db):
    """sqlite3's way to open `db` read-only (a file), or in memory."""
    if db == ":memory:":
        return db, False
    return "file:%s?mode=ro" % db, True


async def gather_queries(n, run_query):
    """Each task prints its first line, awaits run_query(task) and prints its
    last line, under one gather; a query that fails is kept with its reason,
    and the other tasks go on. A blocking driver's run_query never awaits, so
    it holds the loop as calling the driver inside a coroutine does."""

    async def query(task):
        line(task, "first")
        try:
            await run_query(task)
            line(task, "last")
        except Exception as err:
            failures.append((task, "%s: %s" % (type(err).__name__, err)))

    await asyncio.gather(*(query(task) for task in range(1, n + 1)))


async def query_sqlite3(n, delay, db, connections):
    import sqlite3

    target, uri = sqlite_target(db)
    conns = []
    for _ in range(connections):
        conn = sqlite3.connect(target, uri=uri)
        conn.create_function("sleep", 1, sqlite_sleep)
        conns.append(conn)
    watch_idle()

    async def run_query(task):
        # Blocking: the loop runs nothing else until SQLite returns.
        conns[(task - 1) % connections].execute("SELECT sleep(?)", (delay * 1000,)).fetchall()

    await gather_queries(n, run_query)


async def query_aiosqlite(n, delay, db, connections):
    import aiosqlite

    target, uri = sqlite_target(db)
    # Each aiosqlite connection is a thread of its own that runs its
    # queries in turn, as asyncdemo's async SQLite connections are.
    conns = []
    for _ in range(connections):
        conn = await aiosqlite.connect(target, uri=uri)
        await conn.create_function("sleep", 1, sqlite_sleep)
        conns.append(conn)
    watch_idle()

    async def run_query(task):
        conn = conns[(task - 1) % connections]
        async with conn.execute("SELECT sleep(?)", (delay * 1000,)) as cursor:
            await cursor.fetchall()

    try:
        await gather_queries(n, run_query)
    finally:
        for conn in conns:
            await conn.close()


def pg_params(db):
    """PostgreSQL's key=value form as keyword arguments (asyncpg takes a
    URL or keywords; psycopg takes either as it is)."""
    if "://" in db:
        return {"dsn": db}
    params = dict(pair.split("=", 1) for pair in db.split())
    if "dbname" in params:
        params["database"] = params.pop("dbname")
    params.pop("application_name", None)
    return params


async def query_asyncpg(n, delay, db, connections):
    import asyncpg

    pool = await asyncpg.create_pool(min_size=connections, max_size=connections, **pg_params(db))
    watch_idle()

    async def run_query(task):
        # A connection refuses a second query while one runs ("another
        # operation is in progress"): the pool hands each task its own.
        async with pool.acquire() as conn:
            await conn.execute("SELECT pg_sleep($1)", delay)

    try:
        await gather_queries(n, run_query)
    finally:
        await pool.close()


async def query_psycopg(n, delay, db, connections):
    import psycopg

    conns = [psycopg.connect(db, autocommit=True) for _ in range(connections)]
    watch_idle()

    async def run_query(task):
        # Blocking, and silently so: the loop runs nothing else until the
        # server answers. (Rust's sync client refuses instead.)
        conns[(task - 1) % connections].execute("SELECT pg_sleep(%s)", (delay,))

    try:
        await gather_queries(n, run_query)
    finally:
        for conn in conns:
            conn.close()


# The rows of query, which read their database from stdin.
QUERY_ROWS = ("sqlite3", "aiosqlite", "psycopg", "asyncpg")


def missing(package):
    sys.stderr.write("%s is not installed (pip install %s)\n" % (package, package))
    sys.exit(3)


def main(argv):
    global start_ns
    row, demo, n, delay = argv[0], argv[1], int(argv[2]), float(argv[3])
    url = argv[4] if len(argv) > 4 else None
    run = asyncio.run
    # Imports first: they are start-up, not part of what is measured.
    if row == "uvloop":
        try:
            import uvloop
        except ImportError:
            missing("uvloop")
        if hasattr(uvloop, "run"):
            run = uvloop.run
        else:  # uvloop before 0.18
            uvloop.install()
    if row == "aiohttp":
        try:
            import aiohttp  # noqa: F401
        except ImportError:
            missing("aiohttp")
    session = None
    if row == "requests":
        try:
            import requests
        except ImportError:
            missing("requests")
        session = requests.Session()
        # Like asyncdemo's clients: no proxy from the environment.
        session.trust_env = False
    for package in ("aiosqlite", "asyncpg", "psycopg"):
        if row == package:
            try:
                __import__(package)
            except ImportError:
                missing(package)
    db = None
    connections = n
    if row in QUERY_ROWS:
        # The whole of stdin, as written: asyncdemo closes it after the text.
        db = sys.stdin.read()
        connections = int(argv[4]) if len(argv) > 4 else n
    if row != "uvloop" and row != "threads":
        time_callbacks()

    start_ns = time.perf_counter_ns()
    if row == "gather" or row == "uvloop":
        run(gather(sleeps, n, delay))
    elif row == "blocking":
        run(gather(blocks, n, delay))
    elif row == "to_thread":
        run(gather(offloads, n, delay))
    elif row == "threads":
        threads(n, delay)
    elif row == "aiohttp":
        run(fetch_aiohttp(n, delay, url))
    elif row == "requests":
        run(fetch_requests(n, delay, url, session))
    elif row == "sqlite3":
        run(query_sqlite3(n, delay, db, connections))
    elif row == "aiosqlite":
        run(query_aiosqlite(n, delay, db, connections))
    elif row == "psycopg":
        run(query_psycopg(n, delay, db, connections))
    elif row == "asyncpg":
        run(query_asyncpg(n, delay, db, connections))
    else:
        sys.stderr.write("no such row: %s\n" % row)
        sys.exit(2)
    elapsed = time.perf_counter_ns() - start_ns

    out = []
    for at, task, phase, thread in events:
        out.append("event %d %d %s %d\n" % (at, task, phase, thread))
    for task, why in failures:
        # One line per failure, whatever the reason holds.
        out.append("fail %d %s\n" % (task, " ".join(why.split())))
    if round_trips:
        out.append("observed %d\n" % min(round_trips))
    for at, thread, parked in parks:
        out.append("park %d %d %d\n" % (at, thread, parked))
    if executor:
        out.append("executor %d\n" % executor[0])
    for at, task, began, thread in calls:
        out.append("call %d %d %d %d\n" % (at, task, began, thread))
    if polls["timed"]:
        out.append("polls %d %d\n" % (polls["longest"], polls["slow"]))
    out.append("elapsed %d\n" % elapsed)
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
