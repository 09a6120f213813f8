import { readFileSync } from 'node:fs';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { evaluateDem } from './evaluate-dem.js';
import type { RasterLike } from './raster-input.js';

const fixtures = new URL('../test/fixtures/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', fixtures), 'utf8'));
function load(name: string) {
  const { file, shape } = manifest.arrays[name];
  const bytes = readFileSync(new URL(file, fixtures));
  return ndarray(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8).slice(), shape);
}
const asRaster = (grid: ndarray.NdArray<Float64Array>): RasterLike => ({
  data: ndarray(grid.data, [1, 64, 64]),
  nodata: -9999,
  transform: manifest.dtm.transform,
});

describe('evaluateDem', () => {
  const prediction = load('dtm-prediction');
  const reference = load('dtm-reference');

  it('reports scikit-image PSNR/SSIM and terrain errors for rasters in one call', () => {
    const table = evaluateDem(asRaster(prediction), asRaster(reference));
    const ssimReference = manifest.ssim.find((entry: { name: string }) => entry.name === 'dtm');
    const psnrReference = manifest.psnr.find((entry: { name: string }) => entry.name === 'dtm');
    expect(table.ssim).toBeCloseTo(ssimReference.value, 10);
    expect(table.ssimPercent).toBeCloseTo(100 * ssimReference.value, 8);
    expect(table.psnr).toBeCloseTo(psnrReference.value, 10);
    expect(table.dataRange).toBeCloseTo(ssimReference.dataRange, 12);
    expect(table.validPixelCount).toBe(4096);
    expect(table.bias).toBeGreaterThan(0.1);
    expect(table.slopeRmse).toBeGreaterThan(0);
    expect(table.aspectMae).toBeGreaterThan(0);
    const bare = evaluateDem(prediction, reference, { cellSize: 2, dataRange: 20 });
    expect(bare.slopeRmse).toBeCloseTo(table.slopeRmse!, 12);
    expect(bare.ssim).toBeCloseTo(
      manifest.ssim.find((e: { name: string }) => e.name === 'dtm-range20').value,
      10,
    );
  });

  it('reports NaN SSIM for grids smaller than the window but keeps the other metrics', () => {
    const small = ndarray(
      Float64Array.from({ length: 64 }, (_, i) => i),
      [8, 8],
    );
    const shifted = ndarray(
      Float64Array.from({ length: 64 }, (_, i) => i + 2),
      [8, 8],
    );
    const table = evaluateDem(shifted, small, { cellSize: 1 });
    expect(table.ssim).toBeNaN();
    expect(table.rmse).toBe(2);
    expect(table.psnr).toBeCloseTo(20 * Math.log10(63 / 2), 12);
    expect(table.slopeRmse).toBe(0);
  });

  it('needs a cell size for terrain metrics unless they are switched off', () => {
    expect(() => evaluateDem(prediction, reference)).toThrow(/evaluateDem: terrain metrics need a cell size/);
    const table = evaluateDem(prediction, reference, { terrain: false });
    expect(table.slopeRmse).toBeUndefined();
    expect(Object.keys(table)).toHaveLength(9);
  });
});
