"""Seed 004, the article "asyncio.gather, create_task and TaskGroup": gather() with httpx,
against the demo's embedded server in place of httpbin.org."""
import asyncio

from _demo import AsyncClient, run, url


async def fetch(client, url):
    r = await client.get(url)
    return r.status_code


async def main():
    urls = [url("/get")] * 5
    async with AsyncClient() as client:
        # All 5 requests run in parallel
        results = await asyncio.gather(*[fetch(client, u) for u in urls])
    print(results)  # [200, 200, 200, 200, 200]


run(main)
