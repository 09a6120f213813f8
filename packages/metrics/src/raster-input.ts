import type ndarray from 'ndarray';

/** A 2-D array of numbers, `[rows, cols]`, as made by the `ndarray` package. */
export type Grid = ndarray.NdArray<ndarray.Data<number>>;

/** A 2-D float64 array, `[rows, cols]`: what every map-producing function here returns. */
export type Float64Grid = ndarray.NdArray<Float64Array>;

/**
 * A raster band source with the shape of `@siran/geo-io`'s `Raster`.
 *
 * @remarks
 * `data` is `[bands, rows, cols]`; `transform` is the GDAL affine geotransform
 * `[originX, pixelWidth, rowRotation, originY, columnRotation, pixelHeight]` (pixelHeight is negative
 * for north-up rasters). Declared structurally so this package needs no dependency on `@siran/geo-io`.
 */
export interface RasterLike {
  /** Cell values, `[bands, rows, cols]`. */
  readonly data: ndarray.NdArray<ndarray.Data<number>>;
  /** The value that marks missing cells, or `null` when every cell is a measurement. */
  readonly nodata: number | null;
  /** GDAL geotransform: `[originX, pixelWidth, 0, originY, 0, pixelHeight]`. */
  readonly transform: readonly [number, number, number, number, number, number];
}

/** Anything the metric functions accept as an elevation grid: a 2-D ndarray or a {@link RasterLike}. */
export type GridInput = Grid | RasterLike;

/** How invalid pixels are chosen; shared by every function that reads a grid. */
export interface ValidityOptions {
  /** Band of a {@link RasterLike} to read. Default `0`. */
  readonly band?: number;
  /**
   * Extra nodata value for plain ndarrays (a {@link RasterLike} brings its own, and both are honoured).
   * Default `null`.
   */
  readonly nodata?: number | null;
  /** Optional `[rows, cols]` mask: pixels where it is `0` are excluded. */
  readonly mask?: Grid;
}

/**
 * Tells whether a value is a {@link RasterLike} rather than a bare ndarray.
 *
 * @param input - A grid or raster.
 * @returns `true` when `input` has `data`, `nodata` and `transform` fields.
 * @example
 * ```ts
 * isRasterLike(ndarray(new Float64Array(4), [2, 2])); // false
 * ```
 */
export function isRasterLike(input: GridInput): input is RasterLike {
  const candidate = input as Partial<RasterLike>;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    'transform' in candidate &&
    'nodata' in candidate &&
    typeof (candidate.data as Grid | undefined)?.shape === 'object'
  );
}

/**
 * Cell size `[x, y]` of a raster, in map units, from its geotransform.
 *
 * @param raster - A {@link RasterLike}.
 * @returns `[|pixelWidth|, |pixelHeight|]`.
 * @throws RangeError if the transform is rotated or has a zero cell size.
 * @example
 * ```ts
 * cellSizeOf({ data, nodata: null, transform: [0, 2, 0, 0, 0, -2] }); // [2, 2]
 * ```
 */
export function cellSizeOf(raster: RasterLike): [number, number] {
  const [, width, rowRotation, , columnRotation, height] = raster.transform;
  if (rowRotation !== 0 || columnRotation !== 0) {
    throw new RangeError(
      'cellSizeOf: rotated geotransforms are not supported; expected terms 2 and 4 to be 0',
    );
  }
  if (!(Math.abs(width) > 0) || !(Math.abs(height) > 0)) {
    throw new RangeError(`cellSizeOf: cell size must be non-zero, got ${width} x ${height}`);
  }
  return [Math.abs(width), Math.abs(height)];
}
