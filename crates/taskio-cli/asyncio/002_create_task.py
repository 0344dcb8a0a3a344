"""Seed 002, the tutorial page "Tasks (create_task) and gather": create_task.py."""
import asyncio

from _demo import run, scaled


async def job(i: int) -> str:
    await asyncio.sleep(scaled(0.2))
    return f"done {i}"


async def main():
    t1 = asyncio.create_task(job(1))
    t2 = asyncio.create_task(job(2))

    # await results
    print(await t1)
    print(await t2)


run(main)
