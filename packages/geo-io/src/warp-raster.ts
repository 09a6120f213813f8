import ndarray from 'ndarray';
import proj4 from 'proj4';
import { applyGeoTransform, invertGeoTransform } from './geo-transform.js';
import {
  type SourceBand,
  sampleAverage,
  sampleBilinear,
  sampleCubic,
  sampleNearest,
} from './internal/resampling.js';
import { createTypedArray, dataTypeOf, isFloatDataType } from './raster-data-type.js';
import { resolveCrs, sameCrs } from './resolve-crs.js';
import type { Raster, RasterDataType, TargetGrid } from './types.js';

/** Resampling kernels of {@link warpRaster}, named as gdalwarp's `-r`. */
export type ResamplingMethod = 'nearest' | 'bilinear' | 'cubic' | 'average';

/** Options for {@link warpRaster}. */
export interface WarpRasterOptions {
  /** The kernel; `cubic` is Keys' cubic convolution with a = -0.5. */
  readonly resampling: ResamplingMethod;
  /** Output nodata; defaults to the source's nodata, else NaN for float output, else none (0 fill). */
  readonly nodata?: number | null;
  /** Output element type; defaults to the source's (integers are rounded and clamped, like GDAL). */
  readonly dataType?: RasterDataType;
}

/** Defaults for {@link WarpRasterOptions}. */
export const DEFAULT_WARP_RASTER_OPTIONS: WarpRasterOptions = { resampling: 'nearest' };

const INTEGER_RANGES: Partial<Record<RasterDataType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

/** Maps target pixel coordinates to source pixel coordinates, writing them into `out`. */
type PointTransform = (column: number, row: number, out: Float64Array) => void;

/** Maps target pixel coordinates to source pixel coordinates. */
function pixelMapper(source: Raster, target: TargetGrid): PointTransform {
  const inverse = invertGeoTransform(source.transform);
  const targetCrs = resolveCrs(target.crs);
  const converter = sameCrs(source.crs, targetCrs) ? null : proj4(targetCrs.proj4, source.crs.proj4);
  const [t0, t1, t2, t3, t4, t5] = target.transform;
  const [i0, i1, i2, i3, i4, i5] = inverse;
  if (converter === null) {
    // The same CRS: two affine maps, without allocating a point per pixel.
    return (column, row, out) => {
      const x = t0 + column * t1 + row * t2;
      const y = t3 + column * t4 + row * t5;
      out[0] = i0 + x * i1 + y * i2;
      out[1] = i3 + x * i4 + y * i5;
    };
  }
  return (column, row, out) => {
    let [x, y] = applyGeoTransform(target.transform, column, row);
    try {
      [x, y] = converter.forward([x, y]);
    } catch {
      out[0] = Number.NaN;
      out[1] = Number.NaN;
      return;
    }
    out[0] = i0 + x * i1 + y * i2;
    out[1] = i3 + x * i4 + y * i5;
  };
}

/** The source pixel coordinates of the target pixel corners `(column, row)` for `column` in `0..width`. */
function cornerRow(mapPixel: PointTransform, width: number, row: number): [number, number][] {
  const point = new Float64Array(2);
  return Array.from({ length: width + 1 }, (_, column) => {
    mapPixel(column, row, point);
    return [point[0], point[1]];
  });
}

function checkTarget(target: TargetGrid, resampling: string): void {
  if (
    !Number.isInteger(target?.width) ||
    !Number.isInteger(target?.height) ||
    target.width < 1 ||
    target.height < 1
  ) {
    throw new RangeError(
      `warpRaster: target size ${target?.width} x ${target?.height} is invalid; expected positive integers`,
    );
  }
  if (!['nearest', 'bilinear', 'cubic', 'average'].includes(resampling)) {
    throw new RangeError(
      `warpRaster: resampling "${resampling}" is unknown; expected nearest, bilinear, cubic or average`,
    );
  }
}

/**
 * Reprojects and resamples a raster onto a target grid, the way `gdalwarp -et 0` does.
 *
 * @param raster - The source raster, `data` shaped `[bands, rows, cols]`.
 * @param target - The output grid: size, geotransform and CRS (see the target grid helpers).
 * @param options - Resampling kernel, output nodata and data type.
 * @returns A new raster on the target grid with the source's bands.
 * @throws RangeError for an invalid target size or an unknown resampling name; TypeError if a CRS cannot be resolved.
 * @remarks
 * Each target pixel centre is transformed exactly (no approximation) into the source grid; pixels
 * that fall outside the source, or whose kernel touches only nodata, become nodata. Nodata source
 * pixels never contribute: bilinear and cubic weights are renormalised over the valid taps, and
 * `average` is the area-weighted mean of the valid source pixels under the target pixel's box.
 * Kernels are not widened when downsampling; use `average` to reduce resolution.
 * @example
 * ```ts
 * const grid = targetGridForCrs(dem, resolveCrs(4326));
 * const lonLat = warpRaster(dem, grid, { resampling: 'bilinear' });
 * ```
 */
export function warpRaster(
  raster: Raster,
  target: TargetGrid,
  options: WarpRasterOptions = DEFAULT_WARP_RASTER_OPTIONS,
): Raster {
  const resampling = options.resampling ?? 'nearest';
  checkTarget(target, resampling);
  const mapPixel = pixelMapper(raster, target);
  const [bands, rows, columns] = raster.data.shape;
  const dataType = options.dataType ?? dataTypeOf(raster.data.data);
  const nodata =
    options.nodata !== undefined
      ? options.nodata
      : (raster.nodata ?? (isFloatDataType(dataType) ? Number.NaN : null));
  const fill = nodata ?? 0;
  const range = INTEGER_RANGES[dataType];
  const { width, height } = target;
  const output = createTypedArray(dataType, bands * width * height);
  const sources: SourceBand[] = Array.from({ length: bands }, (_, band) => ({
    data: raster.data.data,
    base: raster.data.offset + band * raster.data.stride[0],
    rowStride: raster.data.stride[1],
    columnStride: raster.data.stride[2],
    width: columns,
    height: rows,
    nodata: raster.nodata,
  }));
  let corners = resampling === 'average' ? cornerRow(mapPixel, width, 0) : [];
  const point = new Float64Array(2);
  for (let row = 0; row < height; row++) {
    const nextCorners = resampling === 'average' ? cornerRow(mapPixel, width, row + 1) : [];
    for (let column = 0; column < width; column++) {
      mapPixel(column + 0.5, row + 0.5, point);
      const x = point[0];
      const y = point[1];
      const inside = x >= 0 && y >= 0 && x < columns && y < rows;
      for (let band = 0; band < bands; band++) {
        let value = Number.NaN;
        if (inside) {
          if (resampling === 'nearest') value = sampleNearest(sources[band], x, y);
          else if (Number.isNaN(sampleNearest(sources[band], x, y)) && resampling !== 'average')
            value = Number.NaN;
          else if (resampling === 'bilinear') value = sampleBilinear(sources[band], x, y);
          else if (resampling === 'cubic') value = sampleCubic(sources[band], x, y);
          else {
            const [x0, y0] = corners[column];
            const [x1, y1] = nextCorners[column + 1];
            value = sampleAverage(
              sources[band],
              Math.min(x0, x1),
              Math.min(y0, y1),
              Math.max(x0, x1),
              Math.max(y0, y1),
            );
          }
        }
        if (Number.isNaN(value)) value = fill;
        else if (range) value = Math.min(range[1], Math.max(range[0], Math.round(value)));
        output[(band * height + row) * width + column] = value;
      }
    }
    corners = nextCorners;
  }
  return {
    data: ndarray(output, [bands, height, width]),
    transform: [...target.transform] as unknown as Raster['transform'],
    crs: resolveCrs(target.crs),
    nodata,
  };
}
