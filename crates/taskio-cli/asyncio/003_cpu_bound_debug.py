"""Seed 003's pitfall "long-running CPU-bound code without await statements will not be
interrupted", seen through asyncio's debug mode: a task that computes for 0.3 s without an
await holds the event loop, and debug mode (`loop.set_debug(True)`, with
`loop.slow_callback_duration` at 0.1 s, its default) reports it."""
import asyncio
import logging
import time

from _demo import run, scaled


class SlowCallbacks(logging.Handler):
    """Keeps asyncio's "Executing <Task ...> took N seconds" warnings."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        message = record.getMessage()
        if message.startswith("Executing") and " took " in message:
            self.messages.append(message)


async def cpu_bound():
    print("cpu-bound: computing, with no await")
    end = time.perf_counter() + scaled(0.3)
    while time.perf_counter() < end:
        pass  # CPU-bound work: the event loop waits
    print("cpu-bound: done")


async def main():
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = scaled(0.1)
    logger = logging.getLogger("asyncio")
    handler = SlowCallbacks()
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        await asyncio.create_task(cpu_bound(), name="cpu-bound")
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        loop.set_debug(False)
    for message in handler.messages:
        if "name='cpu-bound'" in message:
            # In the seed's time, as every line of the demo (--scale shortens it).
            print("debug mode: task 'cpu-bound' held the thread for ≥ 100 ms")


run(main)
