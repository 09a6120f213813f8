/**
 * Structural checks of a GeoTIFF before its pixels are decoded: the first image directory and every tag
 * value lie inside the file, the block layout is sane and allocatable, the offset tables have one entry per
 * block, and every block a read needs lies inside the file.
 */
import type { GeoTIFF, GeoTIFFImage } from 'geotiff';
import type { PixelWindow } from '../types.js';

/** Largest number of bytes one read may allocate (2 GiB): beyond that a window is required. */
export const MAX_READ_BYTES = 2 ** 31;

/** Byte size of each TIFF field type (TIFF 6.0 and BigTIFF). */
const FIELD_TYPE_SIZES: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  13: 4,
  16: 8,
  17: 8,
  18: 8,
};

const TAG_NAMES: Readonly<Record<number, string>> = {
  256: 'ImageWidth',
  257: 'ImageLength',
  258: 'BitsPerSample',
  273: 'StripOffsets',
  278: 'RowsPerStrip',
  279: 'StripByteCounts',
  322: 'TileWidth',
  323: 'TileLength',
  324: 'TileOffsets',
  325: 'TileByteCounts',
  33550: 'ModelPixelScale',
  33922: 'ModelTiepoint',
  34264: 'ModelTransformation',
  34735: 'GeoKeyDirectory',
  34736: 'GeoDoubleParams',
  34737: 'GeoAsciiParams',
  42112: 'GDAL_METADATA',
  42113: 'GDAL_NODATA',
};

const TAG_STRIP_OFFSETS = 273;
const TAG_STRIP_BYTE_COUNTS = 279;
const TAG_TILE_OFFSETS = 324;
const TAG_TILE_BYTE_COUNTS = 325;

/** One entry of an image file directory, as stored (values are read by geotiff.js). */
export interface DirectoryEntry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
}

/** The entries of the first image directory, by tag. */
export type Directory = ReadonlyMap<number, DirectoryEntry>;

/** An error for a file whose bytes are missing or inconsistent, in the module's message shape. */
export function corruptFileError(name: string, problem: string, cause?: unknown): Error {
  return new Error(
    `readRaster: "${name}" is truncated or corrupt: ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

/** The message of a thrown value, for "failed to decode (...)" messages. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

function describeTag(tag: number): string {
  const known = TAG_NAMES[tag];
  return known ? `tag ${known} (${tag})` : `tag ${tag}`;
}

/** Throws unless bytes `[offset, offset + length)` lie inside a file of `fileSize` bytes (when known). */
function requireInFile(
  what: string,
  offset: number,
  length: number,
  fileSize: number | null,
  name: string,
): void {
  const end = offset + length;
  if (fileSize !== null && end > fileSize) {
    throw corruptFileError(name, `${what} needs bytes ${offset}..${end} but the file has ${fileSize} bytes`);
  }
}

function readUnsigned(view: DataView, at: number, bytes: 2 | 4 | 8, littleEndian: boolean): number {
  if (bytes === 2) return view.getUint16(at, littleEndian);
  if (bytes === 4) return view.getUint32(at, littleEndian);
  return Number(view.getBigUint64(at, littleEndian));
}

/**
 * Reads the entries of the first image directory and checks that the directory and every tag value it
 * points to lie inside the file, before geotiff.js parses it (and allocates its arrays).
 *
 * @param tiff - The opened file (only its header has been read).
 * @param name - The source's name, for error messages.
 * @param fileSize - The file's size in bytes, or `null` when the source cannot tell (then nothing is
 *   checked against the end of the file).
 * @returns The directory's entries by tag.
 * @throws Error (`is truncated or corrupt`) when the directory or a tag value lies past the end of the file;
 *   RangeError when a tag value is larger than a read may allocate.
 */
export async function readDirectory(
  tiff: GeoTIFF,
  name: string,
  fileSize: number | null,
): Promise<Directory> {
  const big = tiff.bigTiff;
  const littleEndian = tiff.littleEndian;
  const start = Number(tiff.firstIFDOffset);
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  const pointerSize = big ? 8 : 4;
  const fetch = async (offset: number, length: number): Promise<DataView> => {
    const [data] = await tiff.source.fetch([{ offset, length }]);
    if (data.byteLength < length) {
      throw corruptFileError(name, `the image directory at byte ${start} could not be read whole`);
    }
    return new DataView(data as ArrayBuffer);
  };
  requireInFile(`the image directory at byte ${start}`, start, countSize, fileSize, name);
  const entryCount = readUnsigned(await fetch(start, countSize), 0, countSize, littleEndian);
  const directoryLength = countSize + entryCount * entrySize + pointerSize;
  requireInFile(
    `the image directory at byte ${start} (${entryCount} entries)`,
    start,
    directoryLength,
    fileSize,
    name,
  );
  if (directoryLength > MAX_READ_BYTES) {
    throw new RangeError(`readRaster: "${name}" has an image directory of ${entryCount} entries`);
  }
  const view = await fetch(start, directoryLength);
  const entries = new Map<number, DirectoryEntry>();
  for (let index = 0; index < entryCount; index++) {
    const at = countSize + index * entrySize;
    const tag = view.getUint16(at, littleEndian);
    const type = view.getUint16(at + 2, littleEndian);
    const count = readUnsigned(view, at + 4, big ? 8 : 4, littleEndian);
    const typeSize = FIELD_TYPE_SIZES[type];
    if (typeSize === undefined) continue; // geotiff.js refuses the field type itself
    const valueBytes = typeSize * count;
    if (valueBytes > pointerSize) {
      if (valueBytes > MAX_READ_BYTES) {
        throw new RangeError(
          `readRaster: "${name}" has a ${describeTag(tag)} of ${count} values (${valueBytes} bytes), more than a ` +
            `read may allocate (${MAX_READ_BYTES} bytes)`,
        );
      }
      const valueOffset = readUnsigned(view, at + (big ? 12 : 8), big ? 8 : 4, littleEndian);
      requireInFile(`the value of ${describeTag(tag)}`, valueOffset, valueBytes, fileSize, name);
    }
    if (!entries.has(tag)) entries.set(tag, { tag, type, count });
  }
  return entries;
}

/** The block structure of a GeoTIFF image. */
export interface TiffLayout {
  readonly width: number;
  readonly height: number;
  readonly samplesPerPixel: number;
  readonly planar: boolean;
  readonly tiled: boolean;
  /** Tile width, or the image width for strips. */
  readonly blockWidth: number;
  /** Tile height, or the rows per strip (at most the image height). */
  readonly blockHeight: number;
  readonly blocksAcross: number;
  readonly blocksDown: number;
  /** Bytes of each sample (BitsPerSample / 8, rounded up). */
  readonly sampleBytes: readonly number[];
  /** Bytes of one pixel of chunky data (all samples). */
  readonly pixelBytes: number;
  readonly offsetsTag: 'TileOffsets' | 'StripOffsets';
  readonly byteCountsTag: 'TileByteCounts' | 'StripByteCounts';
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/**
 * Checks the size and block layout of an image: at least one pixel and one sample, blocks of at least one
 * pixel whose decoded size a read may allocate, and offset and byte-count tables with one entry per block.
 *
 * @param image - The geotiff.js image.
 * @param directory - Its entries, from {@link readDirectory}.
 * @param name - The source's name, for error messages.
 * @returns The layout.
 * @throws Error (`is truncated or corrupt`) for an empty image, a missing or mis-sized offset table or
 *   blocks of no pixels; RangeError for blocks larger than {@link MAX_READ_BYTES}.
 */
export function checkLayout(image: GeoTIFFImage, directory: Directory, name: string): TiffLayout {
  const width = image.getWidth();
  const height = image.getHeight();
  const samplesPerPixel = image.getSamplesPerPixel();
  if (!isCount(width) || !isCount(height)) {
    throw corruptFileError(name, `its image is ${width} x ${height} pixels`);
  }
  if (!isCount(samplesPerPixel)) throw corruptFileError(name, `it has ${samplesPerPixel} samples per pixel`);
  const tiled = image.isTiled;
  const fileDirectory = image.getFileDirectory();
  let blockWidth: number;
  let blockHeight: number;
  if (tiled) {
    blockWidth = Number(fileDirectory.getValue('TileWidth'));
    blockHeight = Number(fileDirectory.getValue('TileLength'));
    if (!isCount(blockWidth) || !isCount(blockHeight)) {
      throw corruptFileError(name, `its tiles are ${blockWidth} x ${blockHeight} pixels`);
    }
  } else {
    blockWidth = width;
    const rowsPerStrip = fileDirectory.hasTag('RowsPerStrip')
      ? Number(fileDirectory.getValue('RowsPerStrip'))
      : height;
    if (!isCount(rowsPerStrip)) throw corruptFileError(name, `it has ${rowsPerStrip} rows per strip`);
    blockHeight = Math.min(rowsPerStrip, height);
  }
  const bits = Array.from({ length: samplesPerPixel }, (_, sample) => Number(image.getBitsPerSample(sample)));
  const sampleBytes = bits.map((value) => (Number.isFinite(value) && value > 0 ? Math.ceil(value / 8) : 0));
  const pixelBytes = sampleBytes.reduce((sum, value) => sum + value, 0);
  const planar = image.planarConfiguration === 2;
  const blockBytes = blockWidth * blockHeight * (planar ? Math.max(...sampleBytes) : pixelBytes);
  if (blockBytes > MAX_READ_BYTES) {
    throw new RangeError(
      `readRaster: "${name}" has ${tiled ? 'tiles' : 'strips'} of ${blockWidth} x ${blockHeight} pixels ` +
        `(${blockBytes} bytes each when decoded), more than a read may allocate (${MAX_READ_BYTES} bytes)`,
    );
  }
  const blocksAcross = Math.ceil(width / blockWidth);
  const blocksDown = Math.ceil(height / blockHeight);
  const expected = blocksAcross * blocksDown * (planar ? samplesPerPixel : 1);
  const layoutText = tiled
    ? `${blocksAcross} x ${blocksDown} tiles`
    : `${blocksDown} strips of ${blockHeight} rows`;
  for (const tag of tiled
    ? [TAG_TILE_OFFSETS, TAG_TILE_BYTE_COUNTS]
    : [TAG_STRIP_OFFSETS, TAG_STRIP_BYTE_COUNTS]) {
    const entry = directory.get(tag);
    if (!entry) throw corruptFileError(name, `it has no ${TAG_NAMES[tag]} tag`);
    if (entry.count !== expected) {
      throw corruptFileError(
        name,
        `its ${TAG_NAMES[tag]} has ${entry.count} entries but ${layoutText}` +
          `${planar ? ` in ${samplesPerPixel} bands` : ''} need ${expected}`,
      );
    }
  }
  return {
    width,
    height,
    samplesPerPixel,
    planar,
    tiled,
    blockWidth,
    blockHeight,
    blocksAcross,
    blocksDown,
    sampleBytes,
    pixelBytes,
    offsetsTag: tiled ? 'TileOffsets' : 'StripOffsets',
    byteCountsTag: tiled ? 'TileByteCounts' : 'StripByteCounts',
  };
}

/** One strip or tile a read needs. */
export interface BlockRef {
  readonly column: number;
  readonly row: number;
  /** The sample (band) of a planar block; chunky blocks hold all samples. */
  readonly sample: number | null;
  /** Index into the offset and byte-count tables. */
  readonly index: number;
  /** Decoded size in bytes: the block's pixels (strips clipped to the image height) times their sample bytes. */
  readonly decodedBytes: number;
  /** `strip 3`, `tile (2, 5)`, with ` (band 1)` for planar files. */
  readonly label: string;
}

/** A block with its place in the file. */
export interface LocatedBlock extends BlockRef {
  readonly offset: number;
  /** 0 for a sparse block (not written; read as nodata, or 0, as GDAL does). */
  readonly byteCount: number;
}

/** Rows of block row `row`: the tile height, or the rows per strip clipped to the image height. */
export function blockRows(layout: TiffLayout, row: number): number {
  return layout.tiled
    ? layout.blockHeight
    : Math.min(layout.blockHeight, layout.height - row * layout.blockHeight);
}

/**
 * The blocks under a window, for the given 0-based bands (each band separately for planar files).
 */
export function blocksInWindow(
  layout: TiffLayout,
  window: PixelWindow,
  bands: readonly number[],
): BlockRef[] {
  const firstColumn = Math.floor(window.x / layout.blockWidth);
  const lastColumn = Math.floor((window.x + window.width - 1) / layout.blockWidth);
  const firstRow = Math.floor(window.y / layout.blockHeight);
  const lastRow = Math.floor((window.y + window.height - 1) / layout.blockHeight);
  const plane = layout.blocksAcross * layout.blocksDown;
  const blocks: BlockRef[] = [];
  for (let row = firstRow; row <= lastRow; row++) {
    for (let column = firstColumn; column <= lastColumn; column++) {
      const pixels = layout.blockWidth * blockRows(layout, row);
      const where = layout.tiled ? `tile (${column}, ${row})` : `strip ${row}`;
      const index = row * layout.blocksAcross + column;
      if (!layout.planar) {
        blocks.push({
          column,
          row,
          sample: null,
          index,
          decodedBytes: pixels * layout.pixelBytes,
          label: where,
        });
        continue;
      }
      for (const sample of new Set(bands)) {
        blocks.push({
          column,
          row,
          sample,
          index: sample * plane + index,
          decodedBytes: pixels * layout.sampleBytes[sample],
          label: `${where} (band ${sample})`,
        });
      }
    }
  }
  return blocks;
}

/**
 * Looks up where each block lies and checks that its bytes are inside the file.
 *
 * @param image - The geotiff.js image.
 * @param layout - Its layout, from {@link checkLayout}.
 * @param blocks - The blocks a read needs.
 * @param name - The source's name, for error messages.
 * @param fileSize - The file's size, or `null` when the source cannot tell (then only the table values
 *   themselves are checked).
 * @returns The blocks with their offsets and byte counts.
 * @throws Error (`is truncated or corrupt: strip 3 needs bytes a..b but the file has n bytes`) for a block
 *   past the end of the file (of several, the one that starts first: where the file stops), or an offset or
 *   byte count that is not a non-negative integer.
 */
export async function locateBlocks(
  image: GeoTIFFImage,
  layout: TiffLayout,
  blocks: readonly BlockRef[],
  name: string,
  fileSize: number | null,
): Promise<LocatedBlock[]> {
  const directory = image.getFileDirectory();
  if (blocks.length * 4 > layout.blocksAcross * layout.blocksDown) {
    // A large share of the blocks: load the offset tables whole rather than entry by entry.
    await Promise.all([directory.loadValue(layout.offsetsTag), directory.loadValue(layout.byteCountsTag)]);
  }
  const located = await Promise.all(
    blocks.map(async (block): Promise<LocatedBlock> => {
      const [offset, byteCount] = (
        await Promise.all([
          directory.loadValueIndexed(layout.offsetsTag, block.index),
          directory.loadValueIndexed(layout.byteCountsTag, block.index),
        ])
      ).map(Number);
      return { ...block, offset, byteCount };
    }),
  );
  // Of the blocks past the end, the one with the lowest offset: where the file stops.
  let firstMissing: LocatedBlock | null = null;
  for (const block of located) {
    const { offset, byteCount } = block;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(byteCount) || offset < 0 || byteCount < 0) {
      throw corruptFileError(name, `${block.label} has offset ${offset} and byte count ${byteCount}`);
    }
    if (byteCount > MAX_READ_BYTES) {
      throw corruptFileError(
        name,
        `${block.label} has a byte count of ${byteCount}, more than a read may allocate`,
      );
    }
    const missing = byteCount > 0 && fileSize !== null && offset + byteCount > fileSize;
    if (missing && (firstMissing === null || offset < firstMissing.offset)) firstMissing = block;
  }
  if (firstMissing !== null) {
    requireInFile(firstMissing.label, firstMissing.offset, firstMissing.byteCount, fileSize, name);
  }
  return located;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NOT_A_NUMBER = /^[+-]?nan$/i;
const INFINITE = /^([+-]?)inf(inity)?$/i;

/**
 * The GDAL_NODATA tag of an image as a number (`nan`, `inf` and `-inf` as GDAL writes them), or `null` when
 * the tag is absent.
 *
 * @remarks geotiff.js's `getGDALNoData()` drops the last character (the NUL terminator) and returns
 * `Number(text)`: NaN for text that is not a number, 0 for an empty tag, and a wrong value for a tag
 * without its terminator. This reads the tag itself.
 * @throws TypeError naming the file and the tag's text when it is not a number.
 */
export async function readNoData(image: GeoTIFFImage, name: string): Promise<number | null> {
  const directory = image.getFileDirectory();
  if (!directory.hasTag('GDAL_NODATA')) return null;
  const raw: unknown = await directory.loadValue('GDAL_NODATA');
  if (typeof raw === 'number' && !Number.isNaN(raw)) return raw;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the tag's text ends with NUL bytes.
  const text = typeof raw === 'string' ? raw.replace(/\u0000+$/u, '').trim() : String(raw);
  if (DECIMAL.test(text)) return Number(text);
  if (NOT_A_NUMBER.test(text)) return Number.NaN;
  const infinite = INFINITE.exec(text);
  if (infinite) return infinite[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  throw new TypeError(
    `readRaster: "${name}" has a GDAL_NODATA tag ${JSON.stringify(text)} that is not a number`,
  );
}
