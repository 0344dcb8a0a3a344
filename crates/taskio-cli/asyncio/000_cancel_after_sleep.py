"""Seed 000, the lesson "Creating and Managing Tasks": task cancellation."""
import asyncio

from _demo import run, scaled


async def long_operation():
    await asyncio.sleep(scaled(3600))


async def main():
    task = asyncio.create_task(long_operation())

    # Cancel after 5 seconds
    await asyncio.sleep(scaled(5))
    task.cancel()

    try:
        await task
    except asyncio.CancelledError:
        print("Task was cancelled")


run(main)
