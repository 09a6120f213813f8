import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { addDecoder, BaseDecoder, type ImageFileDirectory } from 'geotiff';

const inflateAsync = promisify(inflate);

const CLEAR_CODE = 256;
const END_OF_INFORMATION = 257;
const FIRST_FREE_CODE = 258;
const TABLE_SIZE = 4096;

/**
 * Decodes a TIFF LZW stream (MSB-first codes, 9-12 bits, "early change") into at most `capacity` bytes.
 *
 * @param input - The compressed strip or tile.
 * @param capacity - The decoded size of the block; output beyond it is dropped (as libtiff does).
 * @returns The decoded bytes: `capacity` of them, or fewer when the stream ends early (a truncated or corrupt
 *   stream; the caller compares the length with the block's size, nothing is padded).
 * @throws Error on a code that is not in the table, a stream that does not start with a clear code, or a code
 *   after the table filled up without a clear code (corrupt streams, which libtiff refuses too).
 * @remarks Every loop is bounded by the input length and the table size, so corrupt input cannot hang
 *   or grow memory without limit.
 */
export function decodeLzw(input: Uint8Array, capacity: number): Uint8Array {
  const output = new Uint8Array(capacity);
  const prefix = new Int16Array(TABLE_SIZE).fill(-1);
  const suffix = new Uint8Array(TABLE_SIZE);
  const lengths = new Uint16Array(TABLE_SIZE);
  for (let code = 0; code < 256; code++) {
    suffix[code] = code;
    lengths[code] = 1;
  }
  const totalBits = input.length * 8;
  let bitPosition = 0;
  let width = 9;
  let next = FIRST_FREE_CODE;
  let previous = -1;
  let position = 0;
  const readCode = () => {
    if (bitPosition + width > totalBits) return END_OF_INFORMATION;
    let code = 0;
    for (let bit = 0; bit < width; bit++, bitPosition++) {
      code = (code << 1) | ((input[bitPosition >> 3] >> (7 - (bitPosition & 7))) & 1);
    }
    return code;
  };
  /** Writes the string of `code` at `position`; returns its first byte. */
  const emit = (code: number) => {
    const length = lengths[code];
    let cursor = code;
    for (let index = length - 1; index >= 0; index--) {
      if (position + index < capacity) output[position + index] = suffix[cursor];
      if (index > 0) cursor = prefix[cursor];
    }
    position += length;
    return suffix[cursor];
  };
  const add = (code: number, character: number) => {
    if (next >= TABLE_SIZE) return;
    prefix[next] = code;
    suffix[next] = character;
    lengths[next] = lengths[code] + 1;
    next++;
  };
  let cleared = false;
  while (position < capacity) {
    const code = readCode();
    if (code === END_OF_INFORMATION) break;
    if (code === CLEAR_CODE) {
      next = FIRST_FREE_CODE;
      width = 9;
      previous = -1;
      cleared = true;
      continue;
    }
    // As libtiff: a stream starts with a clear code, and once the table is full only a clear code may follow.
    if (!cleared) throw new Error('LZW: the stream does not start with a clear code; the stream is corrupt');
    if (next >= TABLE_SIZE) {
      throw new Error(
        `LZW: code ${code} after the table filled up (${TABLE_SIZE} entries) without a clear code; the stream is corrupt`,
      );
    }
    if (previous < 0) {
      if (code > 255) throw new Error(`LZW: code ${code} after a clear code; the stream is corrupt`);
      emit(code);
    } else if (code < next) {
      add(previous, emit(code));
    } else if (code === next) {
      const first = emit(previous);
      if (position < capacity) output[position] = first;
      position++;
      add(previous, first);
    } else {
      throw new Error(`LZW: code ${code} is not in the table (${next} entries); the stream is corrupt`);
    }
    previous = code;
    if (next >= (1 << width) - 1 && width < 12) width++;
  }
  return position >= capacity ? output : output.slice(0, position);
}

/** Decoder parameters with the image height, so that the short last strip can be recognised. */
export type BlockDecoderParameters = BaseDecoder['parameters'] & {
  /** The image height in rows (for strips: the last strip has `imageHeight % tileHeight` rows, if not 0). */
  readonly imageHeight?: number;
  readonly tiled?: boolean;
};

function bitsPerPixel(parameters: BaseDecoder['parameters']): number {
  const bits =
    ArrayBuffer.isView(parameters.bitsPerSample) || Array.isArray(parameters.bitsPerSample)
      ? Array.from(parameters.bitsPerSample as ArrayLike<number>)
      : [parameters.bitsPerSample as number];
  return parameters.planarConfiguration === 2 ? bits[0] : bits.reduce((sum, value) => sum + value, 0);
}

/** Decoded bytes of one whole block, from the decoder parameters geotiff.js passes. */
function blockCapacity(parameters: BaseDecoder['parameters']): number {
  return Math.ceil((parameters.tileWidth * bitsPerPixel(parameters)) / 8) * parameters.tileHeight;
}

/** The decoded sizes a block may have: a whole block, or the last strip's rows when it is shorter. */
function blockSizes(parameters: BlockDecoderParameters): number[] {
  const capacity = blockCapacity(parameters);
  const { imageHeight, tiled, tileHeight } = parameters;
  if (tiled !== false || imageHeight === undefined || imageHeight % tileHeight === 0) return [capacity];
  return [capacity, (capacity / tileHeight) * (imageHeight % tileHeight)];
}

/** A geotiff.js decoder for TIFF compression 5 (LZW) whose memory and time are bounded by the block size. */
class BoundedLzwDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    return decodeLzw(new Uint8Array(buffer), blockCapacity(this.parameters)).buffer;
  }
}

/**
 * A geotiff.js decoder for TIFF compressions 8 and 32946 (deflate) on Node's native zlib, run on
 * libuv's thread pool. A stream that decodes to more than the block's size is refused; one that decodes to
 * less is returned as it is (the caller compares the length with the block's size).
 */
class NodeDeflateDecoder extends BaseDecoder {
  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    const capacity = blockCapacity(this.parameters);
    let decoded: Uint8Array;
    try {
      decoded = await inflateAsync(new Uint8Array(buffer), { maxOutputLength: Math.max(capacity, 1) });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new Error(`deflate: the stream decodes to more than the block's ${capacity} bytes`);
      }
      throw new Error(`deflate: ${(error as Error).message}`);
    }
    // A copy: zlib's Buffer may be a view into a larger (pooled) ArrayBuffer.
    const exact = new Uint8Array(decoded.byteLength);
    exact.set(decoded);
    return exact.buffer;
  }
}

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_MAX_BLOCK_BYTES = 128 * 1024;
const DICTIONARY_ID_BYTES = [0, 1, 2, 4];
const CONTENT_SIZE_BYTES = [0, 2, 4, 8];

/** Where the parts of a zstd frame lie. */
export interface ZstdFrame {
  /** Offset of the first block (the end of the frame header). */
  readonly headerEnd: number;
  /** The decoded size the header declares, or `null` when it declares none (libtiff's frames). */
  readonly contentSize: number | null;
  /** Offset just past the frame (its last block and checksum). */
  readonly end: number;
}

/**
 * Walks one zstd frame (RFC 8878, section 3.1.1) without decoding it: header fields, then block headers up
 * to the last block.
 *
 * @throws Error for a stream that is not a zstd frame, uses reserved bits or block types, or ends inside
 *   the frame.
 */
export function parseZstdFrame(input: Uint8Array): ZstdFrame {
  const need = (end: number) => {
    if (end > input.length) throw new Error(`zstd: the stream ends inside its frame (${input.length} bytes)`);
  };
  need(5);
  const magic = (input[0] | (input[1] << 8) | (input[2] << 16) | (input[3] << 24)) >>> 0;
  if (magic !== ZSTD_MAGIC) throw new Error('zstd: the block does not start with a zstd frame');
  const descriptor = input[4];
  if (descriptor & 0x08) throw new Error('zstd: the frame header sets a reserved bit');
  const contentSizeFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const hasChecksum = (descriptor >> 2) & 1;
  let position = 5 + (singleSegment ? 0 : 1) + DICTIONARY_ID_BYTES[descriptor & 3];
  const contentSizeBytes = contentSizeFlag === 0 ? singleSegment : CONTENT_SIZE_BYTES[contentSizeFlag];
  need(position + contentSizeBytes);
  let contentSize: number | null = null;
  if (contentSizeBytes > 0) {
    contentSize = 0;
    for (let index = contentSizeBytes - 1; index >= 0; index--)
      contentSize = contentSize * 256 + input[position + index];
    if (contentSizeBytes === 2) contentSize += 256;
  }
  position += contentSizeBytes;
  const headerEnd = position;
  for (;;) {
    need(position + 3);
    const header = input[position] | (input[position + 1] << 8) | (input[position + 2] << 16);
    position += 3;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) throw new Error('zstd: the frame has a block of the reserved type');
    if (type === 2 && size > ZSTD_MAX_BLOCK_BYTES)
      throw new Error(`zstd: a compressed block of ${size} bytes`);
    position += type === 1 ? 1 : size;
    need(position);
    if (header & 1) break;
  }
  if (hasChecksum) {
    position += 4;
    need(position);
  }
  return { headerEnd, contentSize, end: position };
}

/** The frame with its header declaring `contentSize` (8-byte Frame_Content_Size), trailing bytes dropped. */
function withContentSize(input: Uint8Array, frame: ZstdFrame, contentSize: number): ArrayBuffer {
  if (frame.contentSize !== null) return input.slice(0, frame.end).buffer;
  const output = new Uint8Array(frame.end + 8);
  output.set(input.subarray(0, frame.headerEnd));
  output[4] = (input[4] & 0x3f) | 0xc0;
  let rest = contentSize;
  for (let index = 0; index < 8; index++) {
    output[frame.headerEnd + index] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  output.set(input.subarray(frame.headerEnd, frame.end), frame.headerEnd + 8);
  return output.buffer;
}

/**
 * geotiff.js's zstd decoder made safe on corrupt input: zstddec decodes a frame without a declared size
 * (libtiff writes none) by streaming, and loops without end, allocating, on a stream it cannot decode. This
 * checks the frame's structure, declares the block's decoded size in the frame header so that zstddec
 * decodes in one call into a buffer of that size, and tries the short last strip's size too.
 */
class BoundedZstdDecoder extends BaseDecoder {
  constructor(
    parameters: BlockDecoderParameters,
    private readonly inner: BaseDecoder,
  ) {
    super(parameters);
  }

  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    const input = new Uint8Array(buffer);
    const frame = parseZstdFrame(input);
    const sizes = blockSizes(this.parameters);
    if (frame.contentSize !== null && frame.contentSize > sizes[0]) {
      throw new Error(
        `zstd: the frame declares ${frame.contentSize} bytes, more than the block's ${sizes[0]}`,
      );
    }
    for (const size of frame.contentSize === null ? sizes : [frame.contentSize]) {
      const decoded = await this.inner.decodeBlock(withContentSize(input, frame, size));
      if (decoded.byteLength === size) return decoded;
    }
    throw new Error(
      `zstd: the frame is corrupt or does not decode to the block's ${sizes.join(' or ')} bytes`,
    );
  }
}

/**
 * Wraps geotiff.js's zstd decoder (compression 50000) with {@link BoundedZstdDecoder}'s checks.
 *
 * @param parameters - The block's decoder parameters (with `imageHeight` and `tiled` for striped files).
 * @param inner - geotiff.js's zstd decoder, from `getDecoder(50000, ...)`.
 */
export function boundedZstdDecoder(parameters: BlockDecoderParameters, inner: BaseDecoder): BaseDecoder {
  return new BoundedZstdDecoder(parameters, inner);
}

/**
 * geotiff.js's default decoder parameters, with the strip height clipped to the image height (a single-strip
 * file's RowsPerStrip is often 2^32 - 1, which the decoders would allocate) and the image height added.
 */
async function boundedParameters(directory: ImageFileDirectory): Promise<BlockDecoderParameters> {
  const tiled = !directory.hasTag('StripOffsets');
  const imageHeight = Number(await directory.loadValue('ImageLength'));
  const rowsPerStrip = Number((await directory.loadValue('RowsPerStrip')) || imageHeight);
  return {
    tileWidth: Number(await directory.loadValue(tiled ? 'TileWidth' : 'ImageWidth')),
    tileHeight: tiled ? Number(await directory.loadValue('TileLength')) : Math.min(rowsPerStrip, imageHeight),
    planarConfiguration: Number((await directory.loadValue('PlanarConfiguration')) || 1),
    bitsPerSample: (await directory.loadValue('BitsPerSample')) as number[],
    predictor: Number((await directory.loadValue('Predictor')) || 1),
    imageHeight,
    tiled,
  };
}

let registered = false;

/**
 * Replaces geotiff.js's LZW decoder by {@link decodeLzw} and its deflate decoder by Node's zlib, once per process.
 *
 * @remarks geotiff.js 3.0.5's LZW decoder can loop until V8 aborts the process on a corrupt stream;
 *   this keeps a corrupt file an ordinary error. Native zlib inflates several times faster than pako.
 *   Neither pads a short stream with zeros. (zstd is bounded where blocks are decoded, with
 *   {@link boundedZstdDecoder}.)
 */
export function registerNodeDecoders(): void {
  if (registered) return;
  addDecoder(5, async () => BoundedLzwDecoder, boundedParameters);
  addDecoder([8, 32946], async () => NodeDeflateDecoder, boundedParameters);
  registered = true;
}
