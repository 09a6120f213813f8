import { BaseDecoder, type GeoTIFFImage, getDecoder, type Pool } from 'geotiff';
import type { PixelWindow, RasterTypedArray } from '../types.js';
import { type BlockDecoderParameters, boundedZstdDecoder } from './decoders.js';
import { fetchedOffset } from './sources.js';
import {
  type BlockRef,
  blocksInWindow,
  corruptFileError,
  type LocatedBlock,
  locateBlocks,
  reasonOf,
  type TiffLayout,
} from './tiff-checks.js';

/** Compressions whose geotiff.js decoders take only the default parameters. */
const DEFAULT_PARAMETER_COMPRESSIONS = new Set([1, 5, 8, 32946, 32773, 50000]);
const ZSTD = 50000;

type ArrayConstructor = new (
  buffer: ArrayBufferLike,
  byteOffset?: number,
  length?: number,
) => RasterTypedArray;

/** What a block read needs to know besides the image: names for errors, limits for checks. */
export interface BlockReadContext {
  /** The source's name, for error messages. */
  readonly name: string;
  /** The file's size in bytes, or `null` when the source cannot tell (block ranges are then not checked). */
  readonly fileSize: number | null;
  /** The value of sparse blocks (offset and byte count 0), as GDAL fills them; 0 when `null`. */
  readonly nodata: number | null;
}

/** Applies only the predictor of its parameters (geotiff.js's implementation) to decompressed bytes. */
class PredictorOnlyDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    return buffer;
  }
}

/** Decodes one block's bytes: decompression, size check, predictor. */
type BlockDecodeFunction = (block: BlockRef, data: ArrayBufferLike) => Promise<ArrayBufferLike>;

/**
 * A block decoder that checks what it decodes: a decompressor failure is reported as `<block> failed to
 * decode (<reason>)`, fewer bytes than the block's pixels need as `<block> decoded to n bytes, expected m`;
 * bytes beyond the block's size (padding) are dropped. The predictor is applied after the check.
 */
async function createBlockDecoder(
  compression: number,
  parameters: BlockDecoderParameters,
  name: string,
  bigEndianSampleBytes = 1,
): Promise<BlockDecodeFunction> {
  const plain: BlockDecoderParameters = { ...parameters, predictor: 1 };
  let decompressor = await getDecoder(compression, plain);
  if (compression === ZSTD) decompressor = boundedZstdDecoder(plain, decompressor);
  const predictor = parameters.predictor !== 1 ? new PredictorOnlyDecoder(parameters) : null;
  return async (block, data) => {
    let decoded: ArrayBufferLike;
    try {
      decoded = await decompressor.decode(data);
    } catch (error) {
      throw corruptFileError(name, `${block.label} failed to decode (${reasonOf(error)})`, error);
    }
    if (decoded.byteLength < block.decodedBytes) {
      throw corruptFileError(
        name,
        `${block.label} decoded to ${decoded.byteLength} bytes, expected ${block.decodedBytes}`,
      );
    }
    if (decoded.byteLength > block.decodedBytes) decoded = decoded.slice(0, block.decodedBytes);
    if (predictor === null) return decoded;
    try {
      // geotiff.js applies the predictor in the machine's (little-endian) byte order, while its readRasters
      // reads samples in the file's: a big-endian block is put in little-endian order for a horizontal
      // predictor and back after it, and the floating-point predictor's output (little-endian) is swapped.
      const swap = bigEndianSampleBytes > 1;
      if (swap && parameters.predictor === 2) swapSampleBytes(decoded, bigEndianSampleBytes);
      const predicted = await predictor.decode(decoded);
      if (swap) swapSampleBytes(predicted, bigEndianSampleBytes);
      return predicted;
    } catch (error) {
      throw corruptFileError(name, `${block.label} failed to decode (predictor: ${reasonOf(error)})`, error);
    }
  };
}

/** Reverses the byte order of every `sampleBytes`-byte sample of a buffer, in place. */
function swapSampleBytes(buffer: ArrayBufferLike, sampleBytes: number): void {
  const bytes = new Uint8Array(buffer);
  for (let start = 0; start + sampleBytes <= bytes.length; start += sampleBytes) {
    for (let low = start, high = start + sampleBytes - 1; low < high; low++, high--) {
      const byte = bytes[low];
      bytes[low] = bytes[high];
      bytes[high] = byte;
    }
  }
}

/**
 * Reads a window of a little-endian GeoTIFF block by block into band-sequential `output`, copying
 * whole rows with typed arrays (geotiff.js's `readRasters` converts sample by sample).
 *
 * Before anything is decoded, every block the window needs is checked to lie inside the file; each
 * decoded block must hold at least its pixels' bytes (see {@link createBlockDecoder}).
 *
 * @param image - The geotiff.js image.
 * @param layout - Its block layout (checked).
 * @param window - The pixels to read (inside the image).
 * @param bands - 0-based samples to read, in output order (all of one element type).
 * @param output - Destination, length `bands.length * window.width * window.height`.
 * @param context - File name and size, nodata.
 * @returns `false` (and reads nothing) when the file is big-endian, its compression needs decoder
 *   parameters beyond the defaults, or its samples differ in size; the caller then uses
 *   {@link readRastersInto}.
 * @throws Error (`readRaster: "<file>" is truncated or corrupt: ...`) for a block outside the file, one that
 *   fails to decode or decodes short.
 */
export async function readBlocksInto(
  image: GeoTIFFImage,
  layout: TiffLayout,
  window: PixelWindow,
  bands: readonly number[],
  output: RasterTypedArray,
  context: BlockReadContext,
): Promise<boolean> {
  const directory = image.getFileDirectory();
  const compression = Number(directory.getValue('Compression') ?? 1);
  const uniform = layout.sampleBytes.every((bytes) => bytes === layout.sampleBytes[0]);
  if (!image.littleEndian || !DEFAULT_PARAMETER_COMPRESSIONS.has(compression) || !uniform) return false;
  const { name, fileSize } = context;
  const blocks = await locateBlocks(image, layout, blocksInWindow(layout, window, bands), name, fileSize);
  const decode = await createBlockDecoder(
    compression,
    {
      tileWidth: layout.blockWidth,
      tileHeight: layout.blockHeight,
      planarConfiguration: image.planarConfiguration,
      bitsPerSample: Array.from(directory.getValue('BitsPerSample') as ArrayLike<number>),
      predictor: layout.predictor,
      imageHeight: layout.height,
      tiled: layout.tiled,
    },
    name,
  );
  const Constructor = output.constructor as ArrayConstructor;
  await Promise.all(
    blocks.map(async (block) => {
      const samples = block.sample === null ? bands : [block.sample];
      if (block.byteCount === 0) {
        fillBlock(context.nodata ?? 0, block, samples, bands, layout, window, output);
        return;
      }
      const [data] = await image.source.fetch([{ offset: block.offset, length: block.byteCount }]);
      if (data.byteLength < block.byteCount) {
        throw corruptFileError(
          name,
          `${block.label} needs bytes ${block.offset}..${block.offset + block.byteCount} but only ` +
            `${data.byteLength} of them could be read`,
        );
      }
      const decoded = await decode(block, data);
      const elements = new Constructor(
        decoded,
        0,
        Math.floor(decoded.byteLength / Constructor.prototype.BYTES_PER_ELEMENT),
      );
      copyBlock(elements, block, samples, bands, layout, window, output);
    }),
  );
  return true;
}

/**
 * Reads a window with geotiff.js's `readRasters` (big-endian files, compressions that need decoder
 * parameters) into band-sequential `output`, with the same checks as {@link readBlocksInto}: block ranges
 * before anything is read, and each decoded block's size (through a decoder handed to geotiff.js as its
 * `pool`; the block is recognised by the file offset its bytes were read from).
 *
 * @throws Error (`readRaster: "<file>" is truncated or corrupt: ...`) as {@link readBlocksInto}.
 */
export async function readRastersInto(
  image: GeoTIFFImage,
  layout: TiffLayout,
  window: PixelWindow,
  bands: readonly number[],
  output: RasterTypedArray,
  context: BlockReadContext,
): Promise<void> {
  const { name, fileSize } = context;
  const blocks = await locateBlocks(image, layout, blocksInWindow(layout, window, bands), name, fileSize);
  const byOffset = new Map<number, LocatedBlock>();
  for (const block of blocks)
    if (block.byteCount > 0 && !byOffset.has(block.offset)) byOffset.set(block.offset, block);
  const unknown: BlockRef = {
    ...blocks[0],
    label: 'a block',
    decodedBytes: Math.min(...blocks.map((block) => block.decodedBytes)),
  };
  const pool = {
    bindParameters(compression: number, parameters: BlockDecoderParameters) {
      const decoder = createBlockDecoder(
        compression,
        {
          ...parameters,
          predictor: layout.predictor,
          tileHeight: layout.blockHeight,
          imageHeight: layout.height,
          tiled: layout.tiled,
        },
        name,
        image.littleEndian ? 1 : Math.max(...layout.sampleBytes),
      );
      decoder.catch(() => {}); // reported by the first decode
      return {
        decode: async (data: ArrayBufferLike) => {
          const offset = fetchedOffset(data);
          const block = (offset === undefined ? undefined : byOffset.get(offset)) ?? unknown;
          return (await decoder)(block, data);
        },
      };
    },
  };
  const pixels = window.width * window.height;
  const rasters = await image.readRasters({
    window: [window.x, window.y, window.x + window.width, window.y + window.height],
    samples: [...bands],
    interleave: false,
    pool: pool as unknown as Pool,
  });
  for (let band = 0; band < bands.length; band++) {
    const source = rasters[band];
    if (!source || source.length < pixels) {
      throw corruptFileError(
        name,
        `band ${bands[band]} decoded to ${source?.length ?? 0} of ${pixels} pixels`,
      );
    }
    output.set(source.length === pixels ? source : source.subarray(0, pixels), band * pixels);
  }
}

/** The part of a block inside the window: columns `[x0, x1)`, rows `[y0, y1)` in image coordinates. */
function overlap(block: BlockRef, layout: TiffLayout, window: PixelWindow) {
  const blockX = block.column * layout.blockWidth;
  const blockY = block.row * layout.blockHeight;
  return {
    blockX,
    blockY,
    x0: Math.max(window.x, blockX),
    x1: Math.min(window.x + window.width, blockX + layout.blockWidth),
    y0: Math.max(window.y, blockY),
    y1: Math.min(window.y + window.height, blockY + layout.blockHeight),
  };
}

/** Fills the part of a sparse block that lies in the window with `value`. */
function fillBlock(
  value: number,
  block: BlockRef,
  samples: readonly number[],
  bands: readonly number[],
  layout: TiffLayout,
  window: PixelWindow,
  output: RasterTypedArray,
): void {
  const { x0, x1, y0, y1 } = overlap(block, layout, window);
  const plane = window.width * window.height;
  for (let band = 0; band < bands.length; band++) {
    if (!samples.includes(bands[band])) continue;
    for (let y = y0; y < y1; y++) {
      const target = band * plane + (y - window.y) * window.width + (x0 - window.x);
      output.fill(value, target, target + (x1 - x0));
    }
  }
}

/**
 * Copies the part of one decoded block (at least its pixels' bytes, checked) that lies in the window, into
 * every output band that asks for one of the block's samples (a band may be asked for twice).
 */
function copyBlock(
  elements: RasterTypedArray,
  block: BlockRef,
  samples: readonly number[],
  bands: readonly number[],
  layout: TiffLayout,
  window: PixelWindow,
  output: RasterTypedArray,
): void {
  const { blockX, blockY, x0, x1, y0, y1 } = overlap(block, layout, window);
  const plane = window.width * window.height;
  const stride = layout.planar ? 1 : layout.samplesPerPixel;
  for (let band = 0; band < bands.length; band++) {
    const sample = bands[band];
    if (!samples.includes(sample)) continue;
    const offset = layout.planar ? 0 : sample;
    for (let y = y0; y < y1; y++) {
      const source = ((y - blockY) * layout.blockWidth + (x0 - blockX)) * stride;
      const target = band * plane + (y - window.y) * window.width + (x0 - window.x);
      if (stride === 1) {
        output.set(elements.subarray(source, source + (x1 - x0)), target);
      } else {
        for (let x = 0; x < x1 - x0; x++) output[target + x] = elements[source + x * stride + offset];
      }
    }
  }
}
