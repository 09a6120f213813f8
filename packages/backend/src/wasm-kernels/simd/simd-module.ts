import { SIMD_MODULE_BASE64 } from './simd-module.generated.js';

/** The functions of `kernels.wat`; pointers are byte offsets into its own memory. */
interface SimdExports {
  readonly memory: WebAssembly.Memory;
  exp(source: number, target: number, count: number): void;
  maxRows(source: number, target: number, rows: number, length: number): void;
  minRows(source: number, target: number, rows: number, length: number): void;
  sumRows(source: number, target: number, rows: number, length: number): void;
}

/**
 * Floats copied into the SIMD module's memory per call: 128 KiB in and at most 128 KiB out, so
 * that a chunk stays in the L2 cache between the copy in, the kernel and the copy out.
 */
export const SIMD_CHUNK_ELEMENTS = 32768;

/** The SIMD kernels with their memory laid out as one input and one output area of a chunk each. */
export interface SimdKernels {
  /** Input area: the first {@link SIMD_CHUNK_ELEMENTS} floats of the module's memory. */
  readonly input: Float32Array;
  /** Output area, right after the input area. */
  readonly output: Float32Array;
  /** Byte offset of the output area. */
  readonly outputOffset: number;
  /** exp of the first `count` floats of the input area, in place (`count` at most a chunk). */
  exp(count: number): void;
  /** Row maxima of `rows` rows of `length` floats in the input area, into the output area. */
  maxRows(rows: number, length: number): void;
  /** Row minima, as {@link SimdKernels.maxRows}. */
  minRows(rows: number, length: number): void;
  /** Row sums, as {@link SimdKernels.maxRows}. */
  sumRows(rows: number, length: number): void;
}

let loaded: SimdKernels | null | undefined;

/**
 * The compiled bytes of `kernels.wat`.
 *
 * @returns A new copy of the module's bytes.
 */
export function simdModuleBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(SIMD_MODULE_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) bytes[index] = text.charCodeAt(index);
  return bytes;
}

/**
 * Compiles and instantiates the SIMD kernels once (synchronously: the module is about 1.5 KB).
 *
 * @returns The kernels, or `undefined` when this WebAssembly engine does not support SIMD.
 */
export function loadSimdKernels(): SimdKernels | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  const bytes = simdModuleBytes();
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) {
    loaded = null;
    return undefined;
  }
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as SimdExports;
  // Two areas of a chunk each, plus a vector of padding: exp reads and writes whole vectors.
  const bytesNeeded = 2 * SIMD_CHUNK_ELEMENTS * 4 + 16;
  const pageBytes = 65536;
  const pages = Math.ceil(bytesNeeded / pageBytes) - exports.memory.buffer.byteLength / pageBytes;
  if (pages > 0) exports.memory.grow(pages);
  // The memory never grows again, so these views stay attached.
  const outputOffset = SIMD_CHUNK_ELEMENTS * 4 + 16;
  const input = new Float32Array(exports.memory.buffer, 0, SIMD_CHUNK_ELEMENTS);
  const output = new Float32Array(exports.memory.buffer, outputOffset, SIMD_CHUNK_ELEMENTS);
  loaded = {
    input,
    output,
    outputOffset,
    exp: (count) => exports.exp(0, 0, count),
    maxRows: (rows, length) => exports.maxRows(0, outputOffset, rows, length),
    minRows: (rows, length) => exports.minRows(0, outputOffset, rows, length),
    sumRows: (rows, length) => exports.sumRows(0, outputOffset, rows, length),
  };
  return loaded;
}
