import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { addDecoder, BaseDecoder } from 'geotiff';

const inflateAsync = promisify(inflate);

const CLEAR_CODE = 256;
const END_OF_INFORMATION = 257;
const FIRST_FREE_CODE = 258;
const TABLE_SIZE = 4096;

/**
 * Decodes a TIFF LZW stream (MSB-first codes, 9-12 bits, "early change") into at most `capacity` bytes.
 *
 * @param input - The compressed strip or tile.
 * @param capacity - The decoded size of the block; output beyond it is dropped, a short stream is zero-padded.
 * @returns The decoded bytes.
 * @throws Error on a code that is not in the table (corrupt stream).
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
  while (position < capacity) {
    const code = readCode();
    if (code === END_OF_INFORMATION) break;
    if (code === CLEAR_CODE) {
      next = FIRST_FREE_CODE;
      width = 9;
      previous = -1;
      continue;
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
  return output;
}

/** Decoded bytes of one block, from the decoder parameters geotiff.js passes. */
function blockCapacity(parameters: BaseDecoder['parameters']): number {
  const bits =
    ArrayBuffer.isView(parameters.bitsPerSample) || Array.isArray(parameters.bitsPerSample)
      ? Array.from(parameters.bitsPerSample as ArrayLike<number>)
      : [parameters.bitsPerSample as number];
  const bitsPerPixel =
    parameters.planarConfiguration === 2 ? bits[0] : bits.reduce((sum, value) => sum + value, 0);
  return Math.ceil((parameters.tileWidth * bitsPerPixel) / 8) * parameters.tileHeight;
}

/** A geotiff.js decoder for TIFF compression 5 (LZW) whose memory and time are bounded by the block size. */
class BoundedLzwDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    return decodeLzw(new Uint8Array(buffer), blockCapacity(this.parameters)).buffer;
  }
}

/**
 * A geotiff.js decoder for TIFF compressions 8 and 32946 (deflate) on Node's native zlib, run on
 * libuv's thread pool and capped at the block size.
 */
class NodeDeflateDecoder extends BaseDecoder {
  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    const capacity = blockCapacity(this.parameters);
    const decoded = await inflateAsync(new Uint8Array(buffer), { maxOutputLength: Math.max(capacity, 1) });
    const exact = new Uint8Array(capacity);
    exact.set(decoded.subarray(0, capacity));
    return exact.buffer;
  }
}

let registered = false;

/**
 * Replaces geotiff.js's LZW decoder by {@link decodeLzw} and its deflate decoder by Node's zlib, once per process.
 *
 * @remarks geotiff.js 3.0.5's LZW decoder can loop until V8 aborts the process on a corrupt stream;
 *   this keeps a corrupt file an ordinary error. Native zlib inflates several times faster than pako.
 */
export function registerNodeDecoders(): void {
  if (registered) return;
  addDecoder(5, async () => BoundedLzwDecoder);
  addDecoder([8, 32946], async () => NodeDeflateDecoder);
  registered = true;
}
