import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { comparisonFigureSvg, demFigureSvg } from './dem-figures.js';
import { panelFigureSvg, svgToPng } from './figure.js';
import { lineProfile } from './line-profile.js';
import { encodePng } from './png.js';
import { lineProfileChartPng, lineProfileChartSvg } from './profile-chart.js';
import type { RasterLike } from './raster-input.js';
import { renderHillshade } from './render-raster.js';

/**
 * Renders every picture of the package from the real 2 m opengeos DTM/DSM and writes them to
 * `$SIRAN_PICTURES_DIR` (default: a folder in the OS temp dir), for people to look at.
 */
const outputFolder = process.env.SIRAN_PICTURES_DIR ?? join(tmpdir(), 'siran-metrics-pictures');
const fixtures = new URL('../test/fixtures/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', fixtures), 'utf8'));
function loadFloat32(name: string) {
  const { file, shape } = manifest.arrays[name];
  const bytes = readFileSync(new URL(file, fixtures));
  return { values: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice(), shape };
}
const { transform, nodata } = manifest.opengeos;
const dtm = loadFloat32('opengeos-dtm');
const dsm = loadFloat32('opengeos-dsm');
const [rows, cols] = dtm.shape as [number, number];
const asRaster = (values: Float32Array | Float64Array, bands = 1): RasterLike => ({
  data: ndarray(values, [bands, rows, cols]),
  nodata,
  transform,
});

/** Synthetic coarse input: 8x8 block means (16 m) resampled back bilinearly. */
function coarsen(values: Float32Array, factor: number): Float64Array {
  const blockRows = Math.ceil(rows / factor);
  const blockCols = Math.ceil(cols / factor);
  const means = new Float64Array(blockRows * blockCols).fill(Number.NaN);
  for (let br = 0; br < blockRows; br++)
    for (let bc = 0; bc < blockCols; bc++) {
      let sum = 0;
      let count = 0;
      for (let r = br * factor; r < Math.min(rows, (br + 1) * factor); r++)
        for (let c = bc * factor; c < Math.min(cols, (bc + 1) * factor); c++) {
          const v = values[r * cols + c];
          if (v !== nodata) {
            sum += v;
            count++;
          }
        }
      if (count > 0) means[br * blockCols + bc] = sum / count;
    }
  const out = new Float64Array(rows * cols);
  const block = ndarray(means, [blockRows, blockCols]);
  for (let r = 0; r < rows; r++) {
    const profile = lineProfile(
      block,
      [-0.5 + 0.5 / factor, (r + 0.5) / factor - 0.5],
      [cols / factor - 0.5 - 0.5 / factor, (r + 0.5) / factor - 0.5],
      {
        samples: cols,
      },
    );
    for (let c = 0; c < cols; c++) {
      const v = profile.elevation[c];
      out[r * cols + c] =
        values[r * cols + c] === nodata
          ? nodata
          : Number.isNaN(v)
            ? means[
                Math.min(Math.floor(r / factor), blockRows - 1) * blockCols +
                  Math.min(Math.floor(c / factor), blockCols - 1)
              ]
            : v;
    }
  }
  return out;
}

/** Synthetic "prediction": coarse plus 70 % of the lost detail plus seeded noise. */
function predict(reference: Float32Array, coarse: Float64Array): Float64Array {
  let state = 12345;
  const noise = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  return Float64Array.from(reference, (v, i) =>
    v === nodata ? nodata : coarse[i] + 0.7 * (v - coarse[i]) + 0.3 * noise(),
  );
}

describe('pictures from the opengeos 2 m DEM', () => {
  mkdirSync(outputFolder, { recursive: true });
  const reference = asRaster(dtm.values);
  const coarseValues = coarsen(dtm.values, 8);
  const coarse = asRaster(coarseValues);
  const prediction = asRaster(predict(dtm.values, coarseValues));
  // Stand-in guide (no imagery exists for this site): the DSM's relief in every band, with objects
  // above ground (trees, roofs) brightened in the first band, as vegetation is in a NIR/R/G composite.
  const dsmShade = renderHillshade(asRaster(dsm.values)).image.data;
  const guideValues = new Float32Array(3 * rows * cols);
  for (let i = 0; i < rows * cols; i++) {
    const height = dtm.values[i] === nodata ? 0 : Math.min(20, Math.max(0, dsm.values[i] - dtm.values[i]));
    guideValues[i] = dsmShade[i * 4] + 6 * height;
    guideValues[rows * cols + i] = dsmShade[i * 4];
    guideValues[2 * rows * cols + i] = dsmShade[i * 4];
  }
  const guide = asRaster(guideValues, 3);

  it('writes a DEM figure, a hillshade, a comparison panel and a profile chart', async () => {
    const write = (name: string, bytes: Uint8Array) => writeFileSync(join(outputFolder, name), bytes);
    write(
      'dem.png',
      await svgToPng(demFigureSvg(reference, { title: 'opengeos DTM (2 m)', panelWidth: 512 })),
    );
    write('hillshade.png', encodePng(renderHillshade(reference).image));
    const panel = comparisonFigureSvg(
      { coarse, guide, prediction, reference },
      { title: 'Synthetic example', panelWidth: 240 },
    );
    writeFileSync(join(outputFolder, 'comparison.svg'), panel);
    write('comparison.png', await svgToPng(panel));
    const from: [number, number] = [transform[0] + 20, transform[3] - 260];
    const to: [number, number] = [transform[0] + 540, transform[3] - 260];
    const series = [
      { name: 'Prediction', profile: lineProfile(prediction, from, to, { coordinates: 'map' }) },
      { name: 'Reference', profile: lineProfile(reference, from, to, { coordinates: 'map' }) },
      { name: 'Coarse input', profile: lineProfile(coarse, from, to, { coordinates: 'map' }) },
    ];
    const options = { title: 'Profile along y = 4297758 m (west to east)' };
    writeFileSync(join(outputFolder, 'profile.svg'), await lineProfileChartSvg(series, options));
    const chart = await lineProfileChartPng(series, options);
    write('profile.png', chart);
    const decoded = decode(chart);
    expect(decoded.width).toBeGreaterThan(600);
    const panelPng = decode(
      await svgToPng(panelFigureSvg([{ title: 'x', image: renderHillshade(reference).image }])),
    );
    expect(panelPng.height).toBeGreaterThan(rows);
  });
});
