"""CPython side of taskio-bench: the same workloads in asyncio (and uvloop when importable).

Usage: python3 bench/asyncio_bench.py WORKLOAD IMPL LOOP N
  LOOP is "asyncio" or "uvloop". Prints one JSON line:
  {"ns_per_task": .., "total_ms": .., "rss_bytes_per_task": ..} or {"skip": "why"}.

The harness (crates/taskio-bench) runs this once per measurement, in a fresh process.
"""

import asyncio
import json
import math
import os
import random
import sys
import time

NAP = 0.1


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def sample(elapsed_ns, units, rss=None):
    return {
        "ns_per_task": elapsed_ns / max(units, 1),
        "total_ms": elapsed_ns / 1e6,
        "rss_bytes_per_task": rss,
    }


class Skip(Exception):
    pass


async def trivial(i):
    return i


# W1: spawn N trivial tasks, gather them.
async def w1(imp, n):
    if imp != "asyncio-gather":
        raise Skip(imp)
    start = time.perf_counter_ns()
    tasks = [asyncio.create_task(trivial(i)) for i in range(n)]
    total = sum(await asyncio.gather(*tasks))
    elapsed = time.perf_counter_ns() - start
    assert total == n * (n - 1) // 2
    return sample(elapsed, n)


# W2: memory per parked task, then cancel and reap all.
async def w2(imp, n):
    if imp != "asyncio-cancel":
        raise Skip(imp)
    loop = asyncio.get_running_loop()
    started = 0

    async def park():
        nonlocal started
        started += 1
        await loop.create_future()

    await asyncio.sleep(0.002)
    before = rss_bytes()
    tasks = [asyncio.create_task(park()) for _ in range(n)]
    while started < n:
        await asyncio.sleep(0.001)
    rss = (rss_bytes() - before) / n
    start = time.perf_counter_ns()
    for t in tasks:
        t.cancel()
    for t in tasks:
        try:
            await t
        except asyncio.CancelledError:
            pass
        else:
            raise AssertionError("not cancelled")
    return sample(time.perf_counter_ns() - start, n, rss)


# W3: N tasks sleeping 100 ms, gathered.
async def w3(imp, n):
    if imp != "asyncio-gather":
        raise Skip(imp)
    start = time.perf_counter_ns()
    await asyncio.gather(*[asyncio.create_task(asyncio.sleep(NAP)) for _ in range(n)])
    return sample(time.perf_counter_ns() - start, n)


STAGGER = 16


async def staggered(i):
    for _ in range(i % STAGGER):
        await asyncio.sleep(0)
    return i


# W4: as_completed over tasks that finish after i % 16 yields.
async def w4(imp, n):
    if imp != "asyncio-as_completed":
        raise Skip(imp)
    start = time.perf_counter_ns()
    tasks = [asyncio.create_task(staggered(i)) for i in range(n)]
    total = 0
    for f in asyncio.as_completed(tasks):
        total += await f
    elapsed = time.perf_counter_ns() - start
    assert total == n * (n - 1) // 2
    return sample(elapsed, n)


# W5: lockstep wait(FIRST_COMPLETED): exactly one task finishes per call.
async def w5(imp, n):
    if imp != "asyncio-wait":
        raise Skip(imp)
    loop = asyncio.get_running_loop()
    gates = [loop.create_future() for _ in range(n)]

    async def gated(i):
        await gates[i]
        return i

    pending = {asyncio.create_task(gated(i)) for i in range(n)}
    await asyncio.sleep(0)
    start = time.perf_counter_ns()
    for k in range(n):
        gates[k].set_result(None)
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1 and next(iter(done)).result() == k
    return sample(time.perf_counter_ns() - start, n)


# W6-trivial: a TaskGroup of N trivial tasks.
async def w6_trivial(imp, n):
    if imp != "asyncio-taskgroup":
        raise Skip(imp)
    start = time.perf_counter_ns()
    async with asyncio.TaskGroup() as tg:
        for i in range(n):
            tg.create_task(trivial(i))
    return sample(time.perf_counter_ns() - start, n)


class Boom(Exception):
    pass


# W6-failure: one child fails while N-1 siblings sleep; time from the failure to the group's end.
async def w6_failure(imp, n):
    if imp != "asyncio-taskgroup":
        raise Skip(imp)
    failed_at = None

    async def failing():
        nonlocal failed_at
        await asyncio.sleep(0.02)
        failed_at = time.perf_counter_ns()
        raise Boom()

    try:
        async with asyncio.TaskGroup() as tg:
            for _ in range(n - 1):
                tg.create_task(asyncio.sleep(3600))
            tg.create_task(failing())
    except* Boom:
        pass
    return sample(time.perf_counter_ns() - failed_at, n)


# W7: gather over coroutines (asyncio wraps each in a task; there is no inline gather).
async def w7(imp, n):
    if imp != "asyncio-gather":
        raise Skip(imp)
    start = time.perf_counter_ns()
    total = sum(await asyncio.gather(*[trivial(i) for i in range(n)]))
    elapsed = time.perf_counter_ns() - start
    assert total == n * (n - 1) // 2
    return sample(elapsed, n)


async def yield_then(i):
    await asyncio.sleep(0)
    return i


# W7-yield: gather over coroutines that yield once first.
async def w7_yield(imp, n):
    if imp != "asyncio-gather":
        raise Skip(imp)
    start = time.perf_counter_ns()
    total = sum(await asyncio.gather(*[yield_then(i) for i in range(n)]))
    elapsed = time.perf_counter_ns() - start
    assert total == n * (n - 1) // 2
    return sample(elapsed, n)


# W8: pyperformance's bm_async_tree, same constants.
NUM_RECURSE_BRANCHES = 6
RANDOM_SEED = 0
IO_SLEEP_TIME = 0.05
MEMOIZABLE_PERCENTAGE = 90
CPU_PROBABILITY = 0.5
FACTORIAL_N = 500


class AsyncTree:
    def __init__(self, variant, use_task_groups):
        self.cache = {}
        self.variant = variant
        self.use_task_groups = use_task_groups
        random.seed(RANDOM_SEED)

    async def mock_io_call(self):
        await asyncio.sleep(IO_SLEEP_TIME)

    async def memoization(self):
        data = random.randint(1, 100)
        if data <= MEMOIZABLE_PERCENTAGE:
            if self.cache.get(data):
                return data
            self.cache[data] = True
        await self.mock_io_call()
        return data

    async def workload_func(self):
        if self.variant == "none":
            return
        if self.variant == "io":
            await self.mock_io_call()
        elif self.variant == "memoization":
            return await self.memoization()
        elif self.variant == "cpu_io_mixed":
            if random.random() < CPU_PROBABILITY:
                return math.factorial(FACTORIAL_N)
            return await self.memoization()

    async def recurse_with_gather(self, level):
        if level == 0:
            await self.workload_func()
            return
        await asyncio.gather(
            *[self.recurse_with_gather(level - 1) for _ in range(NUM_RECURSE_BRANCHES)]
        )

    async def recurse_with_task_group(self, level):
        if level == 0:
            await self.workload_func()
            return
        async with asyncio.TaskGroup() as tg:
            for _ in range(NUM_RECURSE_BRANCHES):
                tg.create_task(self.recurse_with_task_group(level - 1))

    async def run(self, levels):
        if self.use_task_groups:
            await self.recurse_with_task_group(levels)
        else:
            await self.recurse_with_gather(levels)


def levels_for(leaves):
    levels = round(math.log(leaves, NUM_RECURSE_BRANCHES))
    assert NUM_RECURSE_BRANCHES**levels == leaves, "W8's n is 6**levels"
    return levels


def w8(variant, shape):
    async def run(imp, n):
        want = {"gather": "asyncio-gather", "tg": "asyncio-taskgroup"}[shape]
        if imp != want:
            raise Skip(imp)
        tree = AsyncTree(variant, use_task_groups=shape == "tg")
        start = time.perf_counter_ns()
        await tree.run(levels_for(n))
        return sample(time.perf_counter_ns() - start, n)

    return run


# W10: eager tasks that finish without suspending vs create_task.
async def w10(imp, n):
    if imp == "asyncio-eager":
        if not hasattr(asyncio, "eager_task_factory"):
            raise Skip(f"asyncio.eager_task_factory needs Python 3.12 (this is {sys.version.split()[0]})")
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
    elif imp != "asyncio-create_task":
        raise Skip(imp)
    start = time.perf_counter_ns()
    tasks = [asyncio.create_task(trivial(i)) for i in range(n)]
    total = 0
    for t in tasks:
        total += await t
    elapsed = time.perf_counter_ns() - start
    assert total == n * (n - 1) // 2
    return sample(elapsed, n)


WORKLOADS = {
    "W1": w1,
    "W2": w2,
    "W3": w3,
    "W4": w4,
    "W5": w5,
    "W6-trivial": w6_trivial,
    "W6-failure": w6_failure,
    "W7": w7,
    "W7-yield": w7_yield,
    "W10": w10,
}
for _variant in ("none", "io", "memoization", "cpu_io_mixed"):
    for _shape in ("gather", "tg"):
        WORKLOADS[f"W8-{_variant}-{_shape}"] = w8(_variant, _shape)


def main():
    workload, imp, loop_name, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    fn = WORKLOADS.get(workload)
    if fn is None:
        print(json.dumps({"skip": f"no workload {workload} in asyncio_bench.py"}))
        return
    if loop_name == "uvloop":
        try:
            import uvloop
        except ImportError:
            print(json.dumps({"skip": "uvloop is not importable"}))
            return
        runner = uvloop.run
    else:
        runner = asyncio.run
    try:
        out = runner(fn(imp, n))
    except Skip as s:
        out = {"skip": str(s)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
