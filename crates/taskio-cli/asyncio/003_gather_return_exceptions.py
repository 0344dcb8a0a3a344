"""Seed 003, a long tutorial on asyncio tasks: gathering with and without return_exceptions."""
import asyncio

from _demo import run, scaled


async def fetch_data(id, delay, should_fail=False):
    await asyncio.sleep(scaled(delay))
    if should_fail:
        raise RuntimeError(f"Failed to fetch data {id}!")
    return f"Data from {id}"


async def main():
    # Run three tasks concurrently
    results = await asyncio.gather(
        fetch_data("A", 3),
        fetch_data("B", 1),
        fetch_data("C", 2),
    )
    print("All successful:", results)

    # Demonstrate error handling with return_exceptions=True
    mixed_results = await asyncio.gather(
        fetch_data("D", 1),
        fetch_data("E", 2, should_fail=True),
        fetch_data("F", 3),
        return_exceptions=True,  # Crucial for handling the error gracefully
    )
    print("With exceptions handled:", mixed_results)


run(main)
