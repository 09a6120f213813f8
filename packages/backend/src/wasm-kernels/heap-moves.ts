import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelRunner } from './kernel-runner.js';

/**
 * Copies runs of consecutive elements of `source` into a new tensor, one run after another;
 * elements after the last run are zero.
 *
 * @param runner - Kernel runner owning the result.
 * @param source - Tensor to read (any shape; addressed as its flat row-major data).
 * @param shape - Shape of the result; its size must be at least `starts.length * length`.
 * @param starts - Flat offset in `source` of each run.
 * @param length - Elements per run.
 * @returns The new tensor, recorded as an intermediate of `runner`.
 *
 * @remarks
 * Gathers, crops and pixel rearrangements become plain memory moves inside the wasm heap. The
 * shipped `Slice` first copies its whole input into JavaScript, and `StridedSlice` and
 * `DepthToSpace` compute every element's index, several times slower than these moves.
 */
export function copyRuns(
  runner: KernelRunner,
  source: TensorInfo,
  shape: number[],
  starts: ArrayLike<number>,
  length: number,
): TensorInfo {
  const output = runner.allocate(shape, source.dtype);
  // Views are taken after the allocation: growing the heap detaches older views.
  const from = runner.view(source);
  const to = runner.view(output);
  if (from.buffer === to.buffer && from.BYTES_PER_ELEMENT === to.BYTES_PER_ELEMENT) {
    const whole = new (to.constructor as Float32ArrayConstructor)(to.buffer);
    const fromBase = from.byteOffset / from.BYTES_PER_ELEMENT;
    const toBase = to.byteOffset / to.BYTES_PER_ELEMENT;
    for (let run = 0; run < starts.length; run++) {
      const start = fromBase + starts[run];
      whole.copyWithin(toBase + run * length, start, start + length);
    }
  } else {
    for (let run = 0; run < starts.length; run++) {
      to.set(from.subarray(starts[run], starts[run] + length), run * length);
    }
  }
  to.fill(0, starts.length * length);
  return output;
}

/**
 * Transposes a matrix `[rows, columns]` to `[columns, rows]` by a cache-blocked copy in the heap.
 *
 * @param runner - Kernel runner owning the result.
 * @param source - Matrix to transpose.
 * @returns The transposed matrix, recorded as an intermediate of `runner`.
 *
 * @remarks
 * The shipped `Transpose` kernel moves about 250 MB/s on tall matrices; this loop is about five
 * times faster, which matters for the filter gradient's input windows.
 */
export function transposeMatrix(runner: KernelRunner, source: TensorInfo): TensorInfo {
  const [rows, columns] = source.shape;
  const output = runner.allocate([columns, rows], source.dtype);
  const from = runner.view(source);
  const to = runner.view(output);
  const block = 64;
  for (let rowStart = 0; rowStart < rows; rowStart += block) {
    const rowEnd = Math.min(rows, rowStart + block);
    for (let column = 0; column < columns; column++) {
      const target = column * rows;
      for (let row = rowStart; row < rowEnd; row++) {
        to[target + row] = from[row * columns + column];
      }
    }
  }
  return output;
}

/**
 * Reads a tensor's values (a copy, safe to keep).
 *
 * @param runner - Kernel runner giving access to the heap.
 * @param info - Any tensor of the wasm backend.
 * @returns Its values, row-major.
 */
export function readValues(runner: KernelRunner, info: TensorInfo): Float32Array | Int32Array | Uint8Array {
  return runner.view(info).slice();
}

/**
 * Creates a float32 tensor from values computed in JavaScript.
 *
 * @param runner - Kernel runner owning the result.
 * @param shape - Shape of the tensor.
 * @param values - Its values, row-major.
 * @returns The new tensor, recorded as an intermediate of `runner`.
 */
export function tensorFromValues(runner: KernelRunner, shape: number[], values: Float32Array): TensorInfo {
  const output = runner.allocate(shape, 'float32');
  runner.view(output).set(values);
  return output;
}

/**
 * Copies runs of consecutive elements from `source` to given places in `target`.
 *
 * @param runner - Kernel runner giving access to the heap.
 * @param source - Tensor to read (flat row-major addressing).
 * @param target - Tensor to write, already allocated.
 * @param sourceStarts - Flat offset in `source` of each run.
 * @param targetStarts - Flat offset in `target` of each run.
 * @param length - Elements per run.
 */
export function moveRuns(
  runner: KernelRunner,
  source: TensorInfo,
  target: TensorInfo,
  sourceStarts: ArrayLike<number>,
  targetStarts: ArrayLike<number>,
  length: number,
): void {
  const from = runner.view(source);
  const to = runner.view(target);
  if (from.buffer === to.buffer && from.BYTES_PER_ELEMENT === to.BYTES_PER_ELEMENT) {
    const whole = new (to.constructor as Float32ArrayConstructor)(to.buffer);
    const fromBase = from.byteOffset / from.BYTES_PER_ELEMENT;
    const toBase = to.byteOffset / to.BYTES_PER_ELEMENT;
    for (let run = 0; run < sourceStarts.length; run++) {
      const start = fromBase + sourceStarts[run];
      whole.copyWithin(toBase + targetStarts[run], start, start + length);
    }
    return;
  }
  for (let run = 0; run < sourceStarts.length; run++) {
    to.set(from.subarray(sourceStarts[run], sourceStarts[run] + length), targetStarts[run]);
  }
}
