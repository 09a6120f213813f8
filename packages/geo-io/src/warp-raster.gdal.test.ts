import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { applyGeoTransform, invertGeoTransform } from './geo-transform.js';
import { approxTransform, type PixelTransform } from './internal/approx-transform.js';
import { readRaster } from './read-raster.js';
import { resolveCrs } from './resolve-crs.js';
import { targetGridOfRaster } from './target-grid.js';
import type { Raster, TargetGrid } from './types.js';
import { type ResamplingMethod, type WarpRasterOptions, warpRaster } from './warp-raster.js';

const fixture = (name: string) => new URL(`../test/fixtures/${name}`, import.meta.url).pathname;

/** Every pixel of `warped` against gdalwarp's output: nodata must agree, values within the returned maximum. */
function compareAll(reference: Raster, warped: Raster) {
  const expected = reference.data.data;
  const actual = warped.data.data;
  let maxDifference = 0;
  let compared = 0;
  let nodataMismatches = 0;
  for (let i = 0; i < expected.length; i++) {
    const expectedNodata = expected[i] === reference.nodata;
    const actualNodata = actual[i] === warped.nodata;
    if (expectedNodata !== actualNodata) nodataMismatches++;
    else if (!expectedNodata) {
      maxDifference = Math.max(maxDifference, Math.abs(expected[i] - actual[i]));
      compared++;
    }
  }
  return { maxDifference, compared, nodataMismatches };
}

/** The exact target-pixel to source-pixel transform, written independently of warp-raster.ts. */
function exactTransform(source: Raster, grid: TargetGrid): PixelTransform {
  const toSource = proj4(resolveCrs(grid.crs).proj4, source.crs.proj4);
  const inverse = invertGeoTransform(source.transform);
  return (x, y, out) => {
    const [sourceX, sourceY] = toSource.forward(applyGeoTransform(grid.transform, x, y));
    [out[0], out[1]] = applyGeoTransform(inverse, sourceX, sourceY);
    return true;
  };
}

// Fixtures made by make-fixtures.sh with GDAL 3.6.2: `gdalwarp` with its defaults (approximate
// transformer, error threshold 0.125 source pixel) and `gdalwarp -et 0`, each kernel, Float32,
// -dstnodata -9999. Every pixel is compared, borders and nodata included.
const GROUPS = [
  {
    name: 'zion_utm12n',
    source: 'zion_srtm_strip.tif',
    what: 'Zion SRTM, EPSG:4326 to UTM 12N, 80 m, 418 px rows (the approximation splits them)',
  },
  {
    name: 'dtm4326_utm18n',
    source: 'opengeos_dtm_4326.tif',
    what: 'lidar DTM in EPSG:4326 (1.87 x 2.44 m pixels) to UTM 18N at 2 m (x kernels widened by 1/0.92)',
  },
  {
    name: 'dtm_utm17n',
    source: 'opengeos_dtm.tif',
    what: 'lidar DTM, UTM 18N to UTM 17N at 2 m (grid turned 3.75 degrees, kernels widened by 1/0.93)',
  },
  {
    name: 'dtm_utm17n_6m',
    source: 'opengeos_dtm.tif',
    what: 'lidar DTM, UTM 18N to UTM 17N at 6 m (downsampling about 3.2x)',
  },
] as const;
const KERNELS: [ResamplingMethod, string][] = [
  ['nearest', 'near'],
  ['bilinear', 'bilinear'],
  ['cubic', 'cubic'],
  ['average', 'average'],
];
const MODES = [
  { label: 'gdalwarp defaults (-et 0.125)', suffix: '', maxError: 0.125 },
  { label: 'gdalwarp -et 0', suffix: '_et0', maxError: 0 },
] as const;

describe('warpRaster agrees with gdalwarp everywhere, borders and nodata included (within 1e-3 m)', () => {
  for (const group of GROUPS) {
    describe(group.what, () => {
      for (const [resampling, kernel] of KERNELS) {
        for (const mode of MODES) {
          it(`${resampling}, ${mode.label}`, async () => {
            const source = await readRaster(fixture(group.source));
            const reference = await readRaster(
              fixture(`warp_gdal_${group.name}_${kernel}${mode.suffix}.tif`),
            );
            const warped = warpRaster(source, targetGridOfRaster(reference), {
              resampling,
              nodata: -9999,
              dataType: 'float32',
              transformer: { maxError: mode.maxError },
            });
            const { maxDifference, compared, nodataMismatches } = compareAll(reference, warped);
            expect(compared).toBeGreaterThan(3000);
            expect(nodataMismatches).toBe(0);
            expect(maxDifference).toBeLessThanOrEqual(1e-3);
          });
        }
      }
    });
  }

  it('cuts the target into chunks as gdalwarp does (a target twice the source: 4 chunks, each its own kernel scale)', async () => {
    const source = await readRaster(fixture('opengeos_dtm_4326.tif'));
    const reference = await readRaster(fixture('warp_gdal_dtm4326_utm18n_chunks_bilinear.tif'));
    const warped = warpRaster(source, targetGridOfRaster(reference), {
      resampling: 'bilinear',
      nodata: -9999,
      dataType: 'float32',
    });
    const { maxDifference, compared, nodataMismatches } = compareAll(reference, warped);
    expect(compared).toBeGreaterThan(5000);
    expect(nodataMismatches).toBe(0);
    expect(maxDifference).toBeLessThanOrEqual(1e-3);
  });

  it('the fixtures tell the modes apart: the other transformer, or no kernel widening, misses them by far more than 1e-3', async () => {
    const check = async (file: string, sourceFile: string, options: WarpRasterOptions, atLeast: number) => {
      const source = await readRaster(fixture(sourceFile));
      const reference = await readRaster(fixture(file));
      const warped = warpRaster(source, targetGridOfRaster(reference), {
        nodata: -9999,
        dataType: 'float32',
        ...options,
      });
      expect(compareAll(reference, warped).maxDifference).toBeGreaterThan(atLeast);
    };
    // gdalwarp's defaults are not -et 0 on long rows (metres of difference in steep terrain)...
    await check(
      'warp_gdal_zion_utm12n_bilinear.tif',
      'zion_srtm_strip.tif',
      {
        resampling: 'bilinear',
        transformer: { maxError: 0 },
      },
      1,
    );
    await check(
      'warp_gdal_zion_utm12n_bilinear_et0.tif',
      'zion_srtm_strip.tif',
      {
        resampling: 'bilinear',
        transformer: { maxError: 0.125 },
      },
      1,
    );
    // ... and gdalwarp widens the kernels when downsampling.
    await check(
      'warp_gdal_dtm_utm17n_6m_cubic_et0.tif',
      'opengeos_dtm.tif',
      {
        resampling: 'cubic',
        transformer: { maxError: 0 },
        kernelScaling: 'none',
      },
      0.5,
    );
    await check(
      'warp_gdal_dtm4326_utm18n_bilinear.tif',
      'opengeos_dtm_4326.tif',
      {
        resampling: 'bilinear',
        kernelScaling: 'none',
      },
      0.05,
    );
  });

  it('still agrees with the older -et 0 fixtures (Olinda DEM to EPSG:4326, opengeos DTM to Web Mercator) at every pixel', async () => {
    const olinda = await readRaster(fixture('olinda_dem_utm25s.tif'));
    for (const [resampling, file] of [
      ['nearest', 'warp_near.tif'],
      ['bilinear', 'warp_bilinear.tif'],
      ['cubic', 'warp_cubic.tif'],
      ['average', 'warp_average.tif'],
    ] as const) {
      const reference = await readRaster(fixture(file));
      const warped = warpRaster(olinda, targetGridOfRaster(reference), {
        resampling,
        nodata: -9999,
        dataType: 'float32',
        transformer: { maxError: 0 },
      });
      const { maxDifference, nodataMismatches } = compareAll(reference, warped);
      expect(nodataMismatches).toBe(0);
      expect(maxDifference).toBeLessThanOrEqual(1e-3);
    }
    const dtm = await readRaster(fixture('opengeos_dtm.tif'));
    const reference = await readRaster(fixture('warp_dtm_bilinear_3857.tif'));
    const warped = warpRaster(dtm, targetGridOfRaster(reference), {
      resampling: 'bilinear',
      transformer: { maxError: 0 },
    });
    const { maxDifference, nodataMismatches } = compareAll(reference, warped);
    expect(nodataMismatches).toBe(0);
    expect(maxDifference).toBeLessThanOrEqual(1e-3);
  });
});

describe('GDAL approximate transformer', () => {
  /** A transform that counts its calls. */
  const counted = (f: (x: number, y: number) => [number, number]) => {
    const calls: number[] = [];
    const transform: PixelTransform = (x, y, out) => {
      calls.push(x);
      [out[0], out[1]] = f(x, y);
      return true;
    };
    return { transform, calls };
  };
  const row = (count: number, y = 0.5) => ({
    xs: Float64Array.from({ length: count }, (_, i) => i + 0.5),
    ys: new Float64Array(count).fill(y),
    ok: new Uint8Array(count),
  });

  it('transforms only the ends and the middle of a row when the interpolation error there is within maxError', () => {
    const { transform, calls } = counted((x, y) => [2 * x + 1, y - 3]);
    const { xs, ys, ok } = row(100);
    approxTransform(transform, 0.125, xs, ys, ok, 100);
    expect(calls).toEqual([0.5, 49.5, 99.5]);
    for (let i = 0; i < 100; i++) {
      expect(xs[i]).toBeCloseTo(2 * (i + 0.5) + 1, 10);
      expect(ys[i]).toBe(-2.5);
      expect(ok[i]).toBe(1);
    }
  });

  it('halves a row where the error at the middle exceeds maxError, and checks each half at its own middle', () => {
    // A quadratic: the linear interpolation misses point m by a * (m - first) * (last - m).
    const a = 1e-4;
    const quadratic = (x: number, y: number): [number, number] => [x + a * x * x, y];
    const { transform, calls } = counted(quadratic);
    const { xs, ys, ok } = row(101);
    approxTransform(transform, 0.125, xs, ys, ok, 101);
    // Whole row: error a * 50 * 50 = 0.25 > 0.125, so split into points 0..49 and 50..100, whose
    // middles (24 and 75) miss by a * 24 * 25 and a * 25 * 25 (< 0.125): both halves interpolated.
    expect(calls).toEqual([0.5, 50.5, 100.5, 24.5, 49.5, 75.5]);
    const exact = (i: number) => quadratic(i + 0.5, 0.5)[0];
    // The ends of each interpolated stretch keep their exact values; its checked middle is
    // interpolated too (GDAL writes the chord over the whole stretch).
    for (const i of [0, 49, 50, 100]) expect(xs[i]).toBeCloseTo(exact(i), 12);
    expect(xs[24] - exact(24)).toBeCloseTo(a * 24 * 25, 12);
    expect(xs[75] - exact(75)).toBeCloseTo(a * 25 * 25, 12);
    // Point 10 lies on the chord between points 0 and 49, point 60 on the chord between 50 and 100.
    expect(xs[10]).toBeCloseTo(exact(0) + ((exact(49) - exact(0)) * 10) / 49, 12);
    expect(xs[60]).toBeCloseTo(exact(50) + ((exact(100) - exact(50)) * 10) / 50, 12);
    for (let i = 0; i < 101; i++) expect(Math.abs(xs[i] - exact(i))).toBeLessThanOrEqual(0.125);
    expect(Array.from(ok).every((flag) => flag === 1)).toBe(true);
  });

  it('transforms exactly: five points or fewer, several rows, maxError 0, and a half of five points or fewer', () => {
    for (const [count, maxError, sameRow] of [
      [5, 0.125, true],
      [50, 0.125, false],
      [50, 0, true],
    ] as const) {
      const { transform, calls } = counted((x, y) => [x * x, y]);
      const { xs, ys, ok } = row(count);
      if (!sameRow) ys[count - 1] = 1.5;
      approxTransform(transform, maxError, xs, ys, ok, count);
      expect(calls).toHaveLength(count);
      for (let i = 0; i < count; i++) expect(xs[i]).toBe((i + 0.5) ** 2);
    }
    // 11 points with a strong curve: halves of 5 and 6 points; the first is transformed point by point.
    const { transform, calls } = counted((x, y) => [x * x, y]);
    const { xs, ys, ok } = row(11);
    approxTransform(transform, 0.125, xs, ys, ok, 11);
    expect(calls.slice(0, 3)).toEqual([0.5, 5.5, 10.5]);
    for (const i of [0, 1, 2, 3, 4, 5, 10]) expect(xs[i]).toBe((i + 0.5) ** 2);
    expect(calls).toContain(1.5);
    expect(calls).toContain(4.5);
  });

  it('falls back to exact transforms when an end or the middle fails, marking failed points', () => {
    const transform: PixelTransform = (x, y, out) => {
      if (x === 49.5 || x === 20.5) return false;
      out[0] = x + 0.001 * x * x;
      out[1] = y;
      return true;
    };
    const { xs, ys, ok } = row(100);
    approxTransform(transform, 0.125, xs, ys, ok, 100);
    expect(ok[49]).toBe(0);
    expect(ok[20]).toBe(0);
    expect(Number.isNaN(xs[20])).toBe(true);
    expect(xs[30]).toBe(30.5 + 0.001 * 30.5 * 30.5);
  });

  it('approximate and exact modes differ by no more than 0.125 source pixel (Zion, 418 px rows)', async () => {
    const source = await readRaster(fixture('zion_srtm_strip.tif'));
    const grid = targetGridOfRaster(await readRaster(fixture('warp_gdal_zion_utm12n_near.tif')));
    const exact = exactTransform(source, grid);
    const point = new Float64Array(2);
    let largest = 0;
    let exactCalls = 0;
    const countingExact: PixelTransform = (x, y, out) => {
      exactCalls++;
      return exact(x, y, out);
    };
    const positions: { approx: Float64Array; exact: Float64Array }[] = [];
    for (let r = 0; r < grid.height; r++) {
      const { xs, ys, ok } = row(grid.width, r + 0.5);
      approxTransform(countingExact, 0.125, xs, ys, ok, grid.width);
      const approx = new Float64Array(2 * grid.width);
      const truth = new Float64Array(2 * grid.width);
      for (let i = 0; i < grid.width; i++) {
        exact(i + 0.5, r + 0.5, point);
        largest = Math.max(largest, Math.abs(xs[i] - point[0]) + Math.abs(ys[i] - point[1]));
        approx.set([xs[i], ys[i]], 2 * i);
        truth.set([point[0], point[1]], 2 * i);
      }
      positions.push({ approx, exact: truth });
    }
    // The rows were split (more than 3 exact points per row), and the error stays within the threshold.
    expect(exactCalls).toBeGreaterThan(3 * grid.height);
    expect(exactCalls).toBeLessThan(10 * grid.height);
    expect(largest).toBeGreaterThan(0.03);
    expect(largest).toBeLessThanOrEqual(0.125 + 1e-9);

    // Values: nearest picks another pixel only where the exact position is within 0.125 px of a
    // pixel edge; plain bilinear moves by at most 0.125 x the steepest step between neighbouring
    // source pixels around the position.
    const options = { nodata: -9999, dataType: 'float32' as const, kernelScaling: 'none' as const };
    for (const resampling of ['nearest', 'bilinear'] as const) {
      const approximate = warpRaster(source, grid, { ...options, resampling });
      const exactWarp = warpRaster(source, grid, { ...options, resampling, transformer: { maxError: 0 } });
      let differing = 0;
      for (let r = 0; r < grid.height; r++) {
        for (let i = 0; i < grid.width; i++) {
          const difference = Math.abs(approximate.data.get(0, r, i) - exactWarp.data.get(0, r, i));
          if (difference === 0) continue;
          differing++;
          const x = positions[r].exact[2 * i];
          const y = positions[r].exact[2 * i + 1];
          if (resampling === 'nearest') {
            const toEdge = Math.min(Math.abs(x - Math.round(x)), Math.abs(y - Math.round(y)));
            expect(toEdge).toBeLessThanOrEqual(0.125);
          } else {
            let steepest = 0;
            const column = Math.floor(x - 0.5);
            const line = Math.floor(y - 0.5);
            for (let j = line - 1; j <= line + 2; j++) {
              for (let k = column - 1; k <= column + 2; k++) {
                const here = source.data.get(0, j, k);
                steepest = Math.max(
                  steepest,
                  Math.abs(source.data.get(0, j, k + 1) - here),
                  Math.abs(source.data.get(0, j + 1, k) - here),
                );
              }
            }
            expect(difference).toBeLessThanOrEqual(0.125 * steepest + 1e-3);
          }
        }
      }
      expect(differing).toBeGreaterThan(0);
    }
  });
});
