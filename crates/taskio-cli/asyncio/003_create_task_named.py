"""Seed 003, a long tutorial on asyncio tasks: creating tasks with create_task(name=...)."""
import asyncio

from _demo import run, scaled


async def background_work(n):
    print(f"Task {n}: starting")
    await asyncio.sleep(scaled(n))  # Simulate some I/O-bound work
    print(f"Task {n}: finished after {n}s")
    return n * 10


async def main():
    # Create two tasks, scheduling them to run immediately
    task1 = asyncio.create_task(background_work(1), name="Fast Task")
    task2 = asyncio.create_task(background_work(2), name="Slow Task")

    print("Main coroutine: Tasks are scheduled, now I can do other work...")
    await asyncio.sleep(scaled(0.5))  # The main coroutine does its own thing
    print("Main coroutine: Done with my work, now I'll wait for the tasks.")

    # Await the tasks to retrieve their results and ensure they are finished
    result1 = await task1
    result2 = await task2

    print(f"Results: {result1}, {result2}")


run(main)
