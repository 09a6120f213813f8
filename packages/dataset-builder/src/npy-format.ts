import { readFile, writeFile } from 'node:fs/promises';
import { encodeNpyHeader, fromLittleEndianBytes, parseNpyHeader, toLittleEndianBytes } from './npy-header.js';

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
 * Reads a whole `.npy` file written as `'<f4'` in C order.
 *
 * @param path - The file.
 * @returns Its shape and values.
 * @throws TypeError if the file is not a supported `.npy` file or its size disagrees with the header.
 * @example
 * ```ts
 * const { shape, values } = await readNpy('heights.npy');
 * ```
 */
export async function readNpy(path: string): Promise<{ shape: readonly number[]; values: Float32Array }> {
  const bytes = await readFile(path);
  const header = parseNpyHeader(bytes, path);
  const count = header.shape.reduce((product, size) => product * size, 1);
  if (bytes.length - header.dataOffset !== count * 4) {
    throw new TypeError(
      `readNpy: ${path} has ${bytes.length - header.dataOffset} data bytes; expected ${count * 4}`,
    );
  }
  return { shape: header.shape, values: fromLittleEndianBytes(bytes.subarray(header.dataOffset)) };
}
