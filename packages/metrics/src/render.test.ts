import { decode } from 'fast-png';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { DIVERGING_RAMP, GREY_RAMP, rampLookupTable, sampleRamp, TERRAIN_RAMP } from './color-ramp.js';
import { comparisonFigureSvg, demFigureSvg } from './dem-figures.js';
import { panelFigureSvg, svgToPng } from './figure.js';
import { encodePng, pngDataUrl } from './png.js';
import { lineProfileChartSvg } from './profile-chart.js';
import { renderGuide } from './render-guide.js';
import { colorizeRaster, percentileOf, renderErrorMap, renderHillshade } from './render-raster.js';

const pixel = (data: ArrayLike<number>, index: number) =>
  Array.from({ length: 4 }, (_, c) => data[index * 4 + c]);

describe('colour ramps', () => {
  it('interpolate linearly between stops and clamp outside [0, 1]', () => {
    expect(sampleRamp(GREY_RAMP, 0.5)).toEqual([128, 128, 128]);
    expect(sampleRamp(TERRAIN_RAMP, -1)).toEqual(TERRAIN_RAMP[0][1]);
    expect(sampleRamp(DIVERGING_RAMP, 0.5)).toEqual([247, 247, 247]);
    expect(sampleRamp(DIVERGING_RAMP, 0.1)).toEqual([36, 98, 146]);
    expect(Array.from(rampLookupTable(GREY_RAMP, 256).subarray(3 * 200, 3 * 201))).toEqual([200, 200, 200]);
    expect(() => sampleRamp(GREY_RAMP, Number.NaN)).toThrow(/sampleRamp: position is NaN/);
  });
});

describe('raster rendering', () => {
  const grid = ndarray(Float64Array.of(0, 25, 50, 100, -9999, 75), [2, 3]);

  it('colours values along the ramp and makes nodata transparent', () => {
    const { image, minimum, maximum } = colorizeRaster(grid, { ramp: GREY_RAMP, nodata: -9999 });
    expect([minimum, maximum]).toEqual([0, 100]);
    expect(pixel(image.data, 0)).toEqual([0, 0, 0, 255]);
    expect(pixel(image.data, 2)).toEqual([128, 128, 128, 255]);
    expect(pixel(image.data, 3)).toEqual([255, 255, 255, 255]);
    expect(pixel(image.data, 4)[3]).toBe(0);
    const clipped = colorizeRaster(grid, { ramp: GREY_RAMP, nodata: -9999, minimum: 50, maximum: 75 });
    expect(pixel(clipped.image.data, 1)).toEqual([0, 0, 0, 255]);
    expect(pixel(clipped.image.data, 3)).toEqual([255, 255, 255, 255]);
    expect(() => colorizeRaster(ndarray([Number.NaN], [1, 1]))).toThrow(
      /colorizeRaster: every pixel is nodata/,
    );
  });

  it('computes percentiles like numpy (linear interpolation)', () => {
    expect(percentileOf(Float64Array.of(4, 1, 3, 2, Number.NaN), 50)).toBe(2.5);
    expect(percentileOf(Float64Array.of(0, 10), 98)).toBeCloseTo(9.8, 12);
  });

  it('centres the error ramp on zero', () => {
    const reference = ndarray(Float64Array.of(10, 10, 10, 10), [2, 2]);
    const prediction = ndarray(Float64Array.of(10, 12, 8, 11), [2, 2]);
    const { image, minimum, maximum } = renderErrorMap(prediction, reference, { limit: 2 });
    expect([minimum, maximum]).toEqual([-2, 2]);
    expect(pixel(image.data, 0)).toEqual([247, 247, 247, 255]);
    expect(pixel(image.data, 1)).toEqual([...DIVERGING_RAMP[6][1], 255]);
    expect(pixel(image.data, 2)).toEqual([...DIVERGING_RAMP[0][1], 255]);
  });

  it('stretches each guide band between its percentiles', () => {
    const values = new Float64Array(3 * 101);
    for (let i = 0; i < 101; i++) {
      values[i] = i;
      values[101 + i] = 1000 + 10 * i;
      values[202 + i] = 5;
    }
    const image = renderGuide(ndarray(values, [3, 1, 101]), { bands: [1, 0, 2] });
    expect(pixel(image.data, 2)).toEqual([0, 0, 0, 255]);
    expect(pixel(image.data, 98)).toEqual([255, 255, 0, 255]);
    expect(pixel(image.data, 50)).toEqual([128, 128, 0, 255]);
    expect(() => renderGuide(ndarray(values, [3, 1, 101]), { bands: [0, 1, 3] })).toThrow(
      /band 3 is out of range/,
    );
  });

  it('renders a hillshade of a flat DEM as the sine of the sun altitude', () => {
    const flat = ndarray(new Float64Array(25).fill(3), [5, 5]);
    const { image } = renderHillshade(flat, { cellSize: 1 });
    const expected = Math.round(((1 + 254 * Math.SQRT1_2) / 255) * 255);
    expect(pixel(image.data, 12)).toEqual([expected, expected, expected, 255]);
    expect(pixel(image.data, 0)[3]).toBe(0);
  });

  it('encodes PNGs that decode to the same pixels', () => {
    const { image } = colorizeRaster(grid, { nodata: -9999 });
    const decoded = decode(encodePng(image));
    expect([decoded.width, decoded.height, decoded.channels]).toEqual([3, 2, 4]);
    expect(Array.from(decoded.data)).toEqual(Array.from(image.data));
    expect(pngDataUrl(image)).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    expect(() => encodePng({ width: 2, height: 2, data: new Uint8ClampedArray(3) })).toThrow(
      /encodePng: expected 16 bytes/,
    );
  });
});

describe('figures', () => {
  const rows = 24;
  const dem = ndarray(
    Float64Array.from({ length: rows * rows }, (_, i) => 100 + (i % rows) + 0.5 * Math.floor(i / rows)),
    [rows, rows],
  );
  const prediction = ndarray(
    Float64Array.from(dem.data, (v, i) => v + Math.sin(i)),
    [rows, rows],
  );

  it('lays out titled panels with colour bars in metres', () => {
    const svg = comparisonFigureSvg(
      { coarse: dem, prediction, reference: dem },
      { title: 'A & B', cellSize: 1 },
    );
    for (const text of [
      'Coarse input',
      'Prediction',
      'Reference',
      'Error (prediction − reference)',
      'A &#38; B',
      '>m<',
    ]) {
      expect(svg).toContain(text);
    }
    expect(svg.match(/<image /g)).toHaveLength(4);
    expect(svg).toContain('>110<');
    expect(demFigureSvg(dem, { title: 'DEM' })).toContain('>DEM<');
    expect(() => panelFigureSvg([])).toThrow(/panelFigureSvg: expected at least one panel/);
  });

  it('renders SVG text to PNG with the bundled font, no system font needed', async () => {
    const svg = panelFigureSvg([{ title: 'WWWWWWWW', image: colorizeRaster(dem).image }], {
      panelWidth: 200,
    });
    const png = decode(await svgToPng(svg));
    expect(png.width).toBe(232);
    // The title row holds dark glyph pixels.
    let dark = 0;
    for (let y = 16; y < 36; y++)
      for (let x = 16; x < 216; x++) if (png.data[(y * png.width + x) * png.channels] < 100) dark++;
    expect(dark).toBeGreaterThan(50);
  });

  it('draws a line-profile chart with Vega-Lite', async () => {
    const profile = {
      distance: Float64Array.of(0, 1, 2, 3),
      elevation: Float64Array.of(1, 2, Number.NaN, 4),
    };
    const svg = await lineProfileChartSvg(
      [
        { name: 'Prediction', profile },
        { name: 'Reference', profile },
      ],
      { title: 'Transect', distanceUnit: 'm' },
    );
    for (const text of [
      'Transect',
      'Prediction',
      'Reference',
      'Elevation (m)',
      'Distance along the profile (m)',
    ]) {
      expect(svg).toContain(text);
    }
    expect(svg).toContain('#d62728');
    await expect(lineProfileChartSvg([])).rejects.toThrow(/expected at least one series/);
  });
});
