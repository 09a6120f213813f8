import { readFileSync } from 'node:fs';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { ssim, ssimMap } from './ssim.js';

const fixtures = new URL('../test/fixtures/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', fixtures), 'utf8'));
function load(name: string) {
  const { file, shape } = manifest.arrays[name];
  const bytes = readFileSync(new URL(file, fixtures));
  return ndarray(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8).slice(), shape);
}
function reference(name: string) {
  return manifest.ssim.find((entry: { name: string }) => entry.name === name);
}

/** Direct float64 SSIM with a uniform-free brute-force Gaussian window, no reflection (interior only). */
function bruteForceSsim(x: ndarray.NdArray, y: ndarray.NdArray, dataRange: number, sigma = 1.5) {
  const radius = Math.floor(3.5 * sigma + 0.5);
  const weights: number[] = [];
  for (let k = -radius; k <= radius; k++) weights.push(Math.exp((-0.5 * k * k) / (sigma * sigma)));
  const total = weights.reduce((a, b) => a + b, 0);
  const [rows, cols] = x.shape;
  const c1 = (0.01 * dataRange) ** 2;
  const c2 = (0.03 * dataRange) ** 2;
  let sum = 0;
  let count = 0;
  for (let r = radius; r < rows - radius; r++) {
    for (let c = radius; c < cols - radius; c++) {
      let mx = 0;
      let my = 0;
      let mxx = 0;
      let myy = 0;
      let mxy = 0;
      for (let i = -radius; i <= radius; i++) {
        for (let j = -radius; j <= radius; j++) {
          const w = (weights[i + radius] * weights[j + radius]) / (total * total);
          const a = x.get(r + i, c + j);
          const b = y.get(r + i, c + j);
          mx += w * a;
          my += w * b;
          mxx += w * a * a;
          myy += w * b * b;
          mxy += w * a * b;
        }
      }
      const vx = mxx - mx * mx;
      const vy = myy - my * my;
      const cov = mxy - mx * my;
      sum += ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      count++;
    }
  }
  return sum / count;
}

describe('ssim', () => {
  const prediction = load('dtm-prediction');
  const referenceDem = load('dtm-reference');

  it('matches scikit-image structural_similarity on a real DEM crop (default data range)', () => {
    const expected = reference('dtm');
    expect(ssim(prediction, referenceDem)).toBeCloseTo(expected.value, 10);
    expect(expected.dataRange).toBeCloseTo(8.1615643, 6);
  });

  it.each(['dtm-range20', 'dtm-sigma1'])('matches scikit-image for case %s', (name) => {
    const expected = reference(name);
    const value = ssim(prediction, referenceDem, {
      dataRange: expected.dataRange,
      gaussianSigma: expected.gaussianSigma,
      k1: expected.k1,
      k2: expected.k2,
    });
    expect(Math.abs(value - expected.value)).toBeLessThan(1e-10);
  });

  it('matches scikit-image on noise images, including the minimum 11x11 size', () => {
    const a = load('noise-a');
    const b = load('noise-b');
    expect(ssim(a, b, { dataRange: 1 })).toBeCloseTo(reference('noise').value, 10);
    const tinyA = ndarray(
      Float64Array.from({ length: 121 }, (_, i) => a.get(Math.floor(i / 11), i % 11)),
      [11, 11],
    );
    const tinyB = ndarray(
      Float64Array.from({ length: 121 }, (_, i) => b.get(Math.floor(i / 11), i % 11)),
      [11, 11],
    );
    expect(ssim(tinyA, tinyB, { dataRange: 1 })).toBeCloseTo(reference('noise-11x11').value, 10);
  });

  it('returns the full map of scikit-image (reflect borders)', () => {
    const expected = load('dtm-ssim-map');
    const { map, ssim: mean, countedPixels } = ssimMap(prediction, referenceDem);
    let worst = 0;
    for (let i = 0; i < expected.size; i++) worst = Math.max(worst, Math.abs(map.data[i] - expected.data[i]));
    expect(worst).toBeLessThan(1e-10);
    expect(mean).toBeCloseTo(reference('dtm').value, 10);
    expect(countedPixels).toBe(54 * 54);
  });

  it('agrees with a brute-force 2-D window computation', () => {
    expect(ssim(prediction, referenceDem, { dataRange: 20 })).toBeCloseTo(
      bruteForceSsim(prediction, referenceDem, 20),
      10,
    );
  });

  it('is 1 for identical and for identical constant images', () => {
    expect(ssim(referenceDem, referenceDem)).toBeCloseTo(1, 12);
    const flat = ndarray(new Float64Array(400).fill(7), [20, 20]);
    expect(ssim(flat, flat, { dataRange: 10 })).toBeCloseTo(1, 12);
    expect(() => ssim(flat, flat)).toThrow(/ssim: dataRange must be a positive.*constant/);
  });

  it('leaves out windows that touch nodata, and matches SSIM of the valid part', () => {
    const rows = 64;
    const holed = ndarray(Float64Array.from(prediction.data as Float64Array), [rows, 64]);
    for (let r = 40; r < 64; r++) for (let c = 0; c < 64; c++) holed.set(r, c, -9999);
    const value = ssim(holed, referenceDem, { nodata: -9999, dataRange: 20 });
    const top = (grid: ndarray.NdArray) => grid.hi(40, 64);
    expect(value).toBeCloseTo(ssim(top(prediction), top(referenceDem), { dataRange: 20 }), 12);
    const withNaN = ndarray(Float64Array.from(prediction.data as Float64Array), [rows, 64]);
    for (let r = 40; r < 64; r++) for (let c = 0; c < 64; c++) withNaN.set(r, c, Number.NaN);
    expect(ssim(withNaN, referenceDem, { dataRange: 20 })).toBeCloseTo(value, 12);
  });

  it('rejects small, mismatched and all-nodata inputs with clear errors', () => {
    const small = ndarray(new Float64Array(100), [10, 10]);
    expect(() => ssim(small, small, { dataRange: 1 })).toThrow(/smaller than the 11x11 window/);
    expect(ssim(small, small, { dataRange: 1, gaussianSigma: 0.5 })).toBeCloseTo(1, 12);
    expect(() => ssim(prediction, small)).toThrow(/ssim: prediction shape \[64, 64\] differs/);
    const empty = ndarray(new Float64Array(400).fill(Number.NaN), [20, 20]);
    expect(() => ssim(empty, empty)).toThrow(/no pixel is valid/);
    expect(() => ssim(empty, empty, { dataRange: 1 })).toThrow(/no 11x11 window/);
  });
});
