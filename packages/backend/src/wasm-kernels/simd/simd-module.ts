import { SIMD_MODULE_BASE64 } from './simd-module.generated.js';

/** The functions of `kernels.wat`; pointers are byte offsets into its own memory. */
interface SimdExports {
  readonly memory: WebAssembly.Memory;
  exp(source: number, target: number, count: number): void;
  maxRows(source: number, target: number, rows: number, length: number): void;
  minRows(source: number, target: number, rows: number, length: number): void;
  sumRows(source: number, target: number, rows: number, length: number): void;
  addColumns(source: number, target: number, rows: number, stride: number): void;
  dotRows(a: number, b: number, target: number, rowsA: number, rowsB: number, length: number): void;
  addTransposedProducts(
    w: number,
    p: number,
    target: number,
    rows: number,
    columns: number,
    width: number,
  ): void;
  lseRows(
    source: number,
    columnTerm: number,
    rows: number,
    length: number,
    scale: number,
    scratch: number,
    maxOut: number,
    sumOut: number,
  ): void;
  lseColumns(
    source: number,
    rowTerm: number,
    rows: number,
    length: number,
    scale: number,
    scratch: number,
    delta: number,
    maxState: number,
    sumState: number,
  ): void;
  scaledExp(
    source: number,
    target: number,
    rows: number,
    length: number,
    scale: number,
    outputScale: number,
    rowTerm: number,
    rowFactor: number,
    columnTerm: number,
    columnFactor: number,
    rowSums: number,
    columnSums: number,
  ): void;
}

/**
 * Floats copied into the SIMD module's memory per call: 128 KiB in and at most 128 KiB out, so
 * that a chunk stays in the L2 cache between the copy in, the kernel and the copy out.
 */
export const SIMD_CHUNK_ELEMENTS = 32768;

/**
 * The scaled log-sum-exp kernels of `kernels.wat` over one chunk of a matrix `C` in the input area: per-row
 * terms `r` (and factors `u`) in `rowTerm` (`rowFactor`), per-column terms `c` (factors `v`) in `columnTerm`
 * (`columnFactor`), results in `rowA`/`rowB` (one float per row) and `columnA`/`columnB` (one per column). Every
 * area holds {@link SIMD_CHUNK_ELEMENTS} floats.
 */
export interface SimdLogSumExpKernels {
  readonly rowTerm: Float32Array;
  readonly rowFactor: Float32Array;
  readonly rowA: Float32Array;
  readonly rowB: Float32Array;
  readonly columnTerm: Float32Array;
  readonly columnFactor: Float32Array;
  readonly columnA: Float32Array;
  readonly columnB: Float32Array;
  /**
   * Per row of `rows x length` floats: `rowA = max_j z_ij`, `rowB = sum_j exp(z_ij - rowA)`, `z = c_j - scale C_ij`.
   * Overwrites the output area.
   */
  rows(rows: number, length: number, scale: number): void;
  /**
   * Per column, accumulated over calls (start with `columnA` very negative and `columnB` 0): running maximum
   * `columnA` of `z_ij = r_i - scale C_ij` and running sum `columnB` of `exp(z_ij - columnA)`. Overwrites the
   * output area and `columnFactor`.
   */
  columns(rows: number, length: number, scale: number): void;
  /**
   * `W_ij = u_i v_j exp(r_i + c_j - scale C_ij)`: `outputScale * W` into the output area (same layout),
   * `rowA` = row sums of `W`, and column sums of `W` added to `columnA`.
   */
  scaledExp(rows: number, length: number, scale: number, outputScale: number): void;
}

/** The SIMD kernels with their memory laid out as an input area, an output area and the areas of {@link SimdLogSumExpKernels}. */
export interface SimdKernels {
  /** Input area: the first {@link SIMD_CHUNK_ELEMENTS} floats of the module's memory. */
  readonly input: Float32Array;
  /** Output area, right after the input area. */
  readonly output: Float32Array;
  /** Byte offset of the output area. */
  readonly outputOffset: number;
  /** A second input area, of {@link SIMD_CHUNK_ELEMENTS} floats like the others. */
  readonly secondInput: Float32Array;
  /** exp of the first `count` floats of the input area, in place (`count` at most a chunk). */
  exp(count: number): void;
  /** Row maxima of `rows` rows of `length` floats in the input area, into the output area. */
  maxRows(rows: number, length: number): void;
  /** Row minima, as {@link SimdKernels.maxRows}. */
  minRows(rows: number, length: number): void;
  /** Row sums, as {@link SimdKernels.maxRows}. */
  sumRows(rows: number, length: number): void;
  /**
   * Adds the column sums of `rows` rows of `length` floats in the input area to the first `length` floats of the
   * output area (which also get junk in up to 3 floats past `length`).
   */
  addColumns(rows: number, length: number): void;
  /**
   * Adds `A B^T` to the first `rowsA * rowsB` floats of the output area (row-major), for the `rowsA` rows of A at
   * the start of the input area and the `rowsB` rows of B right after them, every row `length` floats long.
   * `length` must be a multiple of 4, `rowsA` of 2 and `rowsB` of 4 (pad with zeros).
   */
  dotRows(rowsA: number, rowsB: number, length: number): void;
  /**
   * Adds `W^T P` to the first `columns * width` floats of the output area (row-major), for `W` `rows x columns` in
   * the input area and `P` `rows x width` in the second input area. `width` and `rows` must be multiples of 4 (pad
   * with zeros).
   */
  transposedProducts(rows: number, columns: number, width: number): void;
  /** The scaled log-sum-exp kernels, over the input area. */
  readonly logSumExp: SimdLogSumExpKernels;
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
 * Compiles and instantiates the SIMD kernels once (synchronously: the module is about 5 KB).
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
  // Eleven areas of a chunk each, each followed by a little padding: the kernels read and write whole vectors.
  const areaBytes = SIMD_CHUNK_ELEMENTS * 4 + 64;
  const areaCount = 11;
  const pageBytes = 65536;
  const pages = Math.ceil((areaCount * areaBytes) / pageBytes) - exports.memory.buffer.byteLength / pageBytes;
  if (pages > 0) exports.memory.grow(pages);
  // The memory never grows again, so these views stay attached.
  const offset = (area: number) => area * areaBytes;
  const area = (index: number) => new Float32Array(exports.memory.buffer, offset(index), SIMD_CHUNK_ELEMENTS);
  const outputOffset = offset(1);
  const [rowTerm, rowFactor, rowA, rowB, columnTerm, columnFactor, columnA, columnB, second] = [
    2, 3, 4, 5, 6, 7, 8, 9, 10,
  ];
  loaded = {
    input: area(0),
    output: area(1),
    outputOffset,
    secondInput: area(second),
    exp: (count) => exports.exp(0, 0, count),
    maxRows: (rows, length) => exports.maxRows(0, outputOffset, rows, length),
    minRows: (rows, length) => exports.minRows(0, outputOffset, rows, length),
    sumRows: (rows, length) => exports.sumRows(0, outputOffset, rows, length),
    addColumns: (rows, length) => exports.addColumns(0, outputOffset, rows, length * 4),
    dotRows: (rowsA, rowsB, length) =>
      exports.dotRows(0, rowsA * length * 4, outputOffset, rowsA, rowsB, length),
    transposedProducts: (rows, columns, width) =>
      exports.addTransposedProducts(0, offset(second), outputOffset, rows, columns, width),
    logSumExp: {
      rowTerm: area(rowTerm),
      rowFactor: area(rowFactor),
      rowA: area(rowA),
      rowB: area(rowB),
      columnTerm: area(columnTerm),
      columnFactor: area(columnFactor),
      columnA: area(columnA),
      columnB: area(columnB),
      rows: (rows, length, scale) =>
        exports.lseRows(0, offset(columnTerm), rows, length, scale, outputOffset, offset(rowA), offset(rowB)),
      columns: (rows, length, scale) =>
        exports.lseColumns(
          0,
          offset(rowTerm),
          rows,
          length,
          scale,
          outputOffset,
          offset(columnFactor),
          offset(columnA),
          offset(columnB),
        ),
      scaledExp: (rows, length, scale, outputScale) =>
        exports.scaledExp(
          0,
          outputOffset,
          rows,
          length,
          scale,
          outputScale,
          offset(rowTerm),
          offset(rowFactor),
          offset(columnTerm),
          offset(columnFactor),
          offset(rowA),
          offset(columnA),
        ),
    },
  };
  return loaded;
}
