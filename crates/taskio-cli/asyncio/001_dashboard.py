"""Seed 001, the lesson "Tasks and Gathering Results": its real-world context, a dashboard that
loads a profile, recent activity and notification counts from three 200 ms endpoints, one
after the other and then with gather."""
import asyncio

from _demo import AsyncClient, run, url

ENDPOINTS = ["/api/profile", "/api/activity", "/api/notifications"]


async def fetch(client, target):
    r = await client.get(target)
    return r.status_code


async def main():
    async with AsyncClient() as client:
        sequential = [await fetch(client, url(path)) for path in ENDPOINTS]
        print(f"sequential: {sequential}")
        gathered = await asyncio.gather(*[fetch(client, url(path)) for path in ENDPOINTS])
        print(f"gathered: {gathered}")


run(main)
