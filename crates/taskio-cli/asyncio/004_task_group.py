"""Seed 004, the article "asyncio.gather, create_task and TaskGroup": TaskGroup, all five
saved; then one failure cancels the other four."""
import asyncio

from _demo import AsyncClient, delay_url, run, scaled, url


class HTTPStatusError(Exception):
    pass


async def fetch_and_save(client, name, target, results, counts):
    try:
        r = await client.get(target)
    except asyncio.CancelledError:
        counts["cancelled"] += 1
        raise
    if r.status_code >= 400:
        raise HTTPStatusError(f"{name}: HTTP {r.status_code}")
    results.append(r.status_code)


async def main():
    counts = {"cancelled": 0}
    urls = [url("/get")] * 5
    async with AsyncClient() as client:
        results = []
        async with asyncio.TaskGroup() as tg:
            for u in urls:
                tg.create_task(fetch_and_save(client, "get", u, results, counts))
        # Reach here only when ALL tasks complete
        print(f"Collected: {len(results)}")

        # If one fails — all others are automatically cancelled (they take 0.5 s: far from done)
        results = []
        slow = delay_url(0.5)
        broken = url(f"/delay/{int(scaled(0.1) * 1000)}/status/500")
        try:
            async with asyncio.TaskGroup() as tg:
                for _ in range(4):
                    tg.create_task(fetch_and_save(client, "get", slow, results, counts))
                tg.create_task(fetch_and_save(client, "broken", broken, results, counts))
                await asyncio.sleep(scaled(0.05))
        except* HTTPStatusError as group:
            errors = [str(e) for e in group.exceptions]
            s = "" if len(errors) == 1 else "s"
            print(f"TaskGroup failed: {len(errors)} error{s}: {'; '.join(errors)}")
        print(f"saved: {len(results)}, cancelled: {counts['cancelled']}")


run(main)
