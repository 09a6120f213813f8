import { readFileSync } from 'node:fs';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { readPointCloud } from './read-point-cloud.js';
import { resolveCrs } from './resolve-crs.js';

const fixture = (name: string) => new URL(`../test/fixtures/${name}`, import.meta.url).pathname;
type Expected = Record<string, number[] | null>;
const expected = JSON.parse(readFileSync(fixture('las-expected.json'), 'utf8')) as Record<string, Expected>;

describe('readPointCloud on LAS point formats 0-10 (values packed by numpy)', () => {
  for (let format = 0; format <= 10; format++) {
    it(`decodes point format ${format}`, async () => {
      const cloud = await readPointCloud(fixture(`synthetic_format${format}.las`));
      const reference = expected[String(format)];
      expect(cloud.header.pointFormat).toBe(format);
      expect(cloud.count).toBe(reference.x!.length);
      for (const key of ['x', 'y', 'z'] as const) {
        cloud[key].forEach((value, index) => {
          expect(value).toBeCloseTo(reference[key]![index], 9);
        });
      }
      for (const key of [
        'intensity',
        'returnNumber',
        'numberOfReturns',
        'classification',
        'gpsTime',
        'red',
        'green',
        'blue',
        'nir',
      ] as const) {
        const values = cloud[key];
        if (reference[key] === null) expect(values, key).toBeNull();
        else expect(Array.from(values ?? []), key).toEqual(reference[key]);
      }
      expect(cloud.crs?.epsg).toBe(32612);
    });
  }
});

describe('readPointCloud on LAZ', () => {
  it('reads IGN LiDAR HD (LAS 1.4, format 8, EPSG:2154): header bounds and classes', async () => {
    const cloud = await readPointCloud(fixture('ign_77055_627760.laz'));
    expect(cloud.header.version).toEqual([1, 4]);
    expect(cloud.header.pointFormat).toBe(8);
    expect(cloud.count).toBe(60653);
    expect(cloud.crs?.epsg).toBe(2154);
    expect(cloud.nir).not.toBeNull();
    const [minX, minY, minZ, maxX, maxY, maxZ] = cloud.header.bounds;
    expect(Math.min(...cloud.x)).toBeCloseTo(minX, 6);
    expect(Math.max(...cloud.x)).toBeCloseTo(maxX, 6);
    expect(Math.min(...cloud.y)).toBeCloseTo(minY, 6);
    expect(Math.max(...cloud.y)).toBeCloseTo(maxY, 6);
    expect(Math.min(...cloud.z)).toBeCloseTo(minZ, 6);
    expect(Math.max(...cloud.z)).toBeCloseTo(maxZ, 6);
    const classes = new Set(cloud.classification);
    expect([...classes].every((value) => value >= 1 && value <= 6)).toBe(true);
    expect(classes.has(2)).toBe(true);
  });

  it('reads Autzen (LAS 1.2, format 3, RGB, Oregon Lambert ft): points by return match the header', async () => {
    const bytes = readFileSync(fixture('autzen_trim.laz'));
    const cloud = await readPointCloud(new Uint8Array(bytes));
    expect(cloud.header.pointFormat).toBe(3);
    expect(cloud.red).not.toBeNull();
    expect(Math.max(...cloud.red!)).toBeGreaterThan(0);
    const byReturn = [0, 0, 0, 0, 0];
    for (const value of cloud.returnNumber) byReturn[value - 1]++;
    const header = new DataView(bytes.buffer, bytes.byteOffset);
    expect(byReturn).toEqual([0, 1, 2, 3, 4].map((index) => header.getUint32(111 + 4 * index, true)));
    // The ESRI WKT (no EPSG authority) must project like EPSG:2994.
    const lonLat = proj4(cloud.crs!.proj4, 'EPSG:4326').forward([cloud.x[0], cloud.y[0]]);
    const expected = proj4(resolveCrs(2994).proj4, 'EPSG:4326').forward([cloud.x[0], cloud.y[0]]);
    expect(Math.abs(lonLat[0] - expected[0]) + Math.abs(lonLat[1] - expected[1])).toBeLessThan(1e-7);
  });

  it('names the file for non-LAS and truncated input', async () => {
    await expect(readPointCloud(fixture('olinda_dem_utm25s.tif'))).rejects.toThrow(
      /olinda_dem_utm25s\.tif" is not a LAS\/LAZ file/,
    );
    const bytes = readFileSync(fixture('synthetic_format3.las'));
    await expect(readPointCloud(new Uint8Array(bytes.subarray(0, bytes.length - 10)))).rejects.toThrow(
      /readPointCloud: "<bytes>" is truncated/,
    );
    await expect(readPointCloud(fixture('missing.laz'))).rejects.toThrow(/missing\.laz/);
  });
});
