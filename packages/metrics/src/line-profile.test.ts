import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { lineProfile } from './line-profile.js';
import type { RasterLike } from './raster-input.js';

describe('lineProfile', () => {
  // z = 3 col + 2 row + 1 is reproduced exactly by bilinear interpolation.
  const rows = 6;
  const cols = 8;
  const grid = ndarray(
    Float64Array.from({ length: rows * cols }, (_, i) => 3 * (i % cols) + 2 * Math.floor(i / cols) + 1),
    [rows, cols],
  );

  it('interpolates a bilinear surface exactly in pixel coordinates', () => {
    const profile = lineProfile(grid, [0.5, 0.25], [6.5, 4.75], { samples: 13 });
    for (let i = 0; i < 13; i++) {
      expect(profile.elevation[i]).toBeCloseTo(3 * profile.column[i] + 2 * profile.row[i] + 1, 12);
    }
    expect(profile.distance[12]).toBeCloseTo(Math.hypot(6, 4.5), 12);
    expect(lineProfile(grid, [0, 0], [7, 0]).elevation.length).toBe(8);
  });

  it('converts map coordinates through the geotransform and reports distance in map units', () => {
    const raster: RasterLike = {
      data: ndarray(grid.data, [1, rows, cols]),
      nodata: null,
      transform: [100, 2, 0, 50, 0, -2],
    };
    // Centre of pixel (col 1, row 2) is x = 100 + 1.5 * 2 = 103, y = 50 - 2.5 * 2 = 45.
    const profile = lineProfile(raster, [103, 45], [111, 45], { coordinates: 'map', samples: 5 });
    expect(Array.from(profile.column)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(profile.elevation)).toEqual([8, 11, 14, 17, 20]);
    expect(profile.distance[4]).toBe(8);
  });

  it('gives NaN outside the grid and next to nodata', () => {
    const holed = ndarray(Float64Array.from(grid.data), [rows, cols]);
    holed.set(2, 3, -1);
    const profile = lineProfile(holed, [-1, 2], [7, 2], { samples: 9, nodata: -1 });
    expect(Number.isNaN(profile.elevation[0])).toBe(true);
    expect(Number.isNaN(profile.elevation[4])).toBe(true);
    expect(profile.elevation[3]).toBe(3 * 2 + 2 * 2 + 1);
    expect(profile.elevation[8]).toBe(3 * 7 + 2 * 2 + 1);
  });

  it('rejects map coordinates without a transform and too few samples', () => {
    expect(() => lineProfile(grid, [0, 0], [1, 1], { coordinates: 'map' })).toThrow(
      /lineProfile: coordinates 'map'/,
    );
    expect(() => lineProfile(grid, [0, 0], [1, 1], { samples: 1 })).toThrow(
      /samples must be an integer >= 2/,
    );
  });
});
