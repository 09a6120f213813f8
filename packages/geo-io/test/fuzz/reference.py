"""Independent readers for the fuzz campaign of @siran/geo-io (read-fuzz.slow.test.ts).

Reads a JSON list of {"kind": "gdal" | "npy" | "las", "path": ...} on stdin and prints one JSON line per
file: {"path", "ok": true, "shape", "digest"} or {"path", "ok": false, "error"}. The digest is the SHA-256 of
the values as little-endian float64 with NaN written as one bit pattern, as valuesDigest() in
src/internal/fuzz-helpers.ts computes it:
- gdal: GDAL's GTiff driver, every band read as float64; shape [bands, rows, cols];
- npy: numpy.load; shape of the array;
- las: a plain parse of the LAS 1.0-1.4 public header, VLRs and point records after the ASPRS LAS 1.4 R15
  tables (numpy structured records); shape [points]; values x, y, z (scale and offset applied), intensity,
  return number, number of returns, classification (5 bits for formats 0-5).
Needs /usr/bin/python3 with python3-gdal and python3-numpy (Debian: apt-get install gdal-bin python3-gdal
python3-numpy).
"""
import hashlib
import json
import math
import struct
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()
gdal.PushErrorHandler('CPLQuietErrorHandler')
gdal.SetConfigOption('GDAL_PAM_ENABLED', 'NO')


def digest(arrays):
    h = hashlib.sha256()
    for array in arrays:
        values = np.array(array, dtype='<f8').ravel()
        values[np.isnan(values)] = np.nan
        h.update(values.tobytes())
    return h.hexdigest()


def read_gdal(path):
    ds = gdal.OpenEx(path, gdal.OF_RASTER, allowed_drivers=['GTiff'])
    bands = [ds.GetRasterBand(i + 1).ReadAsArray(buf_type=gdal.GDT_Float64) for i in range(ds.RasterCount)]
    for band in bands:
        if band is None:
            raise RuntimeError('ReadAsArray returned None')
    return [ds.RasterCount, ds.RasterYSize, ds.RasterXSize], digest(bands)


def read_npy(path):
    array = np.load(path, allow_pickle=False)
    if array.dtype != np.float32:
        raise ValueError(f'dtype {array.dtype}')
    return list(array.shape), digest([array])


MINIMUM_RECORD = [20, 28, 26, 34, 57, 63, 30, 36, 38, 59, 67]
MINIMUM_HEADER = [227, 227, 227, 235, 375]


def read_las(path):
    data = open(path, 'rb').read()
    if len(data) < 227 or data[:4] != b'LASF':
        raise ValueError('no LASF signature')
    major, minor = data[24], data[25]
    if major != 1 or minor > 4:
        raise ValueError(f'version {major}.{minor}')
    header_size, offset, vlr_count = struct.unpack_from('<HII', data, 94)
    format_byte, record_length, legacy_count = struct.unpack_from('<BHI', data, 104)
    if header_size < MINIMUM_HEADER[minor] or header_size > len(data):
        raise ValueError(f'header size {header_size}')
    if format_byte & 0x80:
        raise ValueError('compressed (LAZ) point format')
    point_format = format_byte & 0x3f
    if point_format > 10:
        raise ValueError(f'point format {point_format}')
    if record_length < MINIMUM_RECORD[point_format]:
        raise ValueError(f'{record_length}-byte records for format {point_format}')
    count = legacy_count
    if minor >= 4:
        count64 = struct.unpack_from('<Q', data, 247)[0]
        if count64 > 0:
            count = count64
    position = header_size
    for _ in range(vlr_count):
        if position + 54 > offset:
            raise ValueError('a VLR runs into the point data')
        length = struct.unpack_from('<H', data, position + 20)[0]
        position += 54 + length
        if position > offset:
            raise ValueError('a VLR runs into the point data')
    end = offset + count * record_length
    if end > len(data):
        raise ValueError(f'{count} points of {record_length} bytes from {offset} past the end ({len(data)})')
    if minor >= 4:
        evlr_start, evlr_count = struct.unpack_from('<QI', data, 235)
        if evlr_start > 0 and evlr_count > 0:
            if evlr_start < end:
                raise ValueError('EVLRs overlap the point data')
            position = evlr_start
            for _ in range(evlr_count):
                if position + 60 > len(data):
                    raise ValueError('EVLR past the end')
                position += 60 + struct.unpack_from('<Q', data, position + 20)[0]
                if position > len(data):
                    raise ValueError('EVLR past the end')
    scale = struct.unpack_from('<3d', data, 131)
    shift = struct.unpack_from('<3d', data, 155)
    if not all(math.isfinite(v) and v != 0 for v in scale) or not all(math.isfinite(v) for v in shift):
        raise ValueError(f'scale {scale} offset {shift}')
    records = np.ndarray((count,), dtype=np.dtype({
        'names': ['x', 'y', 'z', 'intensity', 'returns', 'byte15', 'byte16'],
        'formats': ['<i4', '<i4', '<i4', '<u2', 'u1', 'u1', 'u1'],
        'offsets': [0, 4, 8, 12, 14, 15, 16],
        'itemsize': record_length}), buffer=data, offset=offset)
    xyz = [records[axis].astype('<f8') * scale[i] + shift[i] for i, axis in enumerate('xyz')]
    returns = records['returns']
    if point_format >= 6:
        number, total, classification = returns & 15, returns >> 4, records['byte16']
    else:
        number, total, classification = returns & 7, (returns >> 3) & 7, records['byte15'] & 31
    return [count], digest(xyz + [records['intensity'], number, total, classification])


READERS = {'gdal': read_gdal, 'npy': read_npy, 'las': read_las}

for item in json.load(sys.stdin):
    try:
        shape, value = READERS[item['kind']](item['path'])
        answer = {'path': item['path'], 'ok': True, 'shape': [int(v) for v in shape], 'digest': value}
    except Exception as error:  # the reference refuses the file
        answer = {'path': item['path'], 'ok': False, 'error': f'{type(error).__name__}: {error}'[:300]}
    print(json.dumps(answer), flush=True)
