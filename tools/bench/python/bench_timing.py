"""Timing helpers shared by the reference scripts (no third-party imports, so GDAL-only scripts can use them)."""
import os
import statistics
import time


def selected(name):
    """Whether the CLI's --filter values (passed as SIRAN_BENCH_FILTER, one per line) select the case `name`."""
    filters = [f for f in os.environ.get("SIRAN_BENCH_FILTER", "").split("\n") if f]
    return not filters or any(f in name for f in filters)


def timed(fn, repeats, warmup=1):
    """Runs fn `warmup` times untimed, then `repeats` times; returns the wall times in milliseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def result(name, params, samples, **extra):
    """One result row in the shape the siran-bench CLI reads."""
    return {"name": name, "params": params, "medianMs": statistics.median(samples), "minMs": min(samples),
            "maxMs": max(samples), "repeats": len(samples), **extra}
