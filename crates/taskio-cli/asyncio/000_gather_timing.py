"""Seed 000, the lesson "Creating and Managing Tasks": its code example, concurrent fetching
with gather."""
import asyncio

from _demo import run, scaled


async def fetch(url, delay):
    await asyncio.sleep(scaled(delay))
    return f"Data from {url}"


async def main():
    # Run concurrently
    results = await asyncio.gather(
        fetch("api/users", 1),
        fetch("api/posts", 2),
        fetch("api/comments", 0.5),
    )

    # Results in order: [users, posts, comments]
    # Total time: ~2 seconds (not 3.5!)
    for r in results:
        print(r)


run(main)
