import { endianness } from 'node:os';

/** The first six bytes of every `.npy` file. */
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** Bytes before the header dictionary in format version 1.0: magic, version, 2-byte length. */
export const PREAMBLE_BYTES = 10;
/** Header length that streaming writers reserve, so the final shape always fits. */
export const RESERVED_HEADER_BYTES = 128;

/** The parsed header of a `.npy` file (NumPy format version 1.0, little-endian float32). */
export interface NpyHeader {
  /** NumPy type string; this package writes and reads `'<f4'` only. */
  readonly descr: '<f4';
  /** Array shape, C order. */
  readonly shape: readonly number[];
  /** Byte offset of the first element (the header length, a multiple of 64). */
  readonly dataOffset: number;
}

/**
 * Encodes a NumPy format 1.0 header for a little-endian float32 C-ordered array.
 *
 * @param shape - Array shape; every entry a non-negative integer.
 * @param minimumBytes - Pad the header to at least this many bytes (used by streaming writers).
 * @returns The header bytes; their length is a multiple of 64 and the last byte is a newline.
 * @throws RangeError if a shape entry is not a non-negative integer.
 * @example
 * ```ts
 * const header = encodeNpyHeader([2, 3]);
 * header.length; // 64
 * ```
 */
export function encodeNpyHeader(shape: readonly number[], minimumBytes = 0): Buffer {
  for (const size of shape) {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`encodeNpyHeader: shape entry ${size} is invalid; expected non-negative integers`);
    }
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dictionary = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = PREAMBLE_BYTES + dictionary.length + 1;
  const total = Math.max(Math.ceil(unpadded / 64) * 64, Math.ceil(minimumBytes / 64) * 64);
  if (total - PREAMBLE_BYTES > 0xffff) {
    throw new RangeError('encodeNpyHeader: header longer than 65535 bytes; expected a shorter shape');
  }
  const header = Buffer.alloc(total, 0x20);
  MAGIC.copy(header, 0);
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(total - PREAMBLE_BYTES, 8);
  header.write(dictionary, PREAMBLE_BYTES, 'latin1');
  header[total - 1] = 0x0a;
  return header;
}

/**
 * Parses the header of a `.npy` file from its first bytes.
 *
 * @param bytes - At least the whole header (the first 128 bytes suffice for files this package writes).
 * @param name - File name used in error messages.
 * @returns The shape and where the data starts.
 * @throws TypeError if the bytes are not a version 1.0 `.npy` header of a C-ordered `'<f4'` array.
 * @example
 * ```ts
 * parseNpyHeader(encodeNpyHeader([4, 2])).shape; // [4, 2]
 * ```
 */
export function parseNpyHeader(bytes: Uint8Array, name = 'array'): NpyHeader {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < PREAMBLE_BYTES || !buffer.subarray(0, 6).equals(MAGIC)) {
    throw new TypeError(`parseNpyHeader: ${name} is not a .npy file; expected the \\x93NUMPY magic`);
  }
  if (buffer[6] !== 1) {
    throw new TypeError(`parseNpyHeader: ${name} has format version ${buffer[6]}; expected 1.0`);
  }
  const dataOffset = PREAMBLE_BYTES + buffer.readUInt16LE(8);
  if (buffer.length < dataOffset) {
    throw new TypeError(`parseNpyHeader: ${name} header is truncated; expected ${dataOffset} bytes`);
  }
  const text = buffer.toString('latin1', PREAMBLE_BYTES, dataOffset);
  const descr = /'descr':\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr !== '<f4' || fortran !== 'False' || shapeText === undefined) {
    throw new TypeError(
      `parseNpyHeader: ${name} holds descr ${descr}, fortran_order ${fortran}; expected '<f4' in C order`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map(Number);
  return { descr: '<f4', shape, dataOffset };
}

/** Converts float32 values to little-endian bytes (a view when the machine is little-endian). */
export function toLittleEndianBytes(values: Float32Array): Buffer {
  if (endianness() === 'LE') return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const bytes = Buffer.alloc(values.byteLength);
  for (let i = 0; i < values.length; i += 1) bytes.writeFloatLE(values[i]!, i * 4);
  return bytes;
}

/** Reads little-endian float32 bytes into a new array. */
export function fromLittleEndianBytes(bytes: Buffer): Float32Array {
  const values = new Float32Array(bytes.byteLength / 4);
  if (endianness() === 'LE') {
    new Uint8Array(values.buffer).set(bytes);
    return values;
  }
  for (let i = 0; i < values.length; i += 1) values[i] = bytes.readFloatLE(i * 4);
  return values;
}
