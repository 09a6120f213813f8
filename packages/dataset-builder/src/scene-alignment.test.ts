import { type Crs, type GeoTransform, resolveCrs } from '@siran/geo-io';
import ndarray from 'ndarray';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { rasterSourceFromRaster } from './raster-source.js';
import { sceneTargetGrid } from './scene-grid.js';
import { planScene, readSceneLayers, type SceneSources } from './scene-layers.js';

// A feature placed at a known UTM 31N position near Montpellier; every layer is generated in its own CRS
// by evaluating closed-form fields at its pixel centres transformed to UTM with proj4.
const utm = resolveCrs('EPSG:32631');
const feature = { x: 574100.5, y: 4828899.5 };
const area = { minX: 573990, minY: 4828790, maxX: 574210, maxY: 4829010 };
const bump = (x: number, y: number, sigma: number) =>
  Math.exp(-((x - feature.x) ** 2 + (y - feature.y) ** 2) / (2 * sigma * sigma));
const referenceField = (x: number, y: number) => 50 + 20 * bump(x, y, 8);
const coarseField = (x: number, y: number) => 40 + 30 * bump(x, y, 30);
const nirField = (x: number, y: number) => 100 + 1000 * bump(x, y, 6);

/** A raster in `crs` at `resolution` covering `area` (given in UTM), bands evaluated by `fields`. */
function generate(crs: Crs, resolution: number, fields: Array<(x: number, y: number) => number>) {
  const toCrs = proj4(utm.proj4, crs.proj4);
  const corners = [
    [area.minX, area.minY],
    [area.minX, area.maxY],
    [area.maxX, area.minY],
    [area.maxX, area.maxY],
  ].map((corner) => toCrs.forward(corner as [number, number]));
  const minX = Math.min(...corners.map((c) => c[0]!)) - 4 * resolution;
  const maxX = Math.max(...corners.map((c) => c[0]!)) + 4 * resolution;
  const minY = Math.min(...corners.map((c) => c[1]!)) - 4 * resolution;
  const maxY = Math.max(...corners.map((c) => c[1]!)) + 4 * resolution;
  const width = Math.ceil((maxX - minX) / resolution);
  const height = Math.ceil((maxY - minY) / resolution);
  const values = new Float32Array(fields.length * width * height);
  for (let row = 0; row < height; row += 1) {
    for (let column = 0; column < width; column += 1) {
      const [x, y] = toCrs.inverse([minX + (column + 0.5) * resolution, maxY - (row + 0.5) * resolution]) as [
        number,
        number,
      ];
      fields.forEach((field, band) => {
        values[(band * height + row) * width + column] = field(x, y);
      });
    }
  }
  const transform: GeoTransform = [minX, resolution, 0, maxY, 0, -resolution];
  return rasterSourceFromRaster(
    { data: ndarray(values, [fields.length, height, width]), transform, crs, nodata: null },
    crs.name ?? 'generated',
  );
}

/** Weighted centroid (column, row) of `values - baseline` over a square around `(column, row)`. */
function centroid(
  values: Float32Array,
  width: number,
  column: number,
  row: number,
  radius: number,
  baseline: number,
) {
  let sum = 0;
  let sumColumn = 0;
  let sumRow = 0;
  for (let r = row - radius; r <= row + radius; r += 1) {
    for (let c = column - radius; c <= column + radius; c += 1) {
      const w = values[r * width + c]! - baseline;
      sum += w;
      sumColumn += w * c;
      sumRow += w * r;
    }
  }
  return [sumColumn / sum, sumRow / sum];
}

describe('scene alignment across CRSs and resolutions', () => {
  it('puts a feature at the same target pixel in the reference, coarse and guide layers', async () => {
    const scene: SceneSources = {
      name: 'three-crs',
      // Reference: Web Mercator, 0.7 m (about 0.5 m on the ground here), metres.
      reference: generate(resolveCrs('EPSG:3857'), 0.7, [referenceField]),
      // Coarse: geographic degrees, about 8 x 11 m, heights in international feet.
      coarse: generate(resolveCrs('EPSG:4326'), 1e-4, [(x, y) => coarseField(x, y) / 0.3048]),
      coarseVerticalUnit: 'foot',
      // Guide: Lambert-93, 0.8 m, four bands; the composite takes bands 3, 1, 0.
      guide: generate(resolveCrs('EPSG:2154'), 0.8, [() => 30, () => 60, () => 0, nirField]),
      guideBands: [3, 1, 0],
    };
    const grid = sceneTargetGrid(scene.name, scene.guide, [scene.reference, scene.coarse!], {
      crs: 'EPSG:32631',
      resolution: 1,
    });
    const plan = planScene(scene, grid);
    expect(plan.resampling).toEqual({ reference: 'average', guide: 'bilinear' });
    expect(plan.verticalScale.coarse).toBeCloseTo(0.3048, 12);
    const [x0, , , y0] = grid.transform;
    const column = Math.round(feature.x - x0 - 0.5);
    const row = Math.round(y0 - feature.y - 0.5);
    expect(Math.abs(feature.x - x0 - 0.5 - column)).toBeLessThan(1e-6);
    const layers = await readSceneLayers(scene, plan, {
      row: 0,
      column: 0,
      width: grid.width,
      height: grid.height,
    });
    const width = grid.width;
    const [rc, rr] = centroid(layers.reference, width, column, row, 16, 50);
    const [cc, cr] = centroid(layers.coarse, width, column, row, 60, 40);
    const [gc, gr] = centroid(layers.guide, width, column, row, 14, 100);
    for (const [c, r] of [
      [rc, rr],
      [cc, cr],
      [gc, gr],
    ]) {
      expect(Math.abs(c! - column)).toBeLessThan(0.25);
      expect(Math.abs(r! - row)).toBeLessThan(0.25);
    }
    // values against the closed forms at a few pixel centres (metres after the feet conversion)
    for (const [dc, dr] of [
      [0, 0],
      [5, -3],
      [-20, 12],
    ]) {
      const x = x0 + column + dc + 0.5;
      const y = y0 - (row + dr + 0.5);
      const index = (row + dr) * width + column + dc;
      expect(layers.reference[index]).toBeCloseTo(referenceField(x, y), 0);
      expect(Math.abs(layers.coarse[index]! - coarseField(x, y))).toBeLessThan(0.5);
      expect(Math.abs(layers.guide[index]! - nirField(x, y))).toBeLessThan(25);
    }
    // channel order: NIR, then red (band 1 = 60), then green (band 0 = 30)
    expect(layers.guide[width * grid.height + row * width + column]).toBeCloseTo(60, 3);
    expect(layers.guide[2 * width * grid.height + row * width + column]).toBeCloseTo(30, 3);
  });
});
