"""What the asyncio programs of `taskio demo` share (standard library only).

Each program is a seed's asyncio code as written, with its durations passed through
`scaled(...)` (the demo's --scale) and httpx replaced by `AsyncClient`, a small HTTP/1.1 client
on `asyncio.open_connection` (keep-alive, as httpx) that talks to the demo's embedded server. `run(main)` is
`asyncio.run(main())`, timed: when it ends it writes one JSON line to stderr with the time
main() took and the time of each line printed, which the demo shows next to taskio's. (Under
`_driver.py`, which runs every program in one interpreter, the report goes to the driver.)

Usage: python3 PROGRAM.py SCALE BASE_URL
"""

import asyncio
import builtins
import json
import sys
import time
import urllib.parse

SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
BASE = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:8000"


def scaled(seconds):
    """The seed's `seconds`, times --scale."""
    return seconds * SCALE


def url(path):
    """The embedded server's URL of `path`."""
    return BASE + path


def delay_url(seconds):
    """The server's `/delay/{ms}` for the seed's `seconds`, scaled."""
    return url(f"/delay/{int(scaled(seconds) * 1000)}")


class Response:
    """The part of an httpx response the seeds read."""

    def __init__(self, status_code, content):
        self.status_code = status_code
        self.content = content


class AsyncClient:
    """The part of `httpx.AsyncClient` the seeds use: `async with AsyncClient() as client`,
    `await client.get(url)`. HTTP/1.1 with keep-alive: like httpx, the client keeps its
    connections open and reuses them (one request at a time on each)."""

    def __init__(self):
        self._idle = {}

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
        self._idle.clear()
        return False

    async def get(self, target):
        parts = urllib.parse.urlsplit(target)
        key = (parts.hostname, parts.port or 80)
        idle = self._idle.setdefault(key, [])
        reader, writer = idle.pop() if idle else await asyncio.open_connection(*key)
        try:
            request = f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n"
            writer.write(request.encode())
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            headers = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            if "content-length" in headers:
                content = await reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding") == "chunked":
                content = b""
                while size := int((await reader.readline()).strip(), 16):
                    content += await reader.readexactly(size)
                    await reader.readline()
                await reader.readline()
            else:
                content = await reader.read()
                writer.close()
                return Response(status, content)
        except BaseException:
            # Cancelled or broken mid-request: this connection's state is unknown.
            writer.close()
            raise
        idle.append((reader, writer))
        return Response(status, content)


_t0 = time.perf_counter()
_printed_at = []
_print = builtins.print

# Set by `_driver.py`: the report is kept in REPORT for it, not written to stderr.
DRIVEN = False
REPORT = None


def _timed_print(*args, **kwargs):
    if kwargs.get("file") is None:
        _printed_at.append(round((time.perf_counter() - _t0) * 1000, 1))
    _print(*args, **kwargs)


def run(main):
    """`asyncio.run(main())`, timed; the times go to stderr as one JSON line."""
    global _t0, REPORT
    builtins.print = _timed_print
    _printed_at.clear()
    _t0 = time.perf_counter()
    try:
        asyncio.run(main())
    finally:
        elapsed = (time.perf_counter() - _t0) * 1000
        builtins.print = _print
        sys.stdout.flush()
        REPORT = {"taskio_demo_asyncio_ms": round(elapsed, 1), "printed_at": list(_printed_at)}
        if not DRIVEN:
            _print(json.dumps(REPORT), file=sys.stderr)
