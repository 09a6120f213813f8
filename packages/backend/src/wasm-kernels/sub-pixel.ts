import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { cropWindow } from './conv-layout.js';
import { moveRuns, readValues, tensorFromValues } from './heap-moves.js';
import type { KernelRunner } from './kernel-runner.js';

/**
 * The flipped sub-filter of a convolution filter that feeds input phase `(rowPhase, columnPhase)`
 * of its transposed convolution.
 *
 * @param values - Filter values `[filterHeight, filterWidth, inChannels, outChannels]`, row-major.
 * @param convInfo - Geometry of the original convolution (square stride `s`).
 * @param rowPhase - Input row phase `a`, `0 <= a < s`.
 * @param columnPhase - Input column phase `b`, `0 <= b < s`.
 * @returns Sub-filter `[kh, kw, outChannels, inChannels]` with element `[k, l, o, c]` equal to
 * `filter[a + s * (kh - 1 - k), b + s * (kw - 1 - l), c, o]`; `kh` or `kw` is 0 when no tap feeds the phase.
 */
export function phaseFilter(
  values: Float32Array,
  convInfo: backend_util.Conv2DInfo,
  rowPhase: number,
  columnPhase: number,
): { shape: [number, number, number, number]; values: Float32Array } {
  const { filterHeight, filterWidth, inChannels, outChannels } = convInfo;
  const stride = convInfo.strideHeight;
  const kh = Math.max(0, Math.ceil((filterHeight - rowPhase) / stride));
  const kw = Math.max(0, Math.ceil((filterWidth - columnPhase) / stride));
  const result = new Float32Array(kh * kw * outChannels * inChannels);
  for (let k = 0; k < kh; k++) {
    for (let l = 0; l < kw; l++) {
      const i = rowPhase + stride * (kh - 1 - k);
      const j = columnPhase + stride * (kw - 1 - l);
      for (let c = 0; c < inChannels; c++) {
        const source = ((i * filterWidth + j) * inChannels + c) * outChannels;
        const target = (k * kw + l) * outChannels * inChannels + c;
        for (let o = 0; o < outChannels; o++) {
          result[target + o * inChannels] = values[source + o];
        }
      }
    }
  }
  return { shape: [kh, kw, outChannels, inChannels], values: result };
}

/**
 * Input gradient of a strided 2-D convolution by sub-pixel decomposition: for every phase of the
 * input grid, one stride-1 convolution of the output gradient with the taps that reach that phase.
 *
 * @param runner - Kernel runner owning the intermediates.
 * @param dy - Output gradient `[batch, outHeight, outWidth, outChannels]`.
 * @param filter - Filter `[filterHeight, filterWidth, inChannels, outChannels]`.
 * @param convInfo - Geometry of the original convolution; strides equal along both axes, dilation 1.
 * @returns The input gradient `[batch, height, width, inChannels]`.
 *
 * @remarks
 * Input row `h` with `h + padTop = s * u + a` receives `sum_k dy[u - k] * filter[a + s * k]`: for every
 * phase `a` a stride-1 correlation with a sub-filter. Inserting zeros into `dy` instead would spend
 * `s²` times the multiplications on zeros. Each phase result is moved into its pixels of the output.
 */
export function subPixelInputGradient(
  runner: KernelRunner,
  dy: TensorInfo,
  filter: TensorInfo,
  convInfo: backend_util.Conv2DInfo,
): TensorInfo {
  const stride = convInfo.strideHeight;
  const { padInfo, inHeight, inWidth, inChannels } = convInfo;
  const batch = dy.shape[0];
  const values = readValues(runner, filter) as Float32Array;
  const rowStart = Math.floor(padInfo.top / stride);
  const rows = Math.ceil((padInfo.top + inHeight) / stride) - rowStart;
  const columnStart = Math.floor(padInfo.left / stride);
  const columns = Math.ceil((padInfo.left + inWidth) / stride) - columnStart;
  const output = runner.allocate([batch, inHeight, inWidth, inChannels], 'float32');
  runner.view(output).fill(0);
  for (let rowPhase = 0; rowPhase < stride; rowPhase++) {
    for (let columnPhase = 0; columnPhase < stride; columnPhase++) {
      const phase = phaseFilter(values, convInfo, rowPhase, columnPhase);
      const [kh, kw] = phase.shape;
      if (kh === 0 || kw === 0) continue;
      const window = cropWindow(
        runner,
        dy,
        { start: rowStart - (kh - 1), length: rows + kh - 1 },
        { start: columnStart - (kw - 1), length: columns + kw - 1 },
      );
      const phased = runner.run(
        'Conv2D',
        { x: window.tensor, filter: tensorFromValues(runner, phase.shape, phase.values) },
        {
          strides: [1, 1],
          pad: [[0, 0], window.padding[0], window.padding[1], [0, 0]],
          dilations: [1, 1],
          dataFormat: 'NHWC',
          dimRoundingMode: undefined,
        } as never,
      );
      const sourceStarts: number[] = [];
      const targetStarts: number[] = [];
      for (let n = 0; n < batch; n++) {
        for (let h = (((rowPhase - padInfo.top) % stride) + stride) % stride; h < inHeight; h += stride) {
          const u = (h + padInfo.top - rowPhase) / stride - rowStart;
          for (
            let w = (((columnPhase - padInfo.left) % stride) + stride) % stride;
            w < inWidth;
            w += stride
          ) {
            const v = (w + padInfo.left - columnPhase) / stride - columnStart;
            sourceStarts.push(((n * rows + u) * columns + v) * inChannels);
            targetStarts.push(((n * inHeight + h) * inWidth + w) * inChannels);
          }
        }
      }
      moveRuns(runner, phased, output, sourceStarts, targetStarts, inChannels);
      runner.release(phased);
    }
  }
  return output;
}
