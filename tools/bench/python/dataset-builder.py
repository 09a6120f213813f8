"""NumPy/SciPy/PyTorch reference for the dataset-builder suite.

The same work as tools/bench/src/cases/dataset-builder.ts on the same generated terrain, without
reprojection (the grids already coincide, as in the TypeScript case): per 2048-pixel window plus a
48-pixel margin, evaluate the terrain and the three guide bands, 8x8 block mean, Gaussian blur
(sigma 0.5 coarse cells, truncated at 3 sigma), seeded noise, bicubic upsampling (torch), and 128-pixel
patches appended to .npy files. Prints a JSON list of results in the shape the siran-bench CLI reads.
"""
import argparse
import json
import os
import resource
import tempfile
import time

import numpy as np
import torch
from bench_timing import result
from scipy.ndimage import gaussian_filter

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--sides", default="1024,2048,4096")
args = parser.parse_args()

WINDOW, MARGIN, BLOCK, PATCH = 2048, 48, 8, 128


def terrain(x, y):
    return (200 + 0.05 * x - 0.02 * y + 15 * np.sin(x / 37) * np.cos(y / 53)
            + 6 * np.sin((x + 2 * y) / 11) + 2 * np.cos((3 * x - y) / 5))


def build(side, directory):
    rng = np.random.default_rng(1)
    files = {k: open(os.path.join(directory, k + ".raw"), "wb") for k in ("coarse", "guide", "reference")}
    kept = 0
    for r0 in range(0, side, WINDOW):
        for c0 in range(0, side, WINDOW):
            a0, b0 = max(0, r0 - MARGIN), max(0, c0 - MARGIN)
            a1, b1 = min(side, r0 + WINDOW + MARGIN), min(side, c0 + WINDOW + MARGIN)
            rows = np.arange(a0 - 1, a1 + 1) + 0.5
            cols = np.arange(b0 - 1, b1 + 1) + 0.5
            x, y = np.meshgrid(500000 + cols, 4800000 - rows)
            z = terrain(x, y)
            east = (z[1:-1, 2:] - z[1:-1, :-2]) / 2
            north = (z[:-2, 1:-1] - z[2:, 1:-1]) / 2
            z = z[1:-1, 1:-1]
            guide = np.stack([1000 * (1 + (east - north) / np.sqrt(2 + east**2 + north**2)), 2 * z,
                              100 * np.hypot(east, north)], -1).astype(np.float32)
            h, w = z.shape
            coarse = z[: h - h % BLOCK, : w - w % BLOCK].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).mean((1, 3))
            coarse = gaussian_filter(coarse, 0.5, truncate=3.0, mode="nearest")
            coarse = coarse + 0.25 * rng.standard_normal(coarse.shape)
            up = torch.nn.functional.interpolate(torch.from_numpy(coarse[None, None].astype(np.float32)),
                                                 scale_factor=BLOCK, mode="bicubic", align_corners=False)[0, 0].numpy()
            reference = z.astype(np.float32)
            for pr in range(r0 - a0, min(h, r0 - a0 + WINDOW) - PATCH + 1, PATCH):
                for pc in range(c0 - b0, min(w, c0 - b0 + WINDOW) - PATCH + 1, PATCH):
                    if pr + PATCH > up.shape[0] or pc + PATCH > up.shape[1]:
                        continue
                    files["reference"].write(reference[pr:pr + PATCH, pc:pc + PATCH].tobytes())
                    files["coarse"].write(up[pr:pr + PATCH, pc:pc + PATCH].tobytes())
                    files["guide"].write(guide[pr:pr + PATCH, pc:pc + PATCH].tobytes())
                    kept += 1
    for f in files.values():
        f.close()
    return kept


rows = []
params_base = {"backend": "numpy+torch-cpu", "threads": torch.get_num_threads(), "torch": torch.__version__}
for side in (int(s) for s in args.sides.split(",")):
    samples = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as directory:
            start = time.perf_counter()
            kept = build(side, directory)
            samples.append((time.perf_counter() - start) * 1000)
    params = {**params_base, "megapixels": round(side * side / 1e6, 1), "patches": kept}
    rows.append(result(f"dataset-builder/build/{side}x{side}/python", params, samples,
                       rssMiB=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
print(json.dumps(rows))
