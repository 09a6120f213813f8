import ndarray from 'ndarray';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { evaluateDem } from './evaluate-dem.js';
import { cellSizeOf, isRasterLike, type RasterLike } from './raster-input.js';

/** The shape of `@siran/geo-io`'s `Raster`, restated here so the check needs no dependency on it. */
interface GeoIoRaster {
  readonly data: ndarray.NdArray<
    Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array
  >;
  readonly transform: readonly [number, number, number, number, number, number];
  readonly crs: { readonly epsg: number | null; readonly wkt: string };
  readonly nodata: number | null;
}

describe('raster inputs', () => {
  it('accept geo-io rasters structurally', () => {
    expectTypeOf<GeoIoRaster>().toExtend<RasterLike>();
    const raster: GeoIoRaster = {
      data: ndarray(
        new Int16Array(2 * 12 * 12).map((_, i) => i % 7),
        [2, 12, 12],
      ),
      transform: [0, 30, 0, 0, 0, -30],
      crs: { epsg: 32633, wkt: '' },
      nodata: 6,
    };
    expect(isRasterLike(raster)).toBe(true);
    expect(isRasterLike(raster.data)).toBe(false);
    expect(cellSizeOf(raster)).toEqual([30, 30]);
    const table = evaluateDem(raster, raster, { band: 1, dataRange: 10 });
    expect(table.rmse).toBe(0);
    let nodataCount = 0;
    for (let i = 144; i < 288; i++) if (i % 7 === 6) nodataCount++;
    expect(table.validPixelCount).toBe(144 - nodataCount);
    // Every 11x11 window holds a nodata pixel: SSIM is undefined, the other metrics are not.
    expect(table.ssim).toBeNaN();
    expect(table.slopeRmse).toBeNaN();
  });

  it('reject rotated transforms', () => {
    const rotated: RasterLike = {
      data: ndarray(new Float32Array(4), [1, 2, 2]),
      nodata: null,
      transform: [0, 1, 0.5, 0, 0, -1],
    };
    expect(() => cellSizeOf(rotated)).toThrow(/cellSizeOf: rotated geotransforms are not supported/);
  });
});
