import { readFileSync } from 'node:fs';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import type { RasterLike } from './raster-input.js';
import { aspect, curvature, hillshade, slope } from './terrain-derivatives.js';

const fixtures = new URL('../test/fixtures/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', fixtures), 'utf8'));
function load(name: string) {
  const { file, shape } = manifest.arrays[name];
  const bytes = readFileSync(new URL(file, fixtures));
  return ndarray(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8).slice(), shape);
}
type Transform = RasterLike['transform'];
const dem = load('dtm-reference');
function raster(transform: Transform): RasterLike {
  return { data: ndarray(dem.data, [1, 64, 64]), nodata: -9999, transform };
}
const cases = manifest.gdaldem as { case: string; transform: Transform; name: string; array: string }[];

/** Largest difference on pixels where gdaldem wrote a value; also checks the NaN pattern agrees. */
function compare(
  actual: ndarray.NdArray<Float64Array>,
  expected: ndarray.NdArray<Float64Array>,
  circular = false,
) {
  let worst = 0;
  let compared = 0;
  for (let i = 0; i < expected.size; i++) {
    const want = expected.data[i];
    const got = actual.data[i];
    expect(Number.isNaN(got)).toBe(Number.isNaN(want));
    if (Number.isNaN(want)) continue;
    let difference = Math.abs(got - want);
    if (circular) difference = Math.min(difference, 360 - difference);
    worst = Math.max(worst, difference);
    compared++;
  }
  return { worst, compared };
}

describe('terrain derivatives against gdaldem', () => {
  for (const entry of cases) {
    const input = raster(entry.transform);
    const expected = load(entry.array);
    it(`${entry.case} ${entry.name}`, () => {
      if (entry.name.startsWith('slope')) {
        const units = entry.name.endsWith('percent') ? 'percent' : 'degrees';
        const { worst, compared } = compare(slope(input, { units }), expected);
        expect(compared).toBe(62 * 62);
        // gdaldem differentiates in float32
        expect(worst).toBeLessThan(units === 'degrees' ? 1e-4 : 1e-3);
      } else if (entry.name === 'aspect') {
        if (entry.case === 'rectangular') {
          // gdaldem ignores the cell sizes for aspect; ours uses them, so only the square case must agree.
          return;
        }
        const ours = aspect(input);
        // gdaldem differentiates in float32, which moves the aspect of nearly flat cells by ~0.01 degree.
        expect(compare(ours, expected, true).worst).toBeLessThan(0.02);
        const steep = slope(input).data;
        for (let i = 0; i < steep.length; i++) {
          if (!(steep[i] > 1)) continue;
          const difference = Math.abs(ours.data[i] - expected.data[i]);
          expect(Math.min(difference, 360 - difference)).toBeLessThan(3e-3);
        }
      } else {
        const [, azimuth, altitude, zFactor] = entry.name.match(/az(\d+)-alt(\d+)-z(\d+)/) ?? [];
        const options = azimuth ? { azimuth: +azimuth, altitude: +altitude, zFactor: +zFactor } : {};
        const ours = hillshade(input, options);
        // gdaldem rounds to bytes
        expect(compare(ours, expected).worst).toBeLessThanOrEqual(0.5 + 1e-9);
      }
    });
  }
});

describe('terrain derivatives on closed forms', () => {
  const size = 9;
  const cell = 2;
  /** Grid from a function of map coordinates x (east) and y (north); row 0 is the north edge. */
  function surface(f: (x: number, y: number) => number) {
    const data = new Float64Array(size * size);
    for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) data[r * size + c] = f(c * cell, -r * cell);
    return ndarray(data, [size, size]);
  }

  it('gives the exact slope and aspect of tilted planes', () => {
    // Rises to the east at 0.5 m/m: slope atan(0.5), facing west (270 degrees).
    const east = surface((x) => 0.5 * x);
    expect(slope(east, { cellSize: cell }).get(4, 4)).toBeCloseTo((Math.atan(0.5) * 180) / Math.PI, 12);
    expect(slope(east, { cellSize: cell, units: 'percent' }).get(4, 4)).toBeCloseTo(50, 12);
    expect(aspect(east, { cellSize: cell }).get(4, 4)).toBeCloseTo(270, 12);
    // Rises to the north: faces south (180).
    expect(
      aspect(
        surface((_, y) => y),
        { cellSize: cell },
      ).get(4, 4),
    ).toBeCloseTo(180, 12);
    // Rises to the south-west: faces north-east (45).
    expect(
      aspect(
        surface((x, y) => -x - y),
        { cellSize: cell },
      ).get(4, 4),
    ).toBeCloseTo(45, 12);
    expect(
      Number.isNaN(
        aspect(
          surface(() => 3),
          { cellSize: cell },
        ).get(4, 4),
      ),
    ).toBe(true);
  });

  it('lights a plane facing the sun with the cosine of the incidence angle', () => {
    // A plane facing north-west (rising to the south-east) at 45 degrees, sun from 315 at 45 degrees.
    const plane = surface((x, y) => (x - y) * Math.SQRT1_2);
    const shade = hillshade(plane, { cellSize: cell }).get(4, 4);
    // The normal is tilted 45 degrees towards the sun: incidence 0 => 255.
    expect(shade).toBeCloseTo(255, 10);
    const away = hillshade(plane, { cellSize: cell, azimuth: 135, altitude: 30 }).get(4, 4);
    expect(away).toBe(1);
    const flat = hillshade(
      surface(() => 0),
      { cellSize: cell, altitude: 30 },
    ).get(4, 4);
    expect(flat).toBeCloseTo(1 + 254 * Math.sin(Math.PI / 6), 12);
  });

  it('gives the curvature of a paraboloid dome and a bowl', () => {
    // z = -k (x'^2 + y'^2) around a centre: plan curvature 1/radius, profile 2k/(1+4k^2 rho^2)^1.5.
    const k = 0.05;
    const centreX = 2 * cell;
    const centreY = -4 * cell;
    const dome = surface((x, y) => -k * ((x - centreX) ** 2 + (y - centreY) ** 2));
    const rho = 2 * cell; // pixel (4, 4) is two cells east of the centre
    expect(curvature(dome, { cellSize: cell, kind: 'plan' }).get(4, 4)).toBeCloseTo(1 / rho, 12);
    expect(curvature(dome, { cellSize: cell }).get(4, 4)).toBeCloseTo(
      (2 * k) / (1 + 4 * k * k * rho * rho) ** 1.5,
      12,
    );
    const bowl = surface((x, y) => k * ((x - centreX) ** 2 + (y - centreY) ** 2));
    expect(curvature(bowl, { cellSize: cell, kind: 'plan' }).get(4, 4)).toBeCloseTo(-1 / rho, 12);
    // A saddle z = x*y along its axes has zero profile curvature where the gradient runs along a ridge line.
    const cylinder = surface((x) => -k * (x - centreX) ** 2);
    expect(curvature(cylinder, { cellSize: cell, kind: 'plan' }).get(4, 4)).toBeCloseTo(0, 12);
  });

  it('keeps the shape, NaNs the border and the neighbours of nodata', () => {
    const grid = surface((x, y) => x + 2 * y);
    grid.set(4, 4, -9999);
    const result = slope(grid, { cellSize: cell, nodata: -9999 });
    expect(result.shape).toEqual([size, size]);
    let nanCount = 0;
    for (let i = 0; i < result.size; i++) if (Number.isNaN(result.data[i])) nanCount++;
    expect(nanCount).toBe(size * 4 - 4 + 9);
  });

  it('requires a cell size for bare ndarrays and validates options', () => {
    expect(() => slope(dem)).toThrow(/slope: cellSize is required/);
    expect(() => slope(dem, { cellSize: -1 })).toThrow(/slope: cellSize must be positive/);
    expect(() => hillshade(dem, { cellSize: 1, altitude: 100 })).toThrow(/hillshade: expected altitude/);
    expect(() => curvature(dem, { cellSize: 1, kind: 'mean' as 'plan' })).toThrow(/curvature: kind must be/);
    expect(() => slope(ndarray(new Float64Array(8), [2, 2, 2]), { cellSize: 1 })).toThrow(/must be 2-D/);
  });
});
