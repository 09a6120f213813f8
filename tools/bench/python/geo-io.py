"""Reference timings for the geo-io suite: the same operations through GDAL's Python bindings (in-process,
so no process start-up is timed), on the same kind of raster: 4096 x 4096 Float32 synthetic terrain.

Times (a) writing striped/uncompressed and 256 x 256 tiled/deflate GeoTIFFs from a numpy array,
(b) reading each whole, (c) reading a 512 x 512 window of each. Needs Debian's python3-gdal and
python3-numpy; re-executes itself with /usr/bin/python3 when the python3 on PATH lacks them.
Prints a JSON list of results in the shape the siran-bench CLI reads.
"""
import argparse
import json
import os
import resource
import sys
import tempfile

from bench_timing import result, timed

try:
    import numpy as np
    from osgeo import gdal
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

gdal.UseExceptions()
parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--size", type=int, default=4096)
args = parser.parse_args()
size = args.size
rng = np.random.default_rng(20261123)
row, col = np.mgrid[0:size, 0:size]
values = (300 + 120 * np.sin(col / 300) * np.cos(row / 410) + 0.5 * rng.random((size, size))).astype(np.float32)
del row, col
directory = tempfile.mkdtemp(prefix="geo-io-bench-py-")
LAYOUTS = {"striped-none": ["COMPRESS=NONE"], "tiled-deflate": ["TILED=YES", "COMPRESS=DEFLATE"]}


def write(path, options):
    driver = gdal.GetDriverByName("GTiff")
    dataset = driver.Create(path, size, size, 1, gdal.GDT_Float32, options=options)
    dataset.SetGeoTransform((500000, 2, 0, 4200000, 0, -2))
    dataset.SetProjection("EPSG:32612")
    band = dataset.GetRasterBand(1)
    band.SetNoDataValue(-9999)
    band.WriteArray(values)
    dataset = None


def read(path, window=None):
    dataset = gdal.Open(path)
    band = dataset.GetRasterBand(1)
    array = band.ReadAsArray(*window) if window else band.ReadAsArray()
    dataset = None
    return array


def measured(name, params, function):
    samples = timed(function, args.repeats)
    return result(name, params, samples, rssMiB=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


params = {"MiB": size * size * 4 / 2**20, "size": f"{size}x{size}"}
results = []
gdal.SetCacheMax(64 * 2**20)
for layout, options in LAYOUTS.items():
    path = os.path.join(directory, f"{layout}.tif")
    results.append(measured(f"gdal-python/write/{layout}", params, lambda: write(path, options)))
for layout in LAYOUTS:
    path = os.path.join(directory, f"{layout}.tif")
    results.append(measured(f"gdal-python/read/{layout}", params, lambda: read(path)))
for layout in LAYOUTS:
    path = os.path.join(directory, f"{layout}.tif")
    results.append(measured(f"gdal-python/read-window-512/{layout}", {"window": 512}, lambda: read(path, (1800, 1800, 512, 512))))
for name in os.listdir(directory):
    os.remove(os.path.join(directory, name))
os.rmdir(directory)
json.dump(results, sys.stdout)
