import type { Crs, Raster } from '@siran/geo-io';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { degradeDem } from './degradation.js';

const crs: Crs = {
  proj4: '+proj=utm +zone=31 +datum=WGS84 +units=m +no_defs',
  epsg: 32631,
  wkt: null,
  name: null,
};

function raster(values: Float32Array, width: number, height: number, x0 = 1000, y0 = 2000): Raster {
  return {
    data: ndarray(values, [1, height, width]),
    transform: [x0, 1, 0, y0, 0, -1],
    crs,
    nodata: Number.NaN,
  };
}

const surface = (width: number, height: number) =>
  Float32Array.from(
    { length: width * height },
    (_, i) => Math.sin((i % width) * 0.3) * 20 + Math.floor(i / width) * 0.5 + 300,
  );

describe('degradeDem', () => {
  it('block-averages valid cells, adds the bias and shifts the georeferencing (closed form)', () => {
    const values = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, Number.NaN]);
    // 3 rows x 4 columns, blockSize 2 -> 2 x 2 coarse cells; the bottom blocks have one row.
    const coarse = degradeDem(raster(values, 4, 3), { blockSize: 2, verticalBias: 0.5, shift: [0.25, -0.5] });
    expect(coarse.data.shape).toEqual([1, 2, 2]);
    expect(Array.from(coarse.data.data as Float32Array)).toEqual([
      (1 + 2 + 5 + 6) / 4 + 0.5,
      (3 + 4 + 7 + 8) / 4 + 0.5,
      (9 + 10) / 2 + 0.5,
      11 + 0.5,
    ]);
    expect(coarse.transform).toEqual([1000 + 0.25 * 2, 2, 0, 2000 + -0.5 * 2 * -1, 0, -2]);
  });

  it('keeps a constant surface constant under blur and gives noise of the requested spread, reproducibly', () => {
    const flat = raster(new Float32Array(200 * 200).fill(42), 200, 200);
    const blurred = degradeDem(flat, { blockSize: 2, blurSigma: 1.5 });
    for (const value of blurred.data.data as Float32Array) expect(value).toBeCloseTo(42, 4);
    const noisy = degradeDem(flat, { blockSize: 2, noiseStandardDeviation: 2, seed: 9 });
    const values = Array.from(noisy.data.data as Float32Array, (v) => v - 42);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const deviation = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.1); // 10,000 samples: standard error 0.02
    expect(deviation).toBeGreaterThan(1.9);
    expect(deviation).toBeLessThan(2.1);
    const again = degradeDem(flat, { blockSize: 2, noiseStandardDeviation: 2, seed: 9 });
    expect(Array.from(again.data.data as Float32Array)).toEqual(Array.from(noisy.data.data as Float32Array));
    const other = degradeDem(flat, { blockSize: 2, noiseStandardDeviation: 2, seed: 10 });
    expect(other.data.get(0, 0, 0)).not.toBe(noisy.data.get(0, 0, 0));
  });

  it('matches a float64 separable Gaussian recomputation at an interior cell', () => {
    const width = 20;
    const values = surface(width, 20);
    const sigma = 0.8;
    const coarse = degradeDem(raster(values, width, 20), { blockSize: 2, blurSigma: sigma });
    const block = (r: number, c: number) =>
      (values[2 * r * width + 2 * c]! +
        values[2 * r * width + 2 * c + 1]! +
        values[(2 * r + 1) * width + 2 * c]! +
        values[(2 * r + 1) * width + 2 * c + 1]!) /
      4;
    const radius = Math.ceil(3 * sigma);
    let num = 0;
    let den = 0;
    for (let dr = -radius; dr <= radius; dr += 1) {
      for (let dc = -radius; dc <= radius; dc += 1) {
        const w = Math.exp(-(dr * dr + dc * dc) / (2 * sigma * sigma));
        num += w * block(5 + dr, 5 + dc);
        den += w;
      }
    }
    expect(coarse.data.get(0, 5, 5)).toBeCloseTo(num / den, 3);
  });

  it('gives the same coarse cells when degrading a window as when degrading the whole grid', () => {
    const width = 64;
    const height = 48;
    const values = surface(width, height);
    const options = { blockSize: 4, blurSigma: 1, noiseStandardDeviation: 0.3, verticalBias: -1, seed: 3 };
    const whole = degradeDem(raster(values, width, height), options);
    const row0 = 8;
    const column0 = 16;
    const window = new Float32Array(32 * 40);
    for (let r = 0; r < 32; r += 1)
      for (let c = 0; c < 40; c += 1) window[r * 40 + c] = values[(row0 + r) * width + column0 + c]!;
    const part = degradeDem(raster(window, 40, 32, 1000 + column0, 2000 - row0), options, {
      row: row0,
      column: column0,
    });
    // Coarse cells at least 3 sigma (3 cells) from the window edge see the same inputs: identical bits.
    let compared = 0;
    for (let r = 3; r < 5; r += 1) {
      for (let c = 3; c < 7; c += 1) {
        expect(part.data.get(0, r, c)).toBe(whole.data.get(0, r + row0 / 4, c + column0 / 4));
        compared += 1;
      }
    }
    expect(compared).toBe(8);
    // An edge cell sees fewer neighbours, so it differs: the comparison above can fail.
    expect(part.data.get(0, 0, 0)).not.toBe(whole.data.get(0, row0 / 4, column0 / 4));
    expect(part.transform[0]).toBe(whole.transform[0] + column0);
    expect(() => degradeDem(raster(window, 40, 32), options, { row: 3, column: 0 })).toThrow(/block lattice/);
  });
});
