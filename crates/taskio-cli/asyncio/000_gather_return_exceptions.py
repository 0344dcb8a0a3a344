"""Seed 000, the lesson "Creating and Managing Tasks": error handling with gather."""
import asyncio

from _demo import run, scaled


async def task1():
    await asyncio.sleep(scaled(0.5))
    return "task1 done"


async def task2():
    await asyncio.sleep(scaled(1))
    raise ValueError("task2 broke")


async def main():
    results = await asyncio.gather(
        task1(),
        task2(),
        return_exceptions=True  # Don't raise, return exceptions
    )

    for result in results:
        if isinstance(result, Exception):
            print(f"Task failed: {result}")
        else:
            print(f"Success: {result}")


run(main)
