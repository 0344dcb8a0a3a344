"""Seed 000, the lesson "Creating and Managing Tasks": asyncio.gather()."""
import asyncio

from _demo import run, scaled


async def fetch_data(url):
    await asyncio.sleep(scaled(1))
    return f"Data from {url}"


async def main():
    results = await asyncio.gather(
        fetch_data("url1"),
        fetch_data("url2"),
        fetch_data("url3"),
    )
    # results is a list: [result1, result2, result3]
    print(results)


run(main)
