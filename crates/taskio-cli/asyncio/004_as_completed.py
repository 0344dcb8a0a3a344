"""Seed 004, the article "asyncio.gather, create_task and TaskGroup": as_completed(), results
as they come."""
import asyncio

from _demo import AsyncClient, delay_url, run


async def fetch(client, url):
    r = await client.get(url)
    return r.status_code


async def main():
    # 0.2 s apart, so that the completion order holds on a busy machine too.
    urls = {"slow": delay_url(0.5), "fast": delay_url(0.1), "medium": delay_url(0.3)}
    async with AsyncClient() as c:

        async def fetch_named(name, u):
            return f"{await fetch(c, u)} ({name})"

        tasks = {asyncio.create_task(fetch_named(name, u)) for name, u in urls.items()}

        # Process as they complete — don't wait for the slowest
        # (the seed's `async for` needs Python 3.13; a plain `for` does the same on 3.11)
        for coro in asyncio.as_completed(tasks):
            result = await coro
            print(f"Done: {result}")


run(main)
