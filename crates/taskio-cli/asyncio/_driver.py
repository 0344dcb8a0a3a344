"""The demo's driver: one interpreter runs every asyncio program the demo asks for, so that
Python's start-up is paid once. Reads program file names on stdin, one per line; runs each as
`python3 PROGRAM.py SCALE BASE_URL` would; after its printed lines, writes one report line
that starts with the record separator \\x1e: `{"taskio_demo_asyncio_ms", "printed_at", "error"}`.

Usage: python3 _driver.py SCALE BASE_URL
"""

import json
import os
import runpy
import sys
import traceback

import _demo

_demo.DRIVEN = True
HERE = os.path.dirname(os.path.abspath(__file__))

for line in sys.stdin:
    name = line.strip()
    if not name:
        continue
    _demo.REPORT = None
    error = None
    try:
        runpy.run_path(os.path.join(HERE, name), run_name="__main__")
    except BaseException:  # noqa: B036 - a program's SystemExit is its failure too
        error = traceback.format_exc()
    if error is None and _demo.REPORT is None:
        error = f"{name} did not call _demo.run(main)"
    report = dict(_demo.REPORT or {}, error=error)
    sys.stdout.flush()
    sys.stdout.write("\x1e" + json.dumps(report) + "\n")
    sys.stdout.flush()
