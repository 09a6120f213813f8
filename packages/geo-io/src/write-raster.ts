import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import ndarray from 'ndarray';
import { type GeoKeyEntry, geoKeysFromCrs } from './geokeys.js';
import { type BandDescription, bandMetadataItems, withBandItems } from './internal/cog-band-metadata.js';
import { computeOverviews, type OverviewResampling, overviewSizes } from './internal/cog-overviews.js';
import { applyPredictor, choosePredictor, type TiffPredictor } from './internal/cog-predictor.js';
import { gdalMetadataXml } from './internal/gdal-metadata.js';
import {
  encodeIfd,
  encodeTiffHeader,
  FIELD_TYPE,
  type TiffField,
  tiffLayout,
} from './internal/tiff-encoder.js';
import {
  createTypedArray,
  dataTypeOf,
  INTEGER_RANGES,
  isFloatDataType,
  TIFF_SAMPLE_TYPES,
} from './raster-data-type.js';
import type { Raster, RasterDataType, RasterTypedArray } from './types.js';

export type { BandDescription } from './internal/cog-band-metadata.js';
export type { OverviewResampling } from './internal/cog-overviews.js';

/**
 * How a GeoTIFF is laid out: `'ifd-last'` writes the blocks as they are encoded and the image directory after
 * them (one pass, no overviews); `'cog'` writes a Cloud-optimised GeoTIFF (directories first, internal
 * overviews, smallest overview's tiles first).
 */
export type WriteRasterLayout = 'ifd-last' | 'cog';

/** Options for {@link writeRaster}. */
export interface WriteRasterOptions {
  /** `'deflate'` (zlib, TIFF compression 8) or `'none'`. */
  readonly compression?: 'none' | 'deflate';
  /** Square tile size in pixels, a multiple of 16; `0` writes strips instead of tiles. */
  readonly tileSize?: number;
  /** Element type to store; defaults to the type of `raster.data`. Integers are rounded and clamped. */
  readonly dataType?: RasterDataType;
  /** zlib level 1-9 for deflate. */
  readonly deflateLevel?: number;
  /**
   * Dataset metadata written as the GDAL_METADATA tag (42112): `gdalinfo` lists it, and `readRasterInfo` returns
   * it. Keys are letters, digits, `_`, `-` and `.`; values any text.
   */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * `'ifd-last'` (default): blocks first, then the image directory; no overviews. `'cog'`: a Cloud-optimised
   * GeoTIFF as GDAL's COG driver lays it out and `validate_cloud_optimized_geotiff.py` checks it: the header,
   * the full-resolution IFD right after it (byte 8, or 16 for BigTIFF), the overview IFDs (NewSubfileType 1,
   * largest first, chained), then the tiles of the smallest overview, ..., of the largest, and last the
   * full-resolution tiles; within a level band by band, each band's tiles row by row at increasing offsets.
   * Overviews halve the size (rounded up) until a level fits in one tile. Needs tiles (`tileSize > 0`).
   */
  readonly layout?: WriteRasterLayout;
  /**
   * How COG overviews are computed (ignored by the `'ifd-last'` layout). `'average'` (default): the mean of
   * the full-resolution pixels each overview pixel covers (a 2^k x 2^k block, cut at the image edge), leaving
   * out nodata and NaN, nodata where none is valid; integers rounded (`Math.round`). Area averaging keeps
   * mean heights and volumes of elevation data and does not overshoot at cliffs (GDAL's COG driver defaults to
   * `CUBIC`, `NEAREST` for paletted images). `'nearest'`: the pixel under the block's centre, for classes.
   */
  readonly overviewResampling?: OverviewResampling;
  /**
   * `'none'` (default) or `'auto'`: with deflate, the floating-point predictor (TIFF Predictor 3, Adobe TIFF
   * Technical Note 3) for float32/float64 and horizontal differencing (Predictor 2) for integers, as GDAL's
   * `PREDICTOR=YES`. Lossless; usually shrinks smooth rasters such as DEMs. Nothing is applied without
   * compression.
   */
  readonly predictor?: 'none' | 'auto';
  /**
   * Per-band description and unit (entry 0 is band 0; at most one entry per band), stored in GDAL_METADATA as
   * GDAL's GTiff driver stores them: `gdalinfo` shows `Description = elevation` and `Unit Type: m`.
   */
  readonly bands?: readonly BandDescription[];
}

/**
 * Defaults for {@link WriteRasterOptions}: 256 x 256 deflate tiles, the data's own type, directory last, no
 * predictor; COG overviews by average.
 */
export const DEFAULT_WRITE_RASTER_OPTIONS: Required<Omit<WriteRasterOptions, 'dataType'>> = {
  compression: 'deflate',
  tileSize: 256,
  deflateLevel: 6,
  metadata: {},
  layout: 'ifd-last',
  overviewResampling: 'average',
  predictor: 'none',
  bands: [],
};

/** Characters a metadata key may hold (GDAL's own keys are of this form). */
const METADATA_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const deflateAsync = promisify(deflate);

/** Blocks compressed concurrently (on libuv's thread pool) while earlier ones are written. */
const BLOCKS_IN_FLIGHT = 4;

function encodeGeoKeys(keys: readonly GeoKeyEntry[]): TiffField[] {
  const directory = [1, 1, 0, keys.length];
  const doubles: number[] = [];
  let ascii = '';
  for (const key of keys) {
    if (typeof key.value === 'number') directory.push(key.id, 0, 1, key.value);
    else if (typeof key.value === 'string') {
      directory.push(key.id, 34737, key.value.length + 1, ascii.length);
      ascii += `${key.value}|`;
    } else {
      directory.push(key.id, 34736, key.value.length, doubles.length);
      doubles.push(...key.value);
    }
  }
  const fields: TiffField[] = [{ tag: 34735, type: FIELD_TYPE.SHORT, values: directory }];
  if (doubles.length > 0) fields.push({ tag: 34736, type: FIELD_TYPE.DOUBLE, values: doubles });
  if (ascii.length > 0) fields.push({ tag: 34737, type: FIELD_TYPE.ASCII, values: ascii });
  return fields;
}

/** Copies one block of one band into a typed array of the output type (padding with zeros). */
function extractBlock(
  raster: Raster,
  band: number,
  block: { x: number; y: number; width: number; height: number; rows: number; columns: number },
  dataType: RasterDataType,
): RasterTypedArray {
  const output = createTypedArray(dataType, block.width * block.height);
  const [, rows, columns] = raster.data.shape;
  const range = INTEGER_RANGES[dataType];
  const fill = raster.nodata !== null && Number.isFinite(raster.nodata) ? raster.nodata : 0;
  const { data, stride, offset } = raster.data;
  for (let row = 0; row < Math.min(block.rows, rows - block.y); row++) {
    const base = offset + band * stride[0] + (block.y + row) * stride[1] + block.x * stride[2];
    const count = Math.min(block.columns, columns - block.x);
    for (let column = 0; column < count; column++) {
      let value = data[base + column * stride[2]];
      if (range) {
        value = Number.isNaN(value) ? fill : Math.min(range[1], Math.max(range[0], Math.round(value)));
      }
      output[row * block.width + column] = value;
    }
  }
  return output;
}

type WriteSettings = Required<Omit<WriteRasterOptions, 'dataType'>>;

function checkRaster(path: string, raster: Raster, options: WriteSettings): void {
  for (const [key, value] of Object.entries(options.metadata)) {
    if (!METADATA_KEY.test(key) || typeof value !== 'string') {
      throw new TypeError(
        `writeRaster: "${path}": metadata item ${JSON.stringify(key)} is invalid; expected a key of letters, digits, _ - . and a string value`,
      );
    }
  }
  const shape = raster?.data?.shape;
  if (shape?.length !== 3 || shape.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new RangeError(
      `writeRaster: "${path}": raster.data must have shape [bands, rows, cols] with sizes >= 1`,
    );
  }
  if (
    !Array.isArray(raster.transform) ||
    raster.transform.length !== 6 ||
    raster.transform.some((v) => !Number.isFinite(v))
  ) {
    throw new TypeError(`writeRaster: "${path}": transform must be six finite numbers`);
  }
  if (
    options.tileSize !== 0 &&
    (!Number.isInteger(options.tileSize) || options.tileSize % 16 !== 0 || options.tileSize < 16)
  ) {
    throw new RangeError(
      `writeRaster: "${path}": tileSize ${options.tileSize} is invalid; expected 0 (strips) or a multiple of 16`,
    );
  }
  checkChoice(path, 'layout', options.layout, ['ifd-last', 'cog']);
  checkChoice(path, 'predictor', options.predictor, ['none', 'auto']);
  checkChoice(path, 'overviewResampling', options.overviewResampling, ['average', 'nearest']);
  if (options.layout === 'cog' && options.tileSize === 0) {
    throw new RangeError(
      `writeRaster: "${path}": layout 'cog' needs tiles; tileSize 0 (strips) is invalid, use e.g. 256`,
    );
  }
  const bands = options.bands;
  if (!Array.isArray(bands) || bands.length > shape[0]) {
    throw new RangeError(
      `writeRaster: "${path}": bands must be an array of at most ${shape[0]} entries (one per band), got ${Array.isArray(bands) ? bands.length : typeof bands}`,
    );
  }
  bands.forEach((band, index) => {
    const fields = [band?.description, band?.unit];
    if (
      typeof band !== 'object' ||
      band === null ||
      fields.some((f) => f !== undefined && typeof f !== 'string')
    ) {
      throw new TypeError(
        `writeRaster: "${path}": bands[${index}] must be { description?: string; unit?: string }`,
      );
    }
  });
}

function checkChoice(path: string, name: string, value: unknown, choices: readonly string[]): void {
  if (!choices.includes(value as string)) {
    throw new RangeError(
      `writeRaster: "${path}": ${name} ${JSON.stringify(value)} is invalid; expected ${choices.map((c) => `'${c}'`).join(' or ')}`,
    );
  }
}

/** One image of the file: the full-resolution raster or one overview, and how it is cut into blocks. */
interface Level {
  readonly raster: Raster;
  readonly width: number;
  readonly height: number;
  readonly tiled: boolean;
  readonly blockWidth: number;
  readonly blockRows: number;
  readonly across: number;
  readonly down: number;
  readonly overview: boolean;
}

function makeLevel(raster: Raster, tileSize: number, bytesPerSample: number, overview: boolean): Level {
  const [, height, width] = raster.data.shape;
  const tiled = tileSize > 0;
  const blockWidth = tiled ? tileSize : width;
  const blockRows = tiled
    ? tileSize
    : Math.max(1, Math.min(height, Math.floor(65536 / (width * bytesPerSample))));
  return {
    raster,
    width,
    height,
    tiled,
    blockWidth,
    blockRows,
    across: Math.ceil(width / blockWidth),
    down: Math.ceil(height / blockRows),
    overview,
  };
}

/** The fields that describe the pixels of one image (full resolution or overview). */
function imageFields(
  level: Level,
  dataType: RasterDataType,
  compression: number,
  predictor: TiffPredictor,
  nodata: number | null,
): TiffField[] {
  const bands = level.raster.data.shape[0];
  const sample = TIFF_SAMPLE_TYPES[dataType];
  const fields: TiffField[] = [
    { tag: 256, type: FIELD_TYPE.LONG, values: [level.width] },
    { tag: 257, type: FIELD_TYPE.LONG, values: [level.height] },
    { tag: 258, type: FIELD_TYPE.SHORT, values: new Array(bands).fill(sample.bits) },
    { tag: 259, type: FIELD_TYPE.SHORT, values: [compression] },
    { tag: 262, type: FIELD_TYPE.SHORT, values: [1] },
    { tag: 277, type: FIELD_TYPE.SHORT, values: [bands] },
    { tag: 284, type: FIELD_TYPE.SHORT, values: [2] },
    { tag: 339, type: FIELD_TYPE.SHORT, values: new Array(bands).fill(sample.sampleFormat) },
  ];
  if (level.overview) fields.push({ tag: 254, type: FIELD_TYPE.LONG, values: [1] });
  if (bands > 1) fields.push({ tag: 338, type: FIELD_TYPE.SHORT, values: new Array(bands - 1).fill(0) });
  if (predictor !== 1) fields.push({ tag: 317, type: FIELD_TYPE.SHORT, values: [predictor] });
  if (nodata !== null) {
    const text = Number.isNaN(nodata) ? 'nan' : String(nodata);
    fields.push({ tag: 42113, type: FIELD_TYPE.ASCII, values: text });
  }
  return fields;
}

/** The geo-referencing and metadata fields of the full-resolution image. */
function geoFields(raster: Raster, settings: WriteSettings): TiffField[] {
  const [originX, a, b, originY, d, e] = raster.transform;
  const fields: TiffField[] = encodeGeoKeys(geoKeysFromCrs(raster.crs));
  if (b === 0 && d === 0) {
    fields.push({ tag: 33550, type: FIELD_TYPE.DOUBLE, values: [a, -e, 0] });
    fields.push({ tag: 33922, type: FIELD_TYPE.DOUBLE, values: [0, 0, 0, originX, originY, 0] });
  } else {
    const matrix = [a, b, 0, originX, d, e, 0, originY, 0, 0, 0, 0, 0, 0, 0, 1];
    fields.push({ tag: 34264, type: FIELD_TYPE.DOUBLE, values: matrix });
  }
  const bandItems = bandMetadataItems(settings.bands);
  if (Object.keys(settings.metadata).length > 0 || bandItems !== '') {
    const xml = withBandItems(gdalMetadataXml(settings.metadata), bandItems);
    fields.push({ tag: 42112, type: FIELD_TYPE.ASCII, values: xml });
  }
  return fields;
}

/** The block tables of one image. */
function blockFields(level: Level, offsets: readonly number[], counts: readonly number[], bigTiff: boolean) {
  const offsetType = bigTiff ? FIELD_TYPE.LONG8 : FIELD_TYPE.LONG;
  if (level.tiled) {
    return [
      { tag: 322, type: FIELD_TYPE.LONG, values: [level.blockWidth] },
      { tag: 323, type: FIELD_TYPE.LONG, values: [level.blockRows] },
      { tag: 324, type: offsetType, values: offsets },
      { tag: 325, type: offsetType, values: counts },
    ] satisfies TiffField[];
  }
  return [
    { tag: 273, type: offsetType, values: offsets },
    { tag: 278, type: FIELD_TYPE.LONG, values: [level.blockRows] },
    { tag: 279, type: offsetType, values: counts },
  ] satisfies TiffField[];
}

/** Where the blocks of one image were written. */
interface WrittenBlocks {
  readonly offsets: number[];
  readonly counts: number[];
  readonly end: number;
}

/**
 * Encodes (copy, predictor, deflate) and writes the blocks of one image from `start`: band by band, each band's
 * blocks row by row, at increasing offsets.
 */
async function writeBlocks(
  sink: ByteSink,
  level: Level,
  start: number,
  dataType: RasterDataType,
  predictor: TiffPredictor,
  settings: WriteSettings,
): Promise<WrittenBlocks> {
  const bands = level.raster.data.shape[0];
  let position = start;
  const offsets: number[] = [];
  const counts: number[] = [];
  const queue: Promise<Uint8Array>[] = [];
  const writeNext = async () => {
    const encoded = await (queue.shift() as Promise<Uint8Array>);
    await sink.write(encoded, position);
    offsets.push(position);
    counts.push(encoded.length);
    position += encoded.length;
  };
  for (let band = 0; band < bands; band++) {
    for (let blockRow = 0; blockRow < level.down; blockRow++) {
      for (let blockColumn = 0; blockColumn < level.across; blockColumn++) {
        const y = blockRow * level.blockRows;
        const height = level.tiled ? level.blockRows : Math.min(level.blockRows, level.height - y);
        const block = {
          x: blockColumn * level.blockWidth,
          y,
          width: level.blockWidth,
          height,
          rows: height,
          columns: level.blockWidth,
        };
        const values = extractBlock(level.raster, band, block, dataType);
        applyPredictor(values, block.width, predictor);
        const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        queue.push(
          settings.compression === 'deflate'
            ? deflateAsync(raw, { level: settings.deflateLevel })
            : Promise.resolve(raw),
        );
        if (queue.length >= BLOCKS_IN_FLIGHT) await writeNext();
      }
    }
  }
  while (queue.length > 0) await writeNext();
  return { offsets, counts, end: position };
}

/** The full-resolution level and, for a COG, its overviews (largest first). */
function planLevels(raster: Raster, dataType: RasterDataType, settings: WriteSettings): Level[] {
  const bytesPerSample = TIFF_SAMPLE_TYPES[dataType].bits / 8;
  const main = makeLevel(raster, settings.tileSize, bytesPerSample, false);
  if (settings.layout !== 'cog') return [main];
  const sizes = overviewSizes(main.width, main.height, settings.tileSize);
  const arrays = computeOverviews(raster, dataType, sizes, settings.overviewResampling);
  const bands = raster.data.shape[0];
  return [
    main,
    ...sizes.map(({ width, height }, index) =>
      makeLevel(
        { ...raster, data: ndarray(arrays[index], [bands, height, width]) },
        settings.tileSize,
        bytesPerSample,
        true,
      ),
    ),
  ];
}

/**
 * Writes a raster as a GeoTIFF that GDAL reads back with the same transform, CRS (as an EPSG code
 * when the CRS has one), nodata and values; optionally as a Cloud-optimised GeoTIFF with internal overviews.
 *
 * @param path - Destination file path; written to `<path>.<random>.tmp` first, then renamed.
 * @param raster - The raster; `data` shaped `[bands, rows, cols]`.
 * @param options - Compression, tile size, data type, metadata, layout (`'cog'`), overview resampling,
 *   predictor and band descriptions; see {@link WriteRasterOptions} and {@link DEFAULT_WRITE_RASTER_OPTIONS}.
 * @returns Resolves once the file is complete and renamed into place.
 * @throws RangeError for a malformed raster or options (a COG without tiles, more `bands` entries than bands);
 *   TypeError for a CRS that GeoTIFF keys cannot express, a metadata key that is not a name or a band entry
 *   that is not `{ description?, unit? }` strings.
 * @remarks
 * Band-sequential (`PlanarConfiguration = 2`), little-endian; a BigTIFF is written automatically
 * when the data could exceed 4 GiB. Tiles and strips are encoded and written a few at a time, so the
 * writer holds at most four blocks beside the raster itself (and, for a COG, the overviews: a third of the
 * raster's pixels in the output type). A crash leaves only the temporary file.
 * @example
 * ```ts
 * await writeRaster('out.tif', raster, { compression: 'deflate', tileSize: 256 });
 * await writeRaster('dem.tif', dem, {
 *   layout: 'cog',
 *   predictor: 'auto',
 *   bands: [{ description: 'elevation', unit: 'm' }],
 * });
 * ```
 */
export async function writeRaster(
  path: string,
  raster: Raster,
  options: WriteRasterOptions = {},
): Promise<void> {
  const temporary = `${path}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  let handle: FileHandle | undefined;
  let completed = false;
  try {
    // Checks come first inside encodeTiff, so a refused raster leaves no file behind (the temporary is removed).
    handle = await open(temporary, 'w');
    const file = handle;
    await encodeTiff(path, raster, options, {
      write: async (bytes, position) => {
        await file.write(bytes, 0, bytes.length, position);
      },
    });
    await handle.sync();
    completed = true;
  } finally {
    await handle?.close();
    if (!completed) await unlink(temporary).catch(() => undefined);
  }
  await rename(temporary, path);
}

/**
 * Encodes a raster as GeoTIFF bytes in memory, exactly the bytes {@link writeRaster} writes to a file: for
 * answering an HTTP request, storing in a database or handing a download to a browser.
 *
 * @param raster - The raster; `data` shaped `[bands, rows, cols]`.
 * @param options - As for {@link writeRaster}.
 * @returns The file's bytes.
 * @throws The errors of {@link writeRaster}, naming the raster `<memory>`.
 * @example
 * ```ts
 * const bytes = await encodeRaster(dem, { compression: 'deflate', tileSize: 256, layout: 'cog', predictor: 'auto' });
 * const back = await readRaster(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
 * ```
 */
export async function encodeRaster(raster: Raster, options: WriteRasterOptions = {}): Promise<Uint8Array> {
  const sink = new MemorySink();
  await encodeTiff('<memory>', raster, options, sink);
  return sink.bytes();
}

/** Where the encoder puts its bytes: at absolute positions, in any order. */
interface ByteSink {
  write(bytes: Uint8Array, position: number): Promise<void>;
}

/** A byte sink in memory that grows as needed. */
class MemorySink implements ByteSink {
  private buffer = new Uint8Array(1 << 16);
  private length = 0;

  async write(bytes: Uint8Array, position: number): Promise<void> {
    const end = position + bytes.length;
    if (end > this.buffer.length) {
      const grown = new Uint8Array(Math.max(end, 2 * this.buffer.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(bytes, position);
    this.length = Math.max(this.length, end);
  }

  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** The GeoTIFF encoder behind {@link writeRaster} and {@link encodeRaster}; `name` is used in messages. */
async function encodeTiff(
  name: string,
  raster: Raster,
  options: WriteRasterOptions,
  sink: ByteSink,
): Promise<void> {
  const settings: WriteSettings = { ...DEFAULT_WRITE_RASTER_OPTIONS, ...options };
  // The COG options may be passed as `undefined` (e.g. forwarded from optional settings): defaults then.
  for (const key of ['layout', 'overviewResampling', 'predictor', 'bands'] as const) {
    if (options[key] === undefined) Object.assign(settings, { [key]: DEFAULT_WRITE_RASTER_OPTIONS[key] });
  }
  checkRaster(name, raster, settings);
  const dataType = options.dataType ?? dataTypeOf(raster.data.data);
  if (!isFloatDataType(dataType) && raster.nodata !== null && Number.isNaN(raster.nodata)) {
    throw new RangeError(
      `writeRaster: "${name}": nodata NaN cannot be stored as ${dataType}; choose a finite nodata`,
    );
  }
  const bytesPerSample = TIFF_SAMPLE_TYPES[dataType].bits / 8;
  const levels = planLevels(raster, dataType, settings);
  const bands = raster.data.shape[0];
  const dataBytes = levels.reduce(
    (total, level) =>
      total + bands * level.across * level.down * level.blockWidth * level.blockRows * bytesPerSample,
    0,
  );
  const bigTiff = dataBytes > 3.9e9;
  const compression = settings.compression === 'deflate' ? 8 : 1;
  const predictor = choosePredictor(settings.predictor, dataType, settings.compression);
  const fieldsOf = (level: Level, written: Pick<WrittenBlocks, 'offsets' | 'counts'>): TiffField[] => [
    ...imageFields(level, dataType, compression, predictor, raster.nodata),
    ...(level.overview ? [] : geoFields(raster, settings)),
    ...blockFields(level, written.offsets, written.counts, bigTiff),
  ];
  {
    const headerSize = tiffLayout(bigTiff).headerSize;
    if (settings.layout === 'cog') {
      // IFD sizes depend only on field types and counts: reserve them with placeholder offsets, write the
      // blocks from the smallest overview to full resolution, then the IFDs with the real offsets.
      const ifdOffsets: number[] = [];
      const ifdSizes: number[] = [];
      let position = headerSize;
      for (const level of levels) {
        const placeholder = new Array<number>(bands * level.across * level.down).fill(0);
        const fields = fieldsOf(level, { offsets: placeholder, counts: placeholder });
        ifdOffsets.push(position);
        ifdSizes.push(encodeIfd(fields, position, bigTiff).length);
        position += ifdSizes[ifdSizes.length - 1];
      }
      const written: WrittenBlocks[] = new Array(levels.length);
      for (let index = levels.length - 1; index >= 0; index--) {
        written[index] = await writeBlocks(sink, levels[index], position, dataType, predictor, settings);
        position = written[index].end;
      }
      for (let index = 0; index < levels.length; index++) {
        const next = index + 1 < levels.length ? ifdOffsets[index + 1] : 0;
        const ifd = encodeIfd(fieldsOf(levels[index], written[index]), ifdOffsets[index], bigTiff, next);
        if (ifd.length !== ifdSizes[index]) {
          throw new Error(`writeRaster: "${name}": internal error, IFD ${index} changed size`);
        }
        await sink.write(ifd, ifdOffsets[index]);
      }
      const header = encodeTiffHeader(bigTiff, ifdOffsets[0]);
      await sink.write(header, 0);
    } else {
      const [level] = levels;
      const written = await writeBlocks(sink, level, headerSize, dataType, predictor, settings);
      const ifdOffset = written.end + (written.end % 2);
      const ifd = encodeIfd(fieldsOf(level, written), ifdOffset, bigTiff);
      await sink.write(ifd, ifdOffset);
      const header = encodeTiffHeader(bigTiff, ifdOffset);
      await sink.write(header, 0);
    }
  }
}
