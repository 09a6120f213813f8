import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { materialiseWindow } from './conv-layout.js';
import { copyRuns } from './heap-moves.js';
import type { KernelRunner } from './kernel-runner.js';

/** The input of a convolution laid out so that every filter tap is one contiguous block of rows. */
export interface ShiftedWindows {
  /** Input windows `[rows, inChannels]`; tap `t` reads rows `offsets[t] .. offsets[t] + windowRows`. */
  readonly flat: TensorInfo;
  /** The output gradient padded to the window grid, `[windowRows, outChannels]`. */
  readonly dyFlat: TensorInfo;
  /** Rows per tap: `batch * gridHeight * gridWidth`. */
  readonly windowRows: number;
  /** Row offset of each tap, in filter order `row * filterWidth + column`. */
  readonly offsets: readonly number[];
}

interface AxisTaps {
  readonly phase: number[];
  readonly shift: number[];
  readonly grid: number;
}

function axisTaps(filterSize: number, dilation: number, stride: number, outSize: number): AxisTaps {
  const phase: number[] = [];
  const shift: number[] = [];
  for (let tap = 0; tap < filterSize; tap++) {
    phase.push((tap * dilation) % stride);
    shift.push(Math.floor((tap * dilation) / stride));
  }
  return { phase, shift, grid: outSize + Math.max(...shift) };
}

/**
 * Lays out a convolution's input so that, for every filter tap, the input values it meets form
 * a contiguous block of rows aligned with the (zero-padded) output gradient.
 *
 * @param runner - Kernel runner owning the intermediates.
 * @param x - Convolution input `[batch, height, width, inChannels]`.
 * @param dy - Output gradient `[batch, outHeight, outWidth, outChannels]`.
 * @param convInfo - Geometry from `backend_util.computeConv2DInfo`.
 * @returns The shifted windows.
 *
 * @remarks
 * Output position `(h, w)` of tap `(i, j)` reads input row `h * strideHeight + i * dilationHeight
 * - padTop`. Splitting `i * dilationHeight = shift * strideHeight + phase` turns every tap into a
 * plain shift by `shift` inside the phase image `x[phase::stride]`. With the output gradient
 * padded to a grid of `outHeight + maxShift` rows (zeros in the extra rows and columns), the
 * values a tap needs are the phase image's flattened rows from `shift * gridWidth + shiftColumn`:
 * a contiguous slice, so the filter gradient of a tap is one plain matrix product.
 */
export function shiftedWindows(
  runner: KernelRunner,
  x: TensorInfo,
  dy: TensorInfo,
  convInfo: backend_util.Conv2DInfo,
): ShiftedWindows {
  const { batchSize, strideHeight, strideWidth, padInfo } = convInfo;
  const rowTaps = axisTaps(convInfo.filterHeight, convInfo.dilationHeight, strideHeight, convInfo.outHeight);
  const columnTaps = axisTaps(convInfo.filterWidth, convInfo.dilationWidth, strideWidth, convInfo.outWidth);
  const gridHeight = rowTaps.grid;
  const gridWidth = columnTaps.grid;
  const imageRows = gridHeight * gridWidth;
  const windowRows = batchSize * imageRows;
  const channels = x.shape[3];
  const rows = { start: -padInfo.top, length: strideHeight * gridHeight };
  const columns = { start: -padInfo.left, length: strideWidth * gridWidth };

  const phases: string[] = [];
  for (const rowPhase of rowTaps.phase) {
    for (const columnPhase of columnTaps.phase) {
      const key = `${rowPhase},${columnPhase}`;
      if (!phases.includes(key)) phases.push(key);
    }
  }
  let stacked: TensorInfo;
  if (strideHeight === 1 && strideWidth === 1) {
    stacked = materialiseWindow(runner, x, rows, columns, 1);
  } else {
    // Phase images x[:, p::strideHeight, q::strideWidth] one after another, then one zero image.
    const window = materialiseWindow(runner, x, rows, columns);
    const starts = new Float64Array(phases.length * windowRows);
    let run = 0;
    for (const key of phases) {
      const [rowPhase, columnPhase] = key.split(',').map(Number);
      for (let n = 0; n < batchSize; n++) {
        for (let y = 0; y < gridHeight; y++) {
          const rowBase = (n * rows.length + y * strideHeight + rowPhase) * columns.length + columnPhase;
          for (let column = 0; column < gridWidth; column++) {
            starts[run++] = (rowBase + column * strideWidth) * channels;
          }
        }
      }
    }
    stacked = copyRuns(
      runner,
      window,
      [phases.length * batchSize + 1, gridHeight, gridWidth, channels],
      starts,
      channels,
    );
  }
  const flat = runner.reshape(stacked, [stacked.shape[0] * imageRows, channels]);

  const offsets: number[] = [];
  for (let i = 0; i < convInfo.filterHeight; i++) {
    for (let j = 0; j < convInfo.filterWidth; j++) {
      const block = phases.indexOf(`${rowTaps.phase[i]},${columnTaps.phase[j]}`);
      offsets.push(block * windowRows + rowTaps.shift[i] * gridWidth + columnTaps.shift[j]);
    }
  }
  const dyWindow = materialiseWindow(
    runner,
    dy,
    { start: 0, length: gridHeight },
    { start: 0, length: gridWidth },
  );
  const dyFlat = runner.reshape(dyWindow, [windowRows, dy.shape[3]]);
  return { flat, dyFlat, windowRows, offsets };
}
