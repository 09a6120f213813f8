import { open, rename, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import { type GeoKeyEntry, geoKeysFromCrs } from './geokeys.js';
import { gdalMetadataXml } from './internal/gdal-metadata.js';
import {
  encodeIfd,
  encodeTiffHeader,
  FIELD_TYPE,
  type TiffField,
  tiffLayout,
} from './internal/tiff-encoder.js';
import { createTypedArray, dataTypeOf, isFloatDataType, TIFF_SAMPLE_TYPES } from './raster-data-type.js';
import type { Raster, RasterDataType, RasterTypedArray } from './types.js';

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
}

/** Defaults for {@link WriteRasterOptions}: 256 x 256 deflate tiles, the data's own type. */
export const DEFAULT_WRITE_RASTER_OPTIONS: Required<Omit<WriteRasterOptions, 'dataType'>> = {
  compression: 'deflate',
  tileSize: 256,
  deflateLevel: 6,
  metadata: {},
};

/** Characters a metadata key may hold (GDAL's own keys are of this form). */
const METADATA_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const deflateAsync = promisify(deflate);

/** Blocks compressed concurrently (on libuv's thread pool) while earlier ones are written. */
const BLOCKS_IN_FLIGHT = 4;

const TYPE_RANGES: Partial<Record<RasterDataType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

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
  const range = TYPE_RANGES[dataType];
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

function checkRaster(
  path: string,
  raster: Raster,
  options: Required<Omit<WriteRasterOptions, 'dataType'>>,
): void {
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
}

/** The geo-referencing and layout fields shared by tiled and striped files. */
function baseFields(
  raster: Raster,
  dataType: RasterDataType,
  compression: number,
  metadata: Readonly<Record<string, string>>,
): TiffField[] {
  const [bands, rows, columns] = raster.data.shape;
  const sample = TIFF_SAMPLE_TYPES[dataType];
  const [originX, a, b, originY, d, e] = raster.transform;
  const fields: TiffField[] = [
    { tag: 256, type: FIELD_TYPE.LONG, values: [columns] },
    { tag: 257, type: FIELD_TYPE.LONG, values: [rows] },
    { tag: 258, type: FIELD_TYPE.SHORT, values: new Array(bands).fill(sample.bits) },
    { tag: 259, type: FIELD_TYPE.SHORT, values: [compression] },
    { tag: 262, type: FIELD_TYPE.SHORT, values: [1] },
    { tag: 277, type: FIELD_TYPE.SHORT, values: [bands] },
    { tag: 284, type: FIELD_TYPE.SHORT, values: [2] },
    { tag: 339, type: FIELD_TYPE.SHORT, values: new Array(bands).fill(sample.sampleFormat) },
    ...encodeGeoKeys(geoKeysFromCrs(raster.crs)),
  ];
  if (bands > 1) fields.push({ tag: 338, type: FIELD_TYPE.SHORT, values: new Array(bands - 1).fill(0) });
  if (b === 0 && d === 0) {
    fields.push({ tag: 33550, type: FIELD_TYPE.DOUBLE, values: [a, -e, 0] });
    fields.push({ tag: 33922, type: FIELD_TYPE.DOUBLE, values: [0, 0, 0, originX, originY, 0] });
  } else {
    const matrix = [a, b, 0, originX, d, e, 0, originY, 0, 0, 0, 0, 0, 0, 0, 1];
    fields.push({ tag: 34264, type: FIELD_TYPE.DOUBLE, values: matrix });
  }
  if (raster.nodata !== null) {
    const text = Number.isNaN(raster.nodata) ? 'nan' : String(raster.nodata);
    fields.push({ tag: 42113, type: FIELD_TYPE.ASCII, values: text });
  }
  if (Object.keys(metadata).length > 0) {
    fields.push({ tag: 42112, type: FIELD_TYPE.ASCII, values: gdalMetadataXml(metadata) });
  }
  return fields;
}

/**
 * Writes a raster as a GeoTIFF that GDAL reads back with the same transform, CRS (as an EPSG code
 * when the CRS has one), nodata and values.
 *
 * @param path - Destination file path; written to `<path>.<random>.tmp` first, then renamed.
 * @param raster - The raster; `data` shaped `[bands, rows, cols]`.
 * @param options - Compression, tile size, data type and metadata; see {@link DEFAULT_WRITE_RASTER_OPTIONS}.
 * @returns Resolves once the file is complete and renamed into place.
 * @throws RangeError for a malformed raster or options; TypeError for a CRS that GeoTIFF keys cannot express
 *   or a metadata key that is not a name.
 * @remarks
 * Band-sequential (`PlanarConfiguration = 2`), little-endian; a BigTIFF is written automatically
 * when the data could exceed 4 GiB. Tiles and strips are encoded and written one at a time, so the
 * writer holds at most one block beside the raster itself. A crash leaves only the temporary file.
 * @example
 * ```ts
 * await writeRaster('out.tif', raster, { compression: 'deflate', tileSize: 256 });
 * ```
 */
export async function writeRaster(
  path: string,
  raster: Raster,
  options: WriteRasterOptions = {},
): Promise<void> {
  const settings = { ...DEFAULT_WRITE_RASTER_OPTIONS, ...options };
  checkRaster(path, raster, settings);
  const dataType = options.dataType ?? dataTypeOf(raster.data.data);
  if (!isFloatDataType(dataType) && raster.nodata !== null && Number.isNaN(raster.nodata)) {
    throw new RangeError(
      `writeRaster: "${path}": nodata NaN cannot be stored as ${dataType}; choose a finite nodata`,
    );
  }
  const [bands, rows, columns] = raster.data.shape;
  const tiled = settings.tileSize > 0;
  const blockWidth = tiled ? settings.tileSize : columns;
  const bytesPerSample = TIFF_SAMPLE_TYPES[dataType].bits / 8;
  const blockRows = tiled
    ? settings.tileSize
    : Math.max(1, Math.min(rows, Math.floor(65536 / (columns * bytesPerSample))));
  const across = Math.ceil(columns / blockWidth);
  const down = Math.ceil(rows / blockRows);
  const bigTiff = bands * across * down * blockWidth * blockRows * bytesPerSample > 3.9e9;
  const temporary = `${path}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  const handle = await open(temporary, 'w');
  let completed = false;
  try {
    let position = tiffLayout(bigTiff).headerSize;
    const offsets: number[] = [];
    const counts: number[] = [];
    const queue: Promise<Uint8Array>[] = [];
    const writeNext = async () => {
      const encoded = await (queue.shift() as Promise<Uint8Array>);
      await handle.write(encoded, 0, encoded.length, position);
      offsets.push(position);
      counts.push(encoded.length);
      position += encoded.length;
    };
    for (let band = 0; band < bands; band++) {
      for (let blockRow = 0; blockRow < down; blockRow++) {
        for (let blockColumn = 0; blockColumn < across; blockColumn++) {
          const y = blockRow * blockRows;
          const height = tiled ? blockRows : Math.min(blockRows, rows - y);
          const block = {
            x: blockColumn * blockWidth,
            y,
            width: blockWidth,
            height,
            rows: height,
            columns: blockWidth,
          };
          const values = extractBlock(raster, band, block, dataType);
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
    position += position % 2;
    const offsetType = bigTiff ? FIELD_TYPE.LONG8 : FIELD_TYPE.LONG;
    const fields = baseFields(
      raster,
      dataType,
      settings.compression === 'deflate' ? 8 : 1,
      settings.metadata,
    );
    if (tiled) {
      fields.push({ tag: 322, type: FIELD_TYPE.LONG, values: [blockWidth] });
      fields.push({ tag: 323, type: FIELD_TYPE.LONG, values: [blockRows] });
      fields.push({ tag: 324, type: offsetType, values: offsets });
      fields.push({ tag: 325, type: offsetType, values: counts });
    } else {
      fields.push({ tag: 273, type: offsetType, values: offsets });
      fields.push({ tag: 278, type: FIELD_TYPE.LONG, values: [blockRows] });
      fields.push({ tag: 279, type: offsetType, values: counts });
    }
    const ifd = encodeIfd(fields, position, bigTiff);
    await handle.write(ifd, 0, ifd.length, position);
    const header = encodeTiffHeader(bigTiff, position);
    await handle.write(header, 0, header.length, 0);
    await handle.sync();
    completed = true;
  } finally {
    await handle.close();
    if (!completed) await unlink(temporary).catch(() => undefined);
  }
  await rename(temporary, path);
}
