import { readRaster } from '@siran/geo-io';
import { describe, expect, it } from 'vitest';
import { readSourceBands, SENTINEL2_ABERYSTWYTH_BANDS } from './raster-io.js';

const range = (data: Float32Array) => {
  let [minimum, maximum, sum] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0];
  for (const value of data) {
    minimum = Math.min(minimum, value);
    maximum = Math.max(maximum, value);
    sum += value;
  }
  return { minimum, maximum, mean: sum / data.length };
};

describe('shipped Sentinel-2 scene', () => {
  const file = new URL('../data/S2_Aberystwyth_20m.tif', import.meta.url).pathname;

  it('holds five 20 m bands on the British National Grid', async () => {
    const raster = await readRaster(file);
    expect(raster.data.shape).toEqual([5, 348, 352]);
    expect(raster.transform[1]).toBe(20);
    expect(raster.transform[5]).toBe(-20);
    expect(raster.crs.name).toBe('OSGB36 / British National Grid');
    expect(raster.crs.proj4).toMatch(/\+proj=tmerc \+lat_0=49 \+lon_0=-2 \+k_0=0\.9996012717/);
  });

  it('reads NIR (B8), red (B4), green (B3) and SWIR (B11) as real reflectances x 1000', async () => {
    const source = await readSourceBands(file, SENTINEL2_ABERYSTWYTH_BANDS, 4);
    const [nir, red, green] = source.bands.map((band) => range(band.data));
    const swir = range(source.target.data);
    for (const band of [...source.bands, source.target]) expect([band.rows, band.cols]).toEqual([348, 352]);
    // The file's exact extremes (gdalinfo -stats), then the signature of a mostly vegetated scene: NIR bright,
    // SWIR between red and NIR.
    expect([green.minimum, green.maximum]).toEqual([23, 704]);
    expect([red.minimum, red.maximum]).toEqual([16, 727]);
    expect([nir.minimum, nir.maximum]).toEqual([15, 860]);
    expect([swir.minimum, swir.maximum]).toEqual([9, 638]);
    expect(nir.mean).toBeGreaterThan(400);
    expect(swir.mean).toBeGreaterThan(red.mean);
    expect(swir.mean).toBeLessThan(nir.mean);
  });
});
