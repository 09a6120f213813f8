import { readFileSync } from 'node:fs';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { bias, errorStatistics, mae, maxAbsError, psnr, rmse } from './pixel-metrics.js';
import type { RasterLike } from './raster-input.js';

const fixtures = new URL('../test/fixtures/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', fixtures), 'utf8'));
function load(name: string) {
  const { file, shape } = manifest.arrays[name];
  const bytes = readFileSync(new URL(file, fixtures));
  return ndarray(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8).slice(), shape);
}

describe('pixel metrics', () => {
  const prediction = load('dtm-prediction');
  const reference = load('dtm-reference');

  it('match a direct float64 recomputation', () => {
    const errors = Array.from(prediction.data, (value, i) => value - reference.data[i]);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(rmse(prediction, reference)).toBeCloseTo(Math.sqrt(mean(errors.map((e) => e * e))), 12);
    expect(mae(prediction, reference)).toBeCloseTo(mean(errors.map(Math.abs)), 12);
    expect(bias(prediction, reference)).toBeCloseTo(mean(errors), 12);
    expect(maxAbsError(prediction, reference)).toBe(Math.max(...errors.map(Math.abs)));
  });

  it('match scikit-image peak_signal_noise_ratio', () => {
    for (const entry of manifest.psnr) {
      const options = entry.name === 'dtm' ? {} : { dataRange: entry.dataRange };
      expect(psnr(prediction, reference, options)).toBeCloseTo(entry.value, 10);
    }
  });

  it('give small closed-form values and Infinity PSNR for identical grids', () => {
    const a = ndarray([1, 2, 3, 4], [2, 2]);
    const b = ndarray([1, 2, 3, 6], [2, 2]);
    expect(rmse(a, b)).toBe(1);
    expect(mae(a, b)).toBe(0.5);
    expect(bias(a, b)).toBe(-0.5);
    expect(psnr(a, b, { dataRange: 10 })).toBeCloseTo(20, 12);
    expect(psnr(a, a)).toBe(Number.POSITIVE_INFINITY);
    const flat = ndarray([5, 5, 5, 5], [2, 2]);
    expect(() => psnr(a, flat)).toThrow(
      /psnr: dataRange must be a positive finite number, got 0 \(the reference is constant/,
    );
    expect(psnr(flat, flat, { dataRange: 1 })).toBe(Number.POSITIVE_INFINITY);
  });

  it('exclude nodata, NaN, infinities and masked pixels, from either grid', () => {
    const a = ndarray([1, -9999, Number.NaN, 4, 10, 7], [2, 3]);
    const b = ndarray([2, 3, 3, Number.POSITIVE_INFINITY, 12, 7], [2, 3]);
    const mask = ndarray(new Uint8Array([1, 1, 1, 1, 1, 0]), [2, 3]);
    const statistics = errorStatistics(a, b, { nodata: -9999, mask });
    expect(statistics.validPixelCount).toBe(2);
    expect(statistics.bias).toBe(-1.5);
    expect(statistics.referenceMaximum).toBe(12);
  });

  it('read a band of a raster and honour its nodata', () => {
    const data = ndarray(new Float32Array([0, 0, 0, 0, 1, -1, 3, 5]), [2, 2, 2]);
    const raster: RasterLike = { data, nodata: -1, transform: [0, 1, 0, 0, 0, -1] };
    const other = ndarray([2, 9, 3, 3], [2, 2]);
    expect(errorStatistics(raster, other, { band: 1 }).validPixelCount).toBe(3);
    expect(bias(raster, other, { band: 1 })).toBeCloseTo((-1 + 0 + 2) / 3, 12);
    expect(() => bias(raster, other, { band: 2 })).toThrow(/bias|errorStatistics: band 2 is out of range/);
  });

  it('reject mismatched shapes and all-nodata input with clear errors', () => {
    const a = ndarray(new Float64Array(6), [2, 3]);
    const b = ndarray(new Float64Array(6), [3, 2]);
    expect(() => rmse(a, b)).toThrow(
      'errorStatistics: prediction shape [2, 3] differs from reference shape [3, 2]',
    );
    const empty = ndarray(new Float64Array(6).fill(Number.NaN), [2, 3]);
    expect(() => rmse(empty, a)).toThrow(/no pixel is valid in both grids/);
  });
});
