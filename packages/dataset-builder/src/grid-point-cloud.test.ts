import type { Crs } from '@siran/geo-io';
import { describe, expect, it } from 'vitest';
import { gridPointCloud } from './grid-point-cloud.js';

const crs: Crs = {
  proj4: '+proj=utm +zone=31 +datum=WGS84 +units=m +no_defs',
  epsg: 32631,
  wkt: null,
  name: null,
};

describe('gridPointCloud', () => {
  it('takes the highest return for the DSM and the ground mean for the DTM, on a snapped grid', () => {
    const cloud = {
      x: [10.2, 10.7, 11.4, 10.1, 11.9, 11.2],
      y: [21.8, 21.3, 21.6, 20.4, 20.1, 20.6],
      z: [5, 9, 7, 2, 3, 4],
      classification: [2, 5, 2, 2, 7, 2],
      crs,
    };
    const result = gridPointCloud(cloud, { cellSize: 1, fill: false });
    expect(result.dsm.transform).toEqual([10, 1, 0, 22, 0, -1]);
    expect(result.dsm.data.shape).toEqual([1, 2, 2]);
    // cell (0,0): points 0 (ground 5) and 1 (veg 9); (0,1): point 2 ground 7; (1,0): point 3 ground 2;
    // (1,1): point 4 is noise (class 7, left out of the DSM), point 5 ground 4.
    expect(Array.from(result.dsm.data.data as Float32Array)).toEqual([9, 7, 2, 4]);
    expect(Array.from(result.dtm!.data.data as Float32Array)).toEqual([5, 7, 2, 4]);
    expect(result.dsmCoverage).toBe(1);
    expect(result.dtmCoverage).toBe(1);
  });

  it('reports coverage before filling, converts feet, and has no DTM without ground points', () => {
    const cloud = { x: [0.5, 2.5], y: [2.5, 0.5], z: [10, 20], classification: [1, 1], crs };
    const result = gridPointCloud(cloud, { cellSize: 1, heightScale: 0.3048 });
    expect(result.dsm.data.shape).toEqual([1, 3, 3]);
    expect(result.dsmCoverage).toBeCloseTo(2 / 9, 12);
    expect(result.dtm).toBeNull();
    expect(result.dtmCoverage).toBe(0);
    expect(result.dsm.data.get(0, 0, 0)).toBeCloseTo(3.048, 5);
    // filled: the centre is equidistant from both points
    expect(result.dsm.data.get(0, 1, 1)).toBeCloseTo((3.048 + 6.096) / 2, 5);
  });

  it('rejects clouds without CRS or points', () => {
    expect(() =>
      gridPointCloud({ x: [1], y: [1], z: [1], classification: [2], crs: null }, { cellSize: 1 }),
    ).toThrow(TypeError);
    expect(() => gridPointCloud({ x: [], y: [], z: [], classification: [], crs }, { cellSize: 1 })).toThrow(
      /empty/,
    );
  });
});
