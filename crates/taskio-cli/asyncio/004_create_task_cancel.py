"""Seed 004, the article "asyncio.gather, create_task and TaskGroup": create_task() when you
need control, one task cancelled mid-request."""
import asyncio

from _demo import AsyncClient, delay_url, run, scaled, url


async def fetch(client, url):
    r = await client.get(url)
    return r.status_code


async def main():
    # url1 takes 0.5 s: the cancel at 0.1 s comes well before its end, also on a busy machine.
    url1, url2 = delay_url(0.5), url("/get")
    async with AsyncClient() as client:
        # Task is created and IMMEDIATELY starts running
        task1 = asyncio.create_task(fetch(client, url1), name="fetch-1")
        task2 = asyncio.create_task(fetch(client, url2), name="fetch-2")

        # Can cancel while waiting
        await asyncio.sleep(scaled(0.1))
        task1.cancel()  # changed my mind

        try:
            result = await task2
            print(f"fetch-2: {result}")
        except asyncio.CancelledError:
            pass
        try:
            await task1
        except asyncio.CancelledError:
            pass
        print(f"fetch-1 cancelled: {task1.cancelled()}")


run(main)
