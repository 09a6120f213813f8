import { type Crs, type GeoTransform, type Raster, readRaster, writeRaster } from '@siran/geo-io';
import ndarray from 'ndarray';
import type { BandGrid } from './resample.js';

/** 1-based band numbers of a multispectral file. */
export interface SourceBandNumbers {
  readonly nir: number;
  readonly red: number;
  readonly green: number;
  /** The band to synthesise (e.g. SWIR). */
  readonly target: number;
}

/** Landsat 7 ETM+ files holding bands 1-5 and 7 (as the shipped Olinda scene): NIR 4, red 3, green 2, SWIR 5. */
export const LANDSAT7_ETM_BANDS: SourceBandNumbers = { nir: 4, red: 3, green: 2, target: 5 };

/**
 * The shipped Sentinel-2 scene `S2_Aberystwyth_20m.tif` (bands B3, B4, B8, B11, B12 on one 20 m grid): NIR 3 (B8),
 * red 2 (B4), green 1 (B3), SWIR 4 (B11, 1.61 um). Band 5 is B12 (SWIR-2, 2.19 um).
 */
export const SENTINEL2_ABERYSTWYTH_BANDS: SourceBandNumbers = { nir: 3, red: 2, green: 1, target: 4 };

/** Bands read from one file, cropped, with the grid's georeferencing. */
export interface SourceBands {
  /** NIR, red, green. */
  readonly bands: [BandGrid, BandGrid, BandGrid];
  /** The target band. */
  readonly target: BandGrid;
  /** Geotransform of the cropped grid. */
  readonly transform: GeoTransform;
  /** Its CRS. */
  readonly crs: Crs;
}

/**
 * Picks one band of a raster as a float32 grid, cropped to `rows x cols` from the top-left corner.
 *
 * @param raster - A raster from `readRaster`.
 * @param band - 1-based band number.
 * @param rows - Rows kept.
 * @param cols - Columns kept.
 * @returns The band.
 * @throws RangeError naming the band if the raster does not have it.
 * @example
 * ```ts
 * const nir = bandOf(await readRaster('scene.tif'), 4);
 * ```
 */
export function bandOf(
  raster: Raster,
  band: number,
  rows = raster.data.shape[1],
  cols = raster.data.shape[2],
): BandGrid {
  const [count, ,] = raster.data.shape;
  if (!Number.isInteger(band) || band < 1 || band > count)
    throw new RangeError(`bandOf: band ${band} is missing; the raster has bands 1-${count}`);
  const data = new Float32Array(rows * cols);
  for (let row = 0; row < rows; row++)
    for (let col = 0; col < cols; col++) data[row * cols + col] = raster.data.get(band - 1, row, col);
  return { data, rows, cols };
}

/**
 * Reads NIR, red, green and the target band of a multispectral file, cropped so both sides are multiples of
 * `multipleOf` (top-left corner kept, so the geotransform does not change).
 *
 * @param source - Path of a GeoTIFF.
 * @param numbers - 1-based band numbers; default {@link LANDSAT7_ETM_BANDS}.
 * @param multipleOf - Size multiple, e.g. 4 for a Wald experiment at ratio 2 (`ratio^2`).
 * @returns The bands and the georeferencing.
 * @throws RangeError naming the band if a band number is missing from the file.
 * @example
 * ```ts
 * const source = await readSourceBands('L7_ETMs.tif', LANDSAT7_ETM_BANDS, 4);
 * ```
 */
export async function readSourceBands(
  source: string,
  numbers: SourceBandNumbers = LANDSAT7_ETM_BANDS,
  multipleOf = 1,
): Promise<SourceBands> {
  const raster = await readRaster(source);
  const rows = raster.data.shape[1] - (raster.data.shape[1] % multipleOf);
  const cols = raster.data.shape[2] - (raster.data.shape[2] % multipleOf);
  const pick = (name: keyof SourceBandNumbers) => {
    try {
      return bandOf(raster, numbers[name], rows, cols);
    } catch (error) {
      throw new RangeError(
        `readSourceBands: ${name} ${(error as Error).message.replace('bandOf: ', '')} (${source})`,
      );
    }
  };
  return {
    bands: [pick('nir'), pick('red'), pick('green')],
    target: pick('target'),
    transform: raster.transform,
    crs: raster.crs,
  };
}

/**
 * Writes a synthesised band as a float32 cloud-optimised GeoTIFF with a band description.
 *
 * @param path - Output path.
 * @param band - The band.
 * @param georeference - Geotransform and CRS of the HR grid.
 * @param description - GDAL band description, e.g. `synthesised SWIR (Landsat 7 band 5)`.
 * @returns A promise that resolves once the file is written (atomically, by `writeRaster`).
 * @example
 * ```ts
 * await writeBand('swir.tif', band, source, 'synthesised SWIR');
 * ```
 */
export async function writeBand(
  path: string,
  band: BandGrid,
  georeference: { readonly transform: GeoTransform; readonly crs: Crs },
  description: string,
): Promise<void> {
  const raster: Raster = {
    data: ndarray(band.data, [1, band.rows, band.cols]),
    transform: georeference.transform,
    crs: georeference.crs,
    nodata: null,
  };
  await writeRaster(path, raster, {
    layout: 'cog',
    tileSize: 128,
    dataType: 'float32',
    predictor: 'auto',
    bands: [{ description }],
  });
}
