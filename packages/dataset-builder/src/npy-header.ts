import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';

/** The first six bytes of every `.npy` file. */
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** Bytes before the header dictionary in format version 1.0: magic, version, 2-byte length. */
export const PREAMBLE_BYTES = 10;
/** Header length that streaming writers reserve, so the final shape always fits. */
export const RESERVED_HEADER_BYTES = 128;
/** Most bytes a reader allocates for one array or one record (2 GiB); a header asking for more is refused. */
export const MAX_NPY_ALLOCATION_BYTES = 2 ** 31;

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
    if (!Number.isSafeInteger(size) || size < 0) {
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
 * Parses and checks the header of a `.npy` file from its first bytes.
 *
 * @param bytes - At least the whole header (the first 128 bytes suffice for files this package writes).
 * @param name - File name used in error messages.
 * @returns The shape and where the data starts.
 * @throws TypeError naming `name` if the bytes are not a complete version 1.0 `.npy` header of a C-ordered
 *   `'<f4'` array whose shape is a tuple of non-negative integers: a wrong magic or version, a header cut
 *   short ("is truncated"), another dtype (the message says which was found), Fortran order, or a malformed
 *   dictionary.
 * @remarks Only the header is checked; `readNpy` and `NpyRecordReader` compare its shape with the bytes that follow.
 * @example
 * ```ts
 * parseNpyHeader(encodeNpyHeader([4, 2])).shape; // [4, 2]
 * ```
 */
export function parseNpyHeader(bytes: Uint8Array, name = 'array'): NpyHeader {
  return decodeNpyHeader(bytes, name, 'parseNpyHeader');
}

/**
 * {@link parseNpyHeader} with the calling function's name at the start of error messages.
 *
 * @param bytes - At least the whole header.
 * @param name - File name used in error messages.
 * @param caller - Function name used in error messages.
 * @returns The parsed header.
 * @throws TypeError as {@link parseNpyHeader}.
 */
export function decodeNpyHeader(bytes: Uint8Array, name: string, caller: string): NpyHeader {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail: (problem: string) => never = (problem) => {
    throw new TypeError(`${caller}: ${name} ${problem}`);
  };
  const prefix = buffer.subarray(0, MAGIC.length);
  if (!prefix.equals(MAGIC.subarray(0, prefix.length))) {
    fail(`is not a .npy file: it starts with bytes ${hexBytes(prefix)}; expected the \\x93NUMPY magic`);
  }
  if (buffer.length < PREAMBLE_BYTES) {
    fail(
      `is truncated: a .npy file starts with a ${PREAMBLE_BYTES}-byte preamble, the file has ${buffer.length} bytes`,
    );
  }
  if (buffer[6] !== 1 || buffer[7] !== 0) {
    fail(`has .npy format version ${buffer[6]}.${buffer[7]}; expected 1.0`);
  }
  const dataOffset = PREAMBLE_BYTES + buffer.readUInt16LE(8);
  if (buffer.length < dataOffset) {
    fail(`is truncated: its header declares ${dataOffset} bytes, the file has ${buffer.length}`);
  }
  const text = buffer.toString('latin1', PREAMBLE_BYTES, dataOffset);
  if (!text.endsWith('\n')) {
    fail(
      `has a header that does not end with a newline at byte ${dataOffset}; expected a NumPy header dictionary padded to its declared length (the length field or the header is damaged)`,
    );
  }
  const entries = parseHeaderDictionary(text, (problem) => fail(`has a malformed header: ${problem}`));
  const descr = entries.get('descr');
  if (typeof descr !== 'string') fail(`has a header without a 'descr' string; expected 'descr': '<f4'`);
  if (descr !== '<f4') {
    fail(`holds dtype ${quote(descr as string)}; expected '<f4' (little-endian float32)`);
  }
  const fortran = entries.get('fortran_order');
  if (typeof fortran !== 'boolean') {
    fail(`has a header without a True/False 'fortran_order'; expected 'fortran_order': False`);
  }
  if (fortran)
    fail(`is stored in Fortran order (fortran_order True); expected C order (fortran_order False)`);
  const shape = entries.get('shape');
  if (!Array.isArray(shape))
    fail(`has a header without a 'shape' tuple; expected e.g. 'shape': (120, 32, 32, 1)`);
  for (const key of entries.keys()) {
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') {
      fail(`has an unexpected header key ${quote(key)}; expected only 'descr', 'fortran_order' and 'shape'`);
    }
  }
  return { descr: '<f4', shape: shape as number[], dataOffset };
}

/**
 * Number of data bytes a header's shape needs (`4 ×` the element count), exactly, as a bigint.
 *
 * @param shape - Array shape of non-negative integers.
 * @returns The byte count.
 */
export function npyDataBytes(shape: readonly number[]): bigint {
  return shape.reduce((product, size) => product * BigInt(size), 4n);
}

/**
 * Checks that the bytes after a `.npy` header are exactly those its shape needs.
 *
 * @param header - The parsed header.
 * @param fileBytes - Size of the whole file in bytes.
 * @param name - File name used in error messages.
 * @param caller - Function name used in error messages.
 * @param maxDataBytes - Refuse shapes needing more than this many data bytes (about to be allocated).
 * @returns The number of data bytes.
 * @throws TypeError naming the file if it is truncated, has trailing bytes, or needs more than `maxDataBytes`.
 */
export function checkNpyDataLength(
  header: NpyHeader,
  fileBytes: number,
  name: string,
  caller: string,
  maxDataBytes = Number.MAX_SAFE_INTEGER,
): number {
  const needed = npyDataBytes(header.shape);
  const present = fileBytes - header.dataOffset;
  const shape = `shape [${header.shape.join(', ')}]`;
  if (needed > BigInt(present)) {
    throw new TypeError(
      `${caller}: ${name} is truncated: ${shape} needs ${needed} bytes of data after the header, the file has ${present}`,
    );
  }
  if (needed < BigInt(present)) {
    throw new TypeError(
      `${caller}: ${name} has ${BigInt(present) - needed} trailing bytes: ${shape} needs ${needed} bytes of data after the header, the file has ${present}`,
    );
  }
  if (needed > BigInt(maxDataBytes)) {
    throw new TypeError(
      `${caller}: ${name} has ${shape}, ${needed} bytes of data, more than the ${maxDataBytes} bytes ${caller} allocates at once; expected a smaller array (read it record by record with NpyRecordReader)`,
    );
  }
  return Number(needed);
}

/**
 * Reads and checks the header of an open `.npy` file.
 *
 * @param handle - The open file.
 * @param name - File name used in error messages.
 * @param caller - Function name used in error messages.
 * @returns The header and the file's size in bytes.
 * @throws TypeError as {@link parseNpyHeader} (a file shorter than its header is "truncated").
 */
export async function readNpyHeader(
  handle: FileHandle,
  name: string,
  caller: string,
): Promise<{ header: NpyHeader; fileBytes: number }> {
  const fileBytes = (await handle.stat()).size;
  const preamble = Buffer.alloc(Math.min(fileBytes, PREAMBLE_BYTES));
  const preambleRead = await readFully(handle, preamble, 0);
  let headerBytes = preamble.subarray(0, preambleRead);
  if (preambleRead === PREAMBLE_BYTES && headerBytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    const declared = PREAMBLE_BYTES + headerBytes.readUInt16LE(8);
    const whole = Buffer.alloc(Math.min(fileBytes, declared));
    headerBytes = whole.subarray(0, await readFully(handle, whole, 0));
  }
  return { header: decodeNpyHeader(headerBytes, name, caller), fileBytes };
}

/**
 * Positioned read that fills `target` unless the file ends first.
 *
 * @param handle - The open file.
 * @param target - Destination bytes.
 * @param position - File offset of the first byte.
 * @returns The number of bytes read (less than `target.length` only at the end of the file).
 */
export async function readFully(handle: FileHandle, target: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  while (filled < target.length) {
    const { bytesRead } = await handle.read(target, filled, target.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
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

type HeaderValue = string | boolean | number[];

/**
 * Parses the Python dictionary literal of a `.npy` header: string keys; values that are strings, `True`,
 * `False` or tuples of non-negative integers; optional trailing commas; spaces and the final newline around it.
 */
function parseHeaderDictionary(text: string, fail: (problem: string) => never): Map<string, HeaderValue> {
  let at = 0;
  const skipSpaces = () => {
    while (at < text.length && (text[at] === ' ' || text[at] === '\t' || text[at] === '\n')) at += 1;
  };
  const found = () => (at >= text.length ? 'the end of the header' : quote(text.slice(at, at + 12)));
  const expect = (character: string, what: string) => {
    skipSpaces();
    if (text[at] !== character) fail(`expected ${what} at character ${at}, found ${found()}`);
    at += 1;
  };
  const readString = (): string => {
    skipSpaces();
    const delimiter = text[at];
    if (delimiter !== "'" && delimiter !== '"')
      fail(`expected a quoted string at character ${at}, found ${found()}`);
    const end = text.indexOf(delimiter as string, at + 1);
    if (end < 0) fail(`unterminated string at character ${at}`);
    const value = text.slice(at + 1, end);
    at = end + 1;
    return value;
  };
  const readTuple = (): number[] => {
    expect('(', "'('");
    const close = text.indexOf(')', at);
    if (close < 0) fail(`unterminated shape tuple at character ${at}`);
    const inner = text.slice(at, close);
    at = close + 1;
    // Python's whitespace here is ASCII: String.trim would also strip no-break spaces that NumPy refuses.
    const parts = inner.split(',').map(trimAscii);
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    if (parts.length === 1 && parts[0] === '') return [];
    if (parts.length === 1 && !/,\s*$/.test(inner)) {
      fail(`shape (${inner}) is not a tuple; expected a trailing comma for one axis, e.g. (${parts[0]},)`);
    }
    return parts.map((part) => {
      const size = Number(part);
      // Python integer literals: no leading zeros (NumPy refuses `016`).
      if (!/^(0|[1-9]\d*)$/.test(part) || !Number.isSafeInteger(size)) {
        fail(`shape (${inner}) has entry ${quote(part)}; expected non-negative integers`);
      }
      return size;
    });
  };
  const readValue = (): HeaderValue => {
    skipSpaces();
    if (text[at] === "'" || text[at] === '"') return readString();
    if (text[at] === '(') return readTuple();
    for (const [word, value] of [
      ['True', true],
      ['False', false],
    ] as const) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return value;
      }
    }
    return fail(`expected a string, True, False or a tuple at character ${at}, found ${found()}`);
  };
  const entries = new Map<string, HeaderValue>();
  expect('{', "'{'");
  skipSpaces();
  while (text[at] !== '}') {
    const key = readString();
    if (entries.has(key)) fail(`key ${quote(key)} appears twice`);
    expect(':', "':'");
    entries.set(key, readValue());
    skipSpaces();
    if (text[at] === ',') {
      at += 1;
      skipSpaces();
    } else if (text[at] !== '}') {
      fail(`expected ',' or '}' at character ${at}, found ${found()}`);
    }
  }
  at += 1;
  if (trimAscii(text.slice(at)) !== '') fail(`unexpected ${found()} after the dictionary`);
  return entries;
}

/** Removes ASCII spaces, tabs and line ends at both ends (not the other Unicode spaces that `trim` removes). */
function trimAscii(text: string): string {
  return text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

function quote(text: string): string {
  return JSON.stringify(text).replace(/^"|"$/g, "'");
}

function hexBytes(bytes: Uint8Array): string {
  return bytes.length === 0
    ? '(none, the file is empty)'
    : Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
