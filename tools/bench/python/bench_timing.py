"""Timing helpers shared by the reference scripts (no third-party imports, so GDAL-only scripts can use them)."""
import statistics
import time


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
