import ndarray from 'ndarray';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { applyGeoTransform, invertGeoTransform } from './geo-transform.js';
import { keysCubicWeight } from './internal/resampling.js';
import { readRaster } from './read-raster.js';
import { resolveCrs } from './resolve-crs.js';
import {
  targetGridAtResolution,
  targetGridForCrs,
  targetGridFromBounds,
  targetGridOfRaster,
} from './target-grid.js';
import type { Raster } from './types.js';
import { type ResamplingMethod, warpRaster } from './warp-raster.js';

const fixture = (name: string) => new URL(`../test/fixtures/${name}`, import.meta.url).pathname;

/** Largest |ours - gdal| over target pixels whose source position lies `margin` pixels inside the source. */
function compareInterior(source: Raster, reference: Raster, warped: Raster, margin: number) {
  const toSource = proj4(reference.crs.proj4, source.crs.proj4);
  const inverse = invertGeoTransform(source.transform);
  const [, rows, columns] = source.data.shape;
  const [, height, width] = reference.data.shape;
  let maxDifference = 0;
  let compared = 0;
  let nodataMismatches = 0;
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      const [x, y] = applyGeoTransform(
        inverse,
        ...(toSource.forward(applyGeoTransform(reference.transform, column + 0.5, row + 0.5)) as [
          number,
          number,
        ]),
      );
      if (x < margin || y < margin || x > columns - margin || y > rows - margin) continue;
      const expected = reference.data.get(0, row, column);
      const actual = warped.data.get(0, row, column);
      if ((expected === reference.nodata) !== (actual === warped.nodata)) nodataMismatches++;
      else if (expected !== reference.nodata) {
        maxDifference = Math.max(maxDifference, Math.abs(expected - actual));
        compared++;
      }
    }
  }
  return { maxDifference, compared, nodataMismatches };
}

describe('warpRaster against gdalwarp -et 0 (Olinda DEM, UTM 25S to EPSG:4326)', () => {
  const cases: [ResamplingMethod, string, number][] = [
    ['nearest', 'warp_near.tif', 0.5],
    ['bilinear', 'warp_bilinear.tif', 1.5],
    ['cubic', 'warp_cubic.tif', 2.5],
    ['average', 'warp_average.tif', 3],
  ];
  for (const [resampling, file, margin] of cases) {
    it(`${resampling} matches GDAL away from the edges`, async () => {
      const source = await readRaster(fixture('olinda_dem_utm25s.tif'));
      const reference = await readRaster(fixture(file));
      const warped = warpRaster(source, targetGridOfRaster(reference), {
        resampling,
        nodata: -9999,
        dataType: 'float32',
        transformer: { maxError: 0 },
      });
      expect(warped.crs.epsg).toBe(4326);
      const { maxDifference, compared, nodataMismatches } = compareInterior(
        source,
        reference,
        warped,
        margin,
      );
      expect(compared).toBeGreaterThan(1000 / (resampling === 'average' ? 20 : 1));
      expect(nodataMismatches).toBe(0);
      // Data range of the DEM is about 90 m: 1e-3 of it is 0.09; nearest must be exact.
      expect(maxDifference).toBeLessThanOrEqual(resampling === 'nearest' ? 0 : 0.09);
    });
  }

  it('bilinear with nodata holes matches GDAL (opengeos DTM to Web Mercator), nodata included', async () => {
    const source = await readRaster(fixture('opengeos_dtm.tif'));
    const reference = await readRaster(fixture('warp_dtm_bilinear_3857.tif'));
    const warped = warpRaster(source, targetGridOfRaster(reference), {
      resampling: 'bilinear',
      transformer: { maxError: 0 },
    });
    const { maxDifference, compared, nodataMismatches } = compareInterior(source, reference, warped, 1.5);
    expect(compared).toBeGreaterThan(10000);
    expect(nodataMismatches).toBe(0);
    expect(maxDifference).toBeLessThan(1e-3 * 15);
  });
});

describe('warpRaster closed forms', () => {
  const crs = resolveCrs(32612);
  const ramp = (): Raster => {
    const values = new Float64Array(20 * 30).map(
      (_, index) => 3 * (index % 30) + 0.5 * Math.floor(index / 30),
    );
    return { data: ndarray(values, [1, 20, 30]), transform: [1000, 10, 0, 5000, 0, -10], crs, nodata: null };
  };

  it('reproduces the source on its own grid with every kernel', () => {
    const source = ramp();
    for (const resampling of ['nearest', 'bilinear', 'cubic', 'average'] as const) {
      const warped = warpRaster(source, targetGridOfRaster(source), { resampling });
      expect(Array.from(warped.data.data)).toEqual(Array.from(source.data.data));
    }
  });

  it('interpolates a linear ramp exactly with bilinear and cubic at half-pixel offsets', () => {
    const source = ramp();
    const target = { width: 10, height: 8, transform: [1055, 10, 0, 4945, 0, -10] as const, crs };
    for (const resampling of ['bilinear', 'cubic'] as const) {
      const warped = warpRaster(source, target, { resampling });
      for (let row = 0; row < 8; row++) {
        for (let column = 0; column < 10; column++) {
          // Target centre -> source pixel coordinate (6 + column, 6 + row); the ramp is 3 i + 0.5 j at centre (i + 0.5, j + 0.5).
          expect(warped.data.get(0, row, column)).toBeCloseTo(3 * (column + 5.5) + 0.5 * (row + 5.5), 9);
        }
      }
    }
  });

  it('averages 2 x 2 blocks when halving the resolution', () => {
    const source = ramp();
    const warped = warpRaster(source, targetGridAtResolution(source, 20), { resampling: 'average' });
    expect(warped.data.shape).toEqual([1, 10, 15]);
    const expected =
      (source.data.get(0, 2, 4) +
        source.data.get(0, 2, 5) +
        source.data.get(0, 3, 4) +
        source.data.get(0, 3, 5)) /
      4;
    expect(warped.data.get(0, 1, 2)).toBeCloseTo(expected, 12);
  });

  it('widens bilinear and cubic by the downsampling factor, as gdalwarp (an impulse downsampled 3x)', () => {
    const values = new Float64Array(30 * 30);
    values[16 * 30 + 16] = 9;
    const source: Raster = {
      data: ndarray(values, [1, 30, 30]),
      transform: [0, 1, 0, 30, 0, -1],
      crs,
      nodata: null,
    };
    // Target pixel (5, 5) is centred on source pixel (16, 16); the kernel scale is 10 / 30 = 1/3.
    const target = { width: 10, height: 10, transform: [0, 3, 0, 30, 0, -3] as const, crs };
    const taps = (weight: (d: number) => number) =>
      Array.from({ length: 13 }, (_, i) => weight((i - 6) / 3)).reduce((sum, w) => sum + w, 0);
    const triangle = (d: number) => Math.max(0, 1 - Math.abs(d));
    for (const [resampling, weight] of [
      ['bilinear', triangle],
      ['cubic', keysCubicWeight],
    ] as const) {
      const widened = warpRaster(source, target, { resampling, transformer: { maxError: 0 } });
      // 9 x w(0)^2 / (sum of the 1/3-spaced weights)^2, and the neighbour one target pixel away
      // sees the impulse at 3 source pixels: w(1) = 0.
      expect(widened.data.get(0, 5, 5)).toBeCloseTo(9 / taps(weight) ** 2, 12);
      expect(widened.data.get(0, 5, 6)).toBeCloseTo(0, 12);
      const plain = warpRaster(source, target, { resampling, kernelScaling: 'none' });
      expect(plain.data.get(0, 5, 5)).toBe(9);
    }
  });

  it('rejects invalid transformer, kernel scaling and memory options', () => {
    const source = ramp();
    const grid = targetGridOfRaster(source);
    expect(() => warpRaster(source, grid, { resampling: 'nearest', transformer: { maxError: -1 } })).toThrow(
      /transformer.maxError -1 is invalid/,
    );
    expect(() =>
      warpRaster(source, grid, { resampling: 'nearest', kernelScaling: 'wide' as 'gdal' }),
    ).toThrow(/kernelScaling "wide" is unknown/);
    expect(() => warpRaster(source, grid, { resampling: 'nearest', warpMemoryLimit: 1000 })).toThrow(
      /warpMemoryLimit 1000 is invalid/,
    );
  });

  it('never lets a nodata pixel leak into the output', () => {
    const values = new Float32Array(16 * 16).fill(5);
    const nodata = -1e6;
    for (const index of [17, 40, 41, 100, 200, 201, 217]) values[index] = nodata;
    const source: Raster = {
      data: ndarray(values, [1, 16, 16]),
      transform: [0, 1, 0, 16, 0, -1],
      crs,
      nodata,
    };
    const target = targetGridFromBounds({ minX: 0.3, minY: 0.2, maxX: 15.3, maxY: 15.7 }, 0.37, crs);
    for (const resampling of ['nearest', 'bilinear', 'cubic', 'average'] as const) {
      const warped = warpRaster(source, target, { resampling });
      for (const value of warped.data.data) expect(value === nodata || Math.abs(value - 5) < 1e-5).toBe(true);
    }
  });

  it('keeps integer types by rounding, and names unknown kernels', () => {
    const source: Raster = {
      data: ndarray(new Uint8Array([0, 255, 255, 0]), [1, 2, 2]),
      transform: [0, 1, 0, 2, 0, -1],
      crs,
      nodata: null,
    };
    const warped = warpRaster(
      source,
      { width: 1, height: 1, transform: [0.5, 1, 0, 1.5, 0, -1], crs },
      { resampling: 'bilinear' },
    );
    expect(warped.data.data).toBeInstanceOf(Uint8Array);
    expect(warped.data.get(0, 0, 0)).toBe(128);
    expect(() =>
      warpRaster(source, targetGridOfRaster(source), { resampling: 'lanczos' as ResamplingMethod }),
    ).toThrow(/warpRaster: resampling "lanczos" is unknown/);
    expect(() =>
      warpRaster(source, { ...targetGridOfRaster(source), width: 0 }, { resampling: 'nearest' }),
    ).toThrow(RangeError);
  });

  it('Keys kernel weights match the closed form (a = -0.5) and sum to one', () => {
    expect(keysCubicWeight(0)).toBe(1);
    expect(keysCubicWeight(1)).toBe(0);
    expect(keysCubicWeight(0.5)).toBeCloseTo(0.5625, 12);
    expect(keysCubicWeight(1.5)).toBeCloseTo(-0.0625, 12);
    for (const t of [0.1, 0.37, 0.8]) {
      expect(
        keysCubicWeight(t + 1) + keysCubicWeight(t) + keysCubicWeight(1 - t) + keysCubicWeight(2 - t),
      ).toBeCloseTo(1, 12);
    }
  });
});

describe('target grids', () => {
  it('builds a grid in another CRS that covers the source like gdalwarp -t_srs', async () => {
    const source = await readRaster(fixture('olinda_dem_utm25s.tif'));
    const grid = targetGridForCrs(source, 'EPSG:4326');
    expect(grid.crs.epsg).toBe(4326);
    // About 90 m in degrees near 8 degrees south; same number of pixels along the diagonal (+-2).
    expect(grid.transform[1]).toBeGreaterThan(0.0007);
    expect(grid.transform[1]).toBeLessThan(0.00095);
    expect(Math.abs(Math.hypot(grid.width, grid.height) - Math.hypot(111, 111))).toBeLessThan(4);
  });

  it('rejects empty bounds and bad resolutions', () => {
    expect(() => targetGridFromBounds({ minX: 0, minY: 0, maxX: 1, maxY: 1 }, 0, 4326)).toThrow(
      /resolution 0 is invalid/,
    );
    expect(() => targetGridFromBounds({ minX: 0, minY: 0, maxX: 1, maxY: 1 }, 5, 4326)).toThrow(
      /no whole pixel/,
    );
  });
});
