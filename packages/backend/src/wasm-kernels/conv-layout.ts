import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelRunner } from './kernel-runner.js';

/** A window along one spatial axis: `length` positions from `start` (negative = zeros before). */
export interface AxisWindow {
  readonly start: number;
  readonly length: number;
}

/** A window cropped out of a tensor, plus the zero padding still needed around it. */
export interface CroppedWindow {
  /** The cropped tensor `[batch, height, width, channels]`. */
  readonly tensor: TensorInfo;
  /** Zeros still to add: `[[top, bottom], [left, right]]`, all non-negative. */
  readonly padding: [[number, number], [number, number]];
}

/**
 * Crops an NHWC tensor to the part of a spatial window that lies inside it.
 *
 * @param runner - Kernel runner owning the intermediates.
 * @param x - Tensor `[batch, height, width, channels]`.
 * @param rows - Window along the height.
 * @param columns - Window along the width.
 * @returns The cropped tensor and the zero padding that completes the window.
 */
export function cropWindow(
  runner: KernelRunner,
  x: TensorInfo,
  rows: AxisWindow,
  columns: AxisWindow,
): CroppedWindow {
  const [batch, height, width, channels] = x.shape;
  const rowBegin = Math.max(0, rows.start);
  const rowEnd = Math.min(height, rows.start + rows.length);
  const columnBegin = Math.max(0, columns.start);
  const columnEnd = Math.min(width, columns.start + columns.length);
  const cropped =
    rowBegin === 0 && rowEnd === height && columnBegin === 0 && columnEnd === width
      ? x
      : runner.run(
          'Slice',
          { x },
          {
            begin: [0, rowBegin, columnBegin, 0],
            size: [batch, Math.max(0, rowEnd - rowBegin), Math.max(0, columnEnd - columnBegin), channels],
          },
        );
  return {
    tensor: cropped,
    padding: [
      [rowBegin - rows.start, rows.start + rows.length - Math.max(rowEnd, rowBegin)],
      [columnBegin - columns.start, columns.start + columns.length - Math.max(columnEnd, columnBegin)],
    ],
  };
}

/**
 * Materialises a spatial window of an NHWC tensor (zeros outside it), optionally followed by
 * extra all-zero images along the batch axis.
 *
 * @param runner - Kernel runner owning the intermediates.
 * @param x - Tensor `[batch, height, width, channels]`.
 * @param rows - Window along the height.
 * @param columns - Window along the width.
 * @param extraImages - Number of zero images appended along the batch axis.
 * @returns Tensor `[batch + extraImages, rows.length, columns.length, channels]`.
 */
export function materialiseWindow(
  runner: KernelRunner,
  x: TensorInfo,
  rows: AxisWindow,
  columns: AxisWindow,
  extraImages = 0,
): TensorInfo {
  const { tensor, padding } = cropWindow(runner, x, rows, columns);
  if (extraImages === 0 && padding.flat().every((amount) => amount === 0)) {
    return tensor;
  }
  return runner.run(
    'PadV2',
    { x: tensor },
    { paddings: [[0, extraImages], padding[0], padding[1], [0, 0]], constantValue: 0 },
  );
}

/**
 * Inserts `stride - 1` zeros after every row and column of an NHWC tensor.
 *
 * @param runner - Kernel runner owning the intermediates.
 * @param x - Tensor `[batch, height, width, channels]`.
 * @param strideHeight - Row stride.
 * @param strideWidth - Column stride.
 * @returns Tensor `[batch, height * strideHeight, width * strideWidth, channels]`.
 */
export function insertZeros(
  runner: KernelRunner,
  x: TensorInfo,
  strideHeight: number,
  strideWidth: number,
): TensorInfo {
  const [batch, height, width, channels] = x.shape;
  let result = x;
  if (strideHeight > 1) {
    const grouped = runner.reshape(result, [batch, height, 1, width * channels]);
    const padded = runner.run(
      'PadV2',
      { x: grouped },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, strideHeight - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    result = runner.reshape(padded, [batch, height * strideHeight, width, channels]);
  }
  if (strideWidth > 1) {
    const rows = result.shape[1];
    const grouped = runner.reshape(result, [batch * rows, width, 1, channels]);
    const padded = runner.run(
      'PadV2',
      { x: grouped },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, strideWidth - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    result = runner.reshape(padded, [batch, rows, width * strideWidth, channels]);
  }
  return result;
}
