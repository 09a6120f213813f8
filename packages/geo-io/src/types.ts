import type { NdArray } from 'ndarray';

/**
 * GDAL's affine geotransform: `[originX, pixelWidth, rowRotation, originY, columnRotation, pixelHeight]`.
 *
 * @remarks
 * The map coordinates of the top-left corner of pixel `(column, row)` are
 * `x = originX + column * pixelWidth + row * rowRotation` and
 * `y = originY + column * columnRotation + row * pixelHeight`; `pixelHeight` is negative for
 * north-up rasters. The origin is the outer corner of the first pixel (pixel-is-area).
 */
export type GeoTransform = readonly [number, number, number, number, number, number];

/**
 * A coordinate reference system, as produced by {@link resolveCrs}.
 *
 * @remarks
 * `proj4` is always set and is what the transforms use; `epsg` and `wkt` are set when known.
 */
export interface Crs {
  /** A proj4 definition string (or a WKT string that proj4 accepts). */
  readonly proj4: string;
  /** The EPSG code, or `null` when the CRS has no known code. */
  readonly epsg: number | null;
  /** OGC WKT of the CRS, or `null` when none was given. */
  readonly wkt: string | null;
  /** A human-readable name (EPSG name, WKT name or citation), or `null`. */
  readonly name: string | null;
}

/** The element types a {@link Raster} may hold; the names follow the typed arrays. */
export type RasterDataType =
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'float32'
  | 'float64';

/** The typed arrays that back a {@link Raster}. */
export type RasterTypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * A georeferenced raster held in memory.
 *
 * @remarks
 * `data` has shape `[bands, rows, cols]` (band-sequential); values keep the file's element type.
 * `nodata` applies to every band (GDAL's per-dataset `GDAL_NODATA` convention); it may be `NaN`.
 */
export interface Raster {
  /** Pixel values, shape `[bands, rows, cols]`. */
  readonly data: NdArray<RasterTypedArray>;
  /** Affine transform from pixel to map coordinates. */
  readonly transform: GeoTransform;
  /** The coordinate reference system of `transform`. */
  readonly crs: Crs;
  /** The value that marks missing pixels, or `null` when every pixel is valid. */
  readonly nodata: number | null;
}

/** A rectangle of pixels: `x` is the first column, `y` the first row. */
export interface PixelWindow {
  /** First column (0-based). */
  readonly x: number;
  /** First row (0-based). */
  readonly y: number;
  /** Number of columns. */
  readonly width: number;
  /** Number of rows. */
  readonly height: number;
}

/** A raster grid without values: the target of {@link warpRaster}. */
export interface TargetGrid {
  /** Number of columns. */
  readonly width: number;
  /** Number of rows. */
  readonly height: number;
  /** Affine transform of the grid. */
  readonly transform: GeoTransform;
  /** Coordinate reference system of the grid. */
  readonly crs: Crs;
}

/** An axis-aligned rectangle in map units. */
export interface Bounds {
  /** Smallest x (west for north-up grids). */
  readonly minX: number;
  /** Smallest y (south). */
  readonly minY: number;
  /** Largest x (east). */
  readonly maxX: number;
  /** Largest y (north). */
  readonly maxY: number;
}

/** What a raster file is, without its pixels: see `readRasterInfo`. */
export interface RasterInfo {
  /** Number of columns. */
  readonly width: number;
  /** Number of rows. */
  readonly height: number;
  /** Number of bands. */
  readonly bandCount: number;
  /** Element type of the bands. */
  readonly dataType: RasterDataType;
  /** Affine transform of the whole raster. */
  readonly transform: GeoTransform;
  /** Coordinate reference system. */
  readonly crs: Crs;
  /** Nodata value, or `null`. */
  readonly nodata: number | null;
  /** Dataset metadata of a GeoTIFF (its GDAL_METADATA items, as `gdalinfo` lists them); empty for other files. */
  readonly metadata: Readonly<Record<string, string>>;
}
