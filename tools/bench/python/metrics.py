"""Reference timings for the metrics suite: scikit-image / numpy equivalents of evaluateDem.

Same synthetic 4096 x 4096 pair shape (float32, 2 m); times (a) scikit-image structural_similarity
(gaussian_weights=True, sigma 1.5, use_sample_covariance=False), (b) the whole evaluateDem set:
RMSE/MAE/bias/max/PSNR with numpy, SSIM with scikit-image, Horn slope/aspect errors with numpy.
Needs Debian's python3-numpy and python3-skimage; re-executes itself with /usr/bin/python3 when the
python3 on PATH lacks them. Prints a JSON list of results in the shape the siran-bench CLI reads.
"""
import argparse
import json
import os
import resource
import sys

from bench_timing import result, timed

try:
    import numpy as np
    from skimage.metrics import structural_similarity
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--size", type=int, default=4096)
args = parser.parse_args()
size = args.size

rng = np.random.default_rng(20261123)
y, x = np.mgrid[0:size, 0:size] / size
reference = (300 + 120 * np.sin(6.1 * x + 1.3) * np.cos(4.7 * y) + 35 * np.sin(41 * x + 17 * y)
             + 8 * np.cos(97 * y - 60 * x) + 0.5 * (rng.random((size, size)) - 0.5)).astype(np.float32)
prediction = (reference + 2 * np.sin(13 * x) + 1.5 * (rng.random((size, size)) - 0.5)).astype(np.float32)
prediction[rng.random((size, size)) < 0.01] = np.nan
del x, y


def horn(dem, cell=2.0):
    a, b, c = dem[:-2, :-2], dem[:-2, 1:-1], dem[:-2, 2:]
    d, f = dem[1:-1, :-2], dem[1:-1, 2:]
    g, h, i = dem[2:, :-2], dem[2:, 1:-1], dem[2:, 2:]
    p = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * cell)
    q = ((a + 2 * b + c) - (g + 2 * h + i)) / (8 * cell)
    return p, q


def ssim_only():
    # scikit-image has no nodata handling: fill NaN with the reference (a cheaper job than ours).
    filled = np.where(np.isnan(prediction), reference, prediction)
    structural_similarity(filled.astype(np.float64), reference.astype(np.float64), data_range=500.0,
                          gaussian_weights=True, sigma=1.5, use_sample_covariance=False)


def evaluate():
    valid = ~np.isnan(prediction)
    error = (prediction.astype(np.float64) - reference)[valid]
    rmse = np.sqrt(np.mean(error ** 2))
    _ = np.mean(np.abs(error)), np.mean(error), np.max(np.abs(error)), 20 * np.log10(500.0 / rmse)
    ssim_only()
    pp, pq = horn(prediction.astype(np.float64))
    rp, rq = horn(reference.astype(np.float64))
    slope_error = np.degrees(np.arctan(np.hypot(pp, pq))) - np.degrees(np.arctan(np.hypot(rp, rq)))
    slope_error = slope_error[~np.isnan(slope_error)]
    _ = np.sqrt(np.mean(slope_error ** 2))
    aspect_error = np.abs(np.degrees(np.arctan2(-pp, -pq)) - np.degrees(np.arctan2(-rp, -rq))) % 360
    _ = np.nanmean(np.minimum(aspect_error, 360 - aspect_error))


rows = []
for name, fn in [("evaluate", evaluate), ("ssim", ssim_only)]:
    samples = timed(fn, args.repeats)
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    rows.append(result(f"metrics/{name}/skimage-numpy", {"size": f"{size}x{size}", "peakRssMiB": peak}, samples))
print(json.dumps(rows))
