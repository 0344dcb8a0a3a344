"""Seed 003, a long tutorial on asyncio tasks: cancelling a task that cleans up."""
import asyncio

from _demo import run, scaled


async def cancellable_work():
    try:
        print("Task started. Now sleeping for 10 seconds.")
        await asyncio.sleep(scaled(10))
        print("Task finished successfully.")  # This won't be printed if cancelled
    except asyncio.CancelledError:
        print("Task received cancellation signal! Cleaning up...")
        # Perform any necessary cleanup here
        raise  # It's best practice to re-raise the exception unless you intend to ignore the cancellation
    finally:
        print("This 'finally' block always runs, making it great for cleanup.")


async def main():
    task = asyncio.create_task(cancellable_work())
    await asyncio.sleep(scaled(1))  # Let the task run for a bit

    print("Main: Requesting task cancellation.")
    task.cancel()

    try:
        await task  # Awaiting a cancelled task will raise CancelledError
    except asyncio.CancelledError:
        print("Main: Confirmed that the task was cancelled.")


run(main)
