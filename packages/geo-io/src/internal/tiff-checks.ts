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
export const FIELD_TYPE_SIZES: Readonly<Record<number, number>> = {
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

/** Names of the TIFF tags the readers check. */
export const TAG_NAMES: Readonly<Record<number, string>> = {
  256: 'ImageWidth',
  257: 'ImageLength',
  258: 'BitsPerSample',
  259: 'Compression',
  273: 'StripOffsets',
  277: 'SamplesPerPixel',
  278: 'RowsPerStrip',
  279: 'StripByteCounts',
  284: 'PlanarConfiguration',
  317: 'Predictor',
  322: 'TileWidth',
  323: 'TileLength',
  324: 'TileOffsets',
  325: 'TileByteCounts',
  339: 'SampleFormat',
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
 * @throws Error (`is truncated or corrupt`) when the directory or a tag value lies past the end of the file,
 *   the directory has a tag twice, or a BigTIFF header's offset size is not 8 or its reserved field not 0;
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
  if (big) {
    // BigTIFF: the offset size (8) and a reserved 0 follow the version, as libtiff checks.
    const header = await fetch(4, 4);
    const [offsetSize, reserved] = [header.getUint16(0, littleEndian), header.getUint16(2, littleEndian)];
    if (offsetSize !== 8 || reserved !== 0) {
      throw corruptFileError(
        name,
        `its BigTIFF header has offset size ${offsetSize} and reserved field ${reserved}; expected 8 and 0`,
      );
    }
  }
  const view = await fetch(start, directoryLength);
  const entries = new Map<number, DirectoryEntry>();
  const seen = new Set<number>();
  for (let index = 0; index < entryCount; index++) {
    const at = countSize + index * entrySize;
    const tag = view.getUint16(at, littleEndian);
    if (seen.has(tag)) {
      // Readers disagree on which of the two counts (libtiff the first, geotiff.js the last).
      throw corruptFileError(name, `its image directory has ${describeTag(tag)} twice`);
    }
    seen.add(tag);
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
    entries.set(tag, { tag, type, count });
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
  /**
   * The predictor the blocks are decoded with: the Predictor tag (1 none, 2 horizontal, 3 floating point) for
   * compressions whose codecs apply it (LZW, deflate, LZMA, zstd), else 1, as libtiff (and GDAL) read it.
   */
  readonly predictor: 1 | 2 | 3;
}

/** Compressions whose libtiff codecs apply the Predictor tag; libtiff ignores the tag for the others. */
const PREDICTOR_COMPRESSIONS = new Set([5, 8, 32946, 34925, 50000]);

/**
 * The predictor of an image's blocks, checked as libtiff checks it before decoding: 1, 2 (samples of 8, 16,
 * 32 or 64 bits) or 3 (floating-point samples).
 */
async function checkPredictor(
  image: GeoTIFFImage,
  bits: readonly number[],
  name: string,
): Promise<1 | 2 | 3> {
  const directory = image.getFileDirectory();
  const compression = Number(directory.getValue('Compression') ?? 1);
  if (!PREDICTOR_COMPRESSIONS.has(compression) || !directory.hasTag('Predictor')) return 1;
  const raw: unknown = await directory.loadValue('Predictor');
  const predictor = typeof raw === 'number' ? raw : Number.NaN;
  if (predictor !== 1 && predictor !== 2 && predictor !== 3) {
    throw corruptFileError(
      name,
      `its Predictor tag is ${Array.isArray(raw) || ArrayBuffer.isView(raw) ? `[${Array.from(raw as ArrayLike<unknown>).join(', ')}]` : String(raw)}; ` +
        'expected 1 (none), 2 (horizontal differencing) or 3 (floating point)',
    );
  }
  if (predictor === 2 && !bits.every((value) => [8, 16, 32, 64].includes(value))) {
    throw corruptFileError(
      name,
      `it has Predictor 2 (horizontal differencing) with ${bits.join('/')}-bit samples`,
    );
  }
  if (predictor === 3) {
    const formats = bits.map((_, sample) => image.getSampleFormat(sample));
    if (!formats.every((format) => format === 3)) {
      throw corruptFileError(
        name,
        `it has Predictor 3 (floating point) with SampleFormat ${formats.join('/')}; expected 3 (IEEE floating point)`,
      );
    }
  }
  return predictor;
}

/** Field types that hold integers (BYTE, SHORT, LONG, SBYTE, SSHORT, SLONG, LONG8, SLONG8). */
const INTEGER_TYPES = new Set([1, 3, 4, 6, 8, 9, 16, 17]);

/** The offset and byte-count tables of strips and tiles. */
const BLOCK_TABLE_TAGS = new Set([273, 279, 324, 325]);

/**
 * Their field types as libtiff loads them on demand (as GDAL opens files): SHORT, LONG, LONG8, and SLONG8,
 * which libtiff accepts from some writers.
 */
const BLOCK_TABLE_TYPES = new Set([3, 4, 16, 17]);

/** Tags that decide the block layout and decoding; libtiff reads them as integers only. */
const LAYOUT_TAGS = [256, 257, 258, 259, 273, 277, 278, 279, 284, 317, 322, 323, 324, 325, 339];

/**
 * Checks what libtiff checks of the layout tags before it reads a block: integer field types, a Compression
 * that is a codec (0 is none), and either strips or tiles (libtiff treats a file with TileWidth or TileLength as
 * tiled, so strip tags beside them describe another layout than the one geotiff.js would read).
 */
function checkLayoutTags(image: GeoTIFFImage, directory: Directory, name: string): void {
  for (const tag of LAYOUT_TAGS) {
    const entry = directory.get(tag);
    if (!entry) continue;
    if (BLOCK_TABLE_TAGS.has(tag) && !BLOCK_TABLE_TYPES.has(entry.type)) {
      throw corruptFileError(
        name,
        `its ${describeTag(tag)} has field type ${entry.type}; expected SHORT, LONG or LONG8 (3, 4 or 16)`,
      );
    }
    if (!INTEGER_TYPES.has(entry.type)) {
      throw corruptFileError(
        name,
        `its ${describeTag(tag)} has field type ${entry.type}; expected an integer type (BYTE, SHORT, LONG, LONG8)`,
      );
    }
  }
  const fileDirectory = image.getFileDirectory();
  if (fileDirectory.hasTag('Compression')) {
    const compression = Number(fileDirectory.getValue('Compression'));
    if (!isCount(compression, 0xffff))
      throw corruptFileError(name, `its Compression tag is ${compression}; expected a codec`);
  }
  const strips = [TAG_STRIP_OFFSETS, TAG_STRIP_BYTE_COUNTS].filter((tag) => directory.has(tag));
  const tiles = [322, 323, TAG_TILE_OFFSETS, TAG_TILE_BYTE_COUNTS].filter((tag) => directory.has(tag));
  if (strips.length > 0 && tiles.length > 0) {
    const names = (tags: number[]) => tags.map((tag) => TAG_NAMES[tag]).join(', ');
    throw corruptFileError(name, `it has both strip tags (${names(strips)}) and tile tags (${names(tiles)})`);
  }
}

/**
 * Whether a size or count is a positive integer that fits the field libtiff reads it into: 32 bits for sizes
 * and rows per strip, 16 for samples per pixel and the compression (a LONG8 or a SLONG8 beyond that range is
 * refused by libtiff as an incorrect value).
 */
function isCount(value: unknown, maximum = 0xffffffff): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= maximum;
}

/**
 * Checks the size and block layout of an image: at least one pixel and one sample, blocks of at least one
 * pixel whose decoded size a read may allocate, and offset and byte-count tables with one entry per block.
 *
 * @param image - The geotiff.js image.
 * @param directory - Its entries, from {@link readDirectory}.
 * @param name - The source's name, for error messages.
 * @returns The layout.
 * @throws Error (`is truncated or corrupt`) for an empty image, a missing or mis-sized offset table,
 *   blocks of no pixels, a layout tag of a non-integer field type, Compression 0, strip and tile tags in
 *   one directory, or a Predictor that libtiff refuses (not 1, 2 or 3; 2 with samples that are not 8, 16,
 *   32 or 64 bits; 3 with samples that are not floating point); RangeError for blocks larger than
 *   {@link MAX_READ_BYTES}.
 */
export async function checkLayout(
  image: GeoTIFFImage,
  directory: Directory,
  name: string,
): Promise<TiffLayout> {
  const width = image.getWidth();
  const height = image.getHeight();
  const samplesPerPixel = image.getSamplesPerPixel();
  if (!isCount(width) || !isCount(height)) {
    throw corruptFileError(name, `its image is ${width} x ${height} pixels`);
  }
  if (!isCount(samplesPerPixel, 0xffff))
    throw corruptFileError(name, `it has ${samplesPerPixel} samples per pixel`);
  checkLayoutTags(image, directory, name);
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
    predictor: await checkPredictor(image, bits, name),
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
  /** 0 for a sparse block (offset 0 too: not written; read as nodata, or 0, as GDAL does). */
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
    if (byteCount === 0 && offset !== 0) {
      // A sparse block has offset 0 and byte count 0 (GDAL's SPARSE_OK); a lone 0 byte count is damage, which
      // libtiff sometimes repairs by guessing the strip's size.
      throw corruptFileError(
        name,
        `${block.label} has offset ${offset} and byte count 0; a sparse block has both 0`,
      );
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
