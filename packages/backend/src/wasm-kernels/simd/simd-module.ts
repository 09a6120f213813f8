import { SIMD_MODULE_BASE64 } from './simd-module.generated.js';

/** The functions of `kernels.wat`; pointers are byte offsets into the memory it imports. */
interface SimdExports {
  exp(source: number, target: number, count: number): void;
  maxRows(source: number, target: number, rows: number, length: number): void;
  minRows(source: number, target: number, rows: number, length: number): void;
  sumRows(source: number, target: number, rows: number, length: number): void;
  addColumns(source: number, target: number, rows: number, stride: number): void;
  dotRows(
    a: number,
    b: number,
    target: number,
    rowsA: number,
    rowsB: number,
    length: number,
    upper: number,
  ): void;
  combineRows(m: number, z: number, target: number, rows: number, inner: number, length: number): void;
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
 * The scaled log-sum-exp kernels of `kernels.wat` over one chunk of a matrix `C` at `source` (a byte offset: the
 * input area, or a tensor in place where the kernels share the backend's heap): per-row terms `r` (and factors `u`)
 * in `rowTerm` (`rowFactor`), per-column terms `c` (factors `v`) in `columnTerm` (`columnFactor`), results in
 * `rowA`/`rowB` (one float per row) and `columnA`/`columnB` (one per column). Every area holds
 * {@link SIMD_CHUNK_ELEMENTS} floats (the views follow the memory when it grows).
 */
export interface SimdLogSumExpKernels {
  /** Whether the kernels work in the wasm backend's heap, so that tensors can be passed in place. */
  readonly sharesHeap: boolean;
  readonly input: Float32Array;
  /** Byte offset of the input area. */
  readonly inputOffset: number;
  readonly output: Float32Array;
  /** Byte offset of the output area. */
  readonly outputOffset: number;
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
  rows(source: number, rows: number, length: number, scale: number): void;
  /**
   * Per column, accumulated over calls (start with `columnA` very negative and `columnB` 0): running maximum
   * `columnA` of `z_ij = r_i - scale C_ij` and running sum `columnB` of `exp(z_ij - columnA)`. Overwrites the
   * output area and `columnFactor`.
   */
  columns(source: number, rows: number, length: number, scale: number): void;
  /**
   * `W_ij = u_i v_j exp(r_i + c_j - scale C_ij)`: `outputScale * W` at `target` (rows at a stride of `length` rounded
   * up to whole vectors), `rowA` = row sums of `W`, and column sums of `W` added to `columnA`.
   */
  scaledExp(
    source: number,
    target: number,
    rows: number,
    length: number,
    scale: number,
    outputScale: number,
  ): void;
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
   * `length` must be a multiple of 4, `rowsA` of 2 and `rowsB` of 4 (pad with zeros). With `upper`, B is A (the
   * `rowsA = rowsB` rows at the start of the input area, placed once) and entries below the diagonal (`j` below `i`
   * rounded down to 4) are left unchanged.
   */
  dotRows(rowsA: number, rowsB: number, length: number, upper: boolean): void;
  /**
   * Adds `W^T P` to the first `columns * width` floats of the output area (row-major), for `W` `rows x columns` in
   * the input area and `P` `rows x width` in the second input area. `width` and `rows` must be multiples of 4 (pad
   * with zeros).
   */
  transposedProducts(rows: number, columns: number, width: number): void;
  /**
   * `M Z` into the first `rows * length` floats of the output area (row-major, overwritten), for `M` `rows x inner`
   * in the second input area and `Z` `inner x length` in the input area. `rows` must be a multiple of 4 and
   * `length` of 8 (pad with zeros).
   */
  combineRows(rows: number, inner: number, length: number): void;
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

/** Eleven areas of a chunk each, each followed by a little padding: the kernels read and write whole vectors. */
const AREA_BYTES = SIMD_CHUNK_ELEMENTS * 4 + 64;
const AREA_COUNT = 11;
const [
  INPUT,
  OUTPUT,
  ROW_TERM,
  ROW_FACTOR,
  ROW_A,
  ROW_B,
  COLUMN_TERM,
  COLUMN_FACTOR,
  COLUMN_A,
  COLUMN_B,
  SECOND,
] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/** The areas {@link SimdLogSumExpKernels} exposes as views. */
const AREA_NAMES = {
  input: INPUT,
  output: OUTPUT,
  rowTerm: ROW_TERM,
  rowFactor: ROW_FACTOR,
  rowA: ROW_A,
  rowB: ROW_B,
  columnTerm: COLUMN_TERM,
  columnFactor: COLUMN_FACTOR,
  columnA: COLUMN_A,
  columnB: COLUMN_B,
} as const;

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or `null` when this engine does not support SIMD. */
function simdModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = simdModuleBytes();
    compiled =
      typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

/** Float32 views of the areas starting at `base`, made again whenever the memory has grown. */
function areaViews(memory: WebAssembly.Memory, base: number): (area: number) => Float32Array {
  let buffer: ArrayBuffer | undefined;
  let views: Float32Array[] = [];
  return (area) => {
    if (memory.buffer !== buffer) {
      buffer = memory.buffer as ArrayBuffer;
      views = Array.from(
        { length: AREA_COUNT },
        (_, index) => new Float32Array(buffer as ArrayBuffer, base + index * AREA_BYTES, SIMD_CHUNK_ELEMENTS),
      );
    }
    return views[area];
  };
}

function logSumExpKernels(
  exports: SimdExports,
  memory: WebAssembly.Memory,
  base: number,
  sharesHeap: boolean,
): SimdLogSumExpKernels {
  const offset = (area: number) => base + area * AREA_BYTES;
  const view = areaViews(memory, base);
  const kernels: Omit<SimdLogSumExpKernels, keyof typeof AREA_NAMES> = {
    sharesHeap,
    inputOffset: offset(INPUT),
    outputOffset: offset(OUTPUT),
    rows: (source, rows, length, scale) =>
      exports.lseRows(
        source,
        offset(COLUMN_TERM),
        rows,
        length,
        scale,
        offset(OUTPUT),
        offset(ROW_A),
        offset(ROW_B),
      ),
    columns: (source, rows, length, scale) =>
      exports.lseColumns(
        source,
        offset(ROW_TERM),
        rows,
        length,
        scale,
        offset(OUTPUT),
        offset(COLUMN_FACTOR),
        offset(COLUMN_A),
        offset(COLUMN_B),
      ),
    scaledExp: (source, target, rows, length, scale, outputScale) =>
      exports.scaledExp(
        source,
        target,
        rows,
        length,
        scale,
        outputScale,
        offset(ROW_TERM),
        offset(ROW_FACTOR),
        offset(COLUMN_TERM),
        offset(COLUMN_FACTOR),
        offset(ROW_A),
        offset(COLUMN_A),
      ),
  };
  // The area views, made again whenever the memory has grown.
  for (const [name, area] of Object.entries(AREA_NAMES)) {
    Object.defineProperty(kernels, name, { get: () => view(area), enumerable: true });
  }
  return kernels as SimdLogSumExpKernels;
}

/**
 * Compiles and instantiates the SIMD kernels once, on a memory of their own (synchronously: the module is about
 * 6 KB).
 *
 * @returns The kernels, or `undefined` when this WebAssembly engine does not support SIMD.
 */
export function loadSimdKernels(): SimdKernels | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  const module = simdModule();
  if (module === null) {
    loaded = null;
    return undefined;
  }
  const memory = new WebAssembly.Memory({ initial: Math.ceil((AREA_COUNT * AREA_BYTES) / 65536) });
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdExports;
  // The memory never grows, so these views stay attached.
  const area = areaViews(memory, 0);
  const offset = (index: number) => index * AREA_BYTES;
  const outputOffset = offset(OUTPUT);
  loaded = {
    input: area(INPUT),
    output: area(OUTPUT),
    outputOffset,
    secondInput: area(SECOND),
    exp: (count) => exports.exp(0, 0, count),
    maxRows: (rows, length) => exports.maxRows(0, outputOffset, rows, length),
    minRows: (rows, length) => exports.minRows(0, outputOffset, rows, length),
    sumRows: (rows, length) => exports.sumRows(0, outputOffset, rows, length),
    addColumns: (rows, length) => exports.addColumns(0, outputOffset, rows, length * 4),
    dotRows: (rowsA, rowsB, length, upper) =>
      exports.dotRows(0, upper ? 0 : rowsA * length * 4, outputOffset, rowsA, rowsB, length, upper ? 1 : 0),
    transposedProducts: (rows, columns, width) =>
      exports.addTransposedProducts(0, offset(SECOND), outputOffset, rows, columns, width),
    combineRows: (rows, inner, length) =>
      exports.combineRows(offset(SECOND), 0, outputOffset, rows, inner, length),
    logSumExp: logSumExpKernels(exports, memory, 0, false),
  };
  return loaded;
}

/** What {@link loadHeapLogSumExpKernels} needs of the wasm backend's Emscripten module. */
interface WasmModuleAccess {
  readonly asm?: { readonly memory?: unknown };
  readonly wasmMemory?: unknown;
  _malloc?(bytes: number): number;
}

const heapKernels = new WeakMap<object, SimdLogSumExpKernels | null>();
let heapSharing = true;

/**
 * Turns the kernels in the backend's heap on or off (on by default); off, {@link loadHeapLogSumExpKernels} returns
 * `undefined` and the kernels copy through their own memory. Internal: for tests and comparisons.
 *
 * @param enabled - Whether to share the heap.
 */
export function setHeapSharing(enabled: boolean): void {
  heapSharing = enabled;
}

/**
 * The scaled log-sum-exp kernels instantiated on the wasm backend's own memory, so that they read a cost matrix
 * and write its gradient in place instead of copying every chunk in and out (their areas are allocated once in
 * that heap). Made once per backend instance.
 *
 * @param backend - The wasm backend (its `wasm` property is the Emscripten module).
 * @returns The kernels, or `undefined` when the engine lacks SIMD or the heap cannot be shared (a shared
 *   memory, as in the multi-threaded build, or a module that does not expose its memory and `malloc`).
 */
export function loadHeapLogSumExpKernels(backend: object): SimdLogSumExpKernels | undefined {
  if (!heapSharing) return undefined;
  const known = heapKernels.get(backend);
  if (known !== undefined) return known ?? undefined;
  let kernels: SimdLogSumExpKernels | null = null;
  const module = simdModule();
  const wasm = (backend as { wasm?: WasmModuleAccess }).wasm;
  const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
  // where SharedArrayBuffer is not defined, no memory can be shared
  const shared =
    typeof SharedArrayBuffer === 'function' &&
    memory instanceof WebAssembly.Memory &&
    memory.buffer instanceof SharedArrayBuffer;
  if (
    module !== null &&
    memory instanceof WebAssembly.Memory &&
    !shared &&
    typeof wasm?._malloc === 'function'
  ) {
    try {
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdExports;
      const start = wasm._malloc(AREA_COUNT * AREA_BYTES + 16);
      if (start > 0) kernels = logSumExpKernels(exports, memory, Math.ceil(start / 16) * 16, true);
    } catch {
      kernels = null;
    }
  }
  heapKernels.set(backend, kernels);
  return kernels ?? undefined;
}
