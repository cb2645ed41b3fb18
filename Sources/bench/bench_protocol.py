"""What `numpy_bench.py` and `torch_bench.py` share: how a workload's runs are timed, and the line protocol
`bench` speaks with a long-lived reference process (`--serve`; see Sources/bench/README.md).

A benchmark tool only, imported by the two scripts beside it (Python puts a script's folder on its path).
"""

import ctypes
import json
import math
import signal
import sys
import time


class Runs:
    """Times a workload: a warm-up run sets how many times a timed run repeats it (`inner`), so that a timed
    run lasts at least `min_seconds`, and a timed run reports the mean seconds of its repeats."""

    def __init__(self, run, min_seconds):
        self.run, self.min_seconds, self.inner = run, min_seconds, None

    def warm_up(self):
        start = time.perf_counter()
        self.run()
        once = time.perf_counter() - start
        self.inner = max(1, math.ceil(self.min_seconds / max(once, 1e-9)))
        return once

    def timed(self):
        if self.inner is None:
            self.warm_up()
        start = time.perf_counter()
        for _ in range(self.inner):
            self.run()
        return (time.perf_counter() - start) / self.inner


def serve(runs, details):
    """The line protocol `bench` speaks (see the module's doc): the details once, then one JSON line per request."""
    # bench stops this process itself (Ctrl-C reaches it through bench); and if bench dies, so does this.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)               # PR_SET_PDEATHSIG
    print(json.dumps(details), flush=True)
    for line in sys.stdin:
        request = line.strip()
        if request == "quit":
            break
        if request in ("warmup", "run"):
            seconds = runs.warm_up() if request == "warmup" else runs.timed()
            print(json.dumps({"seconds": seconds}), flush=True)
        else:
            print(json.dumps({"error": f"unknown request {request!r} (warmup, run or quit)"}), flush=True)
