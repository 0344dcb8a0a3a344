"""Seed 000, the lesson "Creating and Managing Tasks": asyncio.create_task()."""
import asyncio

from _demo import run, scaled


async def fetch_data(url):
    await asyncio.sleep(scaled(1))
    return f"Data from {url}"


async def main():
    # Create tasks (starts running immediately)
    task1 = asyncio.create_task(fetch_data("url1"))
    task2 = asyncio.create_task(fetch_data("url2"))

    # Do other work while tasks run...

    # Wait for results
    result1 = await task1
    result2 = await task2
    print(f"result1 = {result1}")
    print(f"result2 = {result2}")


run(main)
