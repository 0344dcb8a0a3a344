"""Seed 002, the tutorial page "Tasks (create_task) and gather": gather.py."""
import asyncio

from _demo import run, scaled


async def job(i: int) -> int:
    await asyncio.sleep(scaled(0.1))
    return i * i


async def main():
    results = await asyncio.gather(*(job(i) for i in range(10)))
    print(results)


run(main)
