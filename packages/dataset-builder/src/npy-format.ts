import { open, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import {
  checkNpyDataLength,
  encodeNpyHeader,
  fromLittleEndianBytes,
  MAX_NPY_ALLOCATION_BYTES,
  readFully,
  readNpyHeader,
  toLittleEndianBytes,
} from './npy-header.js';

/**
 * Writes a float32 array to a `.npy` file (NumPy format 1.0, `'<f4'`, C order).
 *
 * @param path - Destination file; overwritten.
 * @param values - Elements in C order.
 * @param shape - Array shape; its product must equal `values.length`.
 * @returns A promise that resolves when the file is written.
 * @throws RangeError if the shape does not match the number of values.
 * @example
 * ```ts
 * await writeNpy('heights.npy', new Float32Array([1, 2, 3, 4]), [2, 2]);
 * ```
 */
export async function writeNpy(path: string, values: Float32Array, shape: readonly number[]): Promise<void> {
  const count = shape.reduce((product, size) => product * size, 1);
  if (count !== values.length) {
    throw new RangeError(`writeNpy: shape [${shape}] holds ${count} values; got ${values.length}`);
  }
  await writeFile(path, Buffer.concat([encodeNpyHeader(shape), toLittleEndianBytes(values)]));
}

/**
 * Reads a whole `.npy` file written as `'<f4'` in C order, after checking that it is complete.
 *
 * @param path - The file.
 * @returns Its shape and values.
 * @throws TypeError naming the file if it is not a supported `.npy` file (magic, version 1.0, dtype `'<f4'`,
 *   C order, a shape of non-negative integers), if it is truncated or has trailing bytes (the data after the
 *   header must be exactly 4 bytes per element of the shape; the message gives both counts), or if its shape
 *   needs more than 2 GiB. Sizes are checked before the data is allocated.
 * @example
 * ```ts
 * const { shape, values } = await readNpy('heights.npy');
 * ```
 */
export async function readNpy(path: string): Promise<{ shape: readonly number[]; values: Float32Array }> {
  const handle = await open(path, 'r');
  try {
    const { header, fileBytes } = await readNpyHeader(handle, path, 'readNpy');
    const byteLength = checkNpyDataLength(header, fileBytes, path, 'readNpy', MAX_NPY_ALLOCATION_BYTES);
    const littleEndian = endianness() === 'LE';
    const values = new Float32Array(byteLength / 4);
    const bytes = littleEndian ? new Uint8Array(values.buffer) : Buffer.alloc(byteLength);
    const read = await readFully(handle, bytes, header.dataOffset);
    if (read !== byteLength) {
      throw new TypeError(
        `readNpy: ${path} is truncated: shape [${header.shape.join(', ')}] needs ${byteLength} bytes of data after the header, only ${read} could be read (the file shrank while being read)`,
      );
    }
    return { shape: header.shape, values: littleEndian ? values : fromLittleEndianBytes(bytes as Buffer) };
  } finally {
    await handle.close();
  }
}
