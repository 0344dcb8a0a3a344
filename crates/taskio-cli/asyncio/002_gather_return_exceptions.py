"""Seed 002, the tutorial page "Tasks (create_task) and gather": gather_return_exceptions.py."""
import asyncio

from _demo import run


async def ok():
    return 1


async def bad():
    raise ValueError("boom")


async def main():
    res = await asyncio.gather(ok(), bad(), return_exceptions=True)
    print(res)


run(main)
