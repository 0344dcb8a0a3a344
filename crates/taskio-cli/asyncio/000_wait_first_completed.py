"""Seed 000, the lesson "Creating and Managing Tasks": asyncio.wait()."""
import asyncio

from _demo import run, scaled


async def fetch_data(url, seconds):
    await asyncio.sleep(scaled(seconds))
    return f"Data from {url}"


async def main():
    tasks = [
        asyncio.create_task(fetch_data("url1", 1)),
        asyncio.create_task(fetch_data("url2", 2)),
        asyncio.create_task(fetch_data("url3", 3)),
    ]
    done, pending = await asyncio.wait(
        tasks,
        timeout=scaled(5.0),
        return_when=asyncio.FIRST_COMPLETED  # or ALL_COMPLETED
    )

    for task in done:
        result = task.result()
        print(f"done: {result}")

    for task in pending:
        task.cancel()
    print(f"cancelled {len(pending)} pending")


run(main)
