"""Seed 001, the lesson "Tasks and Gathering Results": its best practice "always cancel pending
tasks on timeout"."""
import asyncio

from _demo import run, scaled


async def main():
    tasks = [asyncio.create_task(asyncio.sleep(scaled(s))) for s in (1, 2, 3)]
    done, pending = await asyncio.wait(tasks, timeout=scaled(1.5))
    print(f"done: {len(done)}, pending: {len(pending)}")
    for task in pending:
        task.cancel()
    ended, _ = await asyncio.wait(pending)
    print(f"cancelled: {sum(t.cancelled() for t in ended)}")


run(main)
