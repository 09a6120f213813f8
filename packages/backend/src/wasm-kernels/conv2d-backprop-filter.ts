import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelBackend,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { copyRuns, transposeMatrix } from './heap-moves.js';
import { type KernelRunner, runComposite, WASM_BACKEND_NAME } from './kernel-runner.js';
import { shiftedWindows } from './shifted-windows.js';

/**
 * Transposes an NCHW tensor to NHWC when the data format asks for it.
 *
 * @param runner - Kernel runner owning the intermediates.
 * @param x - Tensor in the given data format.
 * @param dataFormat - `'NHWC'` or `'NCHW'`.
 * @returns The tensor as `[batch, height, width, channels]`.
 */
export function toChannelsLast(runner: KernelRunner, x: TensorInfo, dataFormat: 'NHWC' | 'NCHW'): TensorInfo {
  return dataFormat === 'NCHW' ? runner.run('Transpose', { x }, { perm: [0, 2, 3, 1] }) : x;
}

/** Target size in bytes of one chunk of the output gradient: small enough to stay in cache. */
const CHUNK_BYTES = 1 << 20;

/**
 * Filter gradient of a 2-D convolution, `[filterHeight, filterWidth, inChannels, outChannels]`.
 *
 * @param runner - Kernel runner owning the intermediates.
 * @param x - Convolution input `[batch, height, width, inChannels]`.
 * @param dy - Output gradient `[batch, outHeight, outWidth, outChannels]`.
 * @param convInfo - Geometry from `backend_util.computeConv2DInfo` (any stride, padding, dilation).
 * @returns The filter gradient, owned by `runner` until kept.
 *
 * @remarks
 * `dW[i, j] = x_tap(i, j)ᵀ · dy`, a product whose inner dimension (batch times output positions)
 * is huge while the outer ones are small. XNNPACK streams its right operand once per block of
 * left rows, so the inner dimension is cut into chunks of about 1 MiB of `dy`; for each chunk the
 * windows of all taps are stacked as the left operand `[taps * inChannels, chunk]` (copied from the
 * transposed input windows) and one plain `BatchMatMul` gives every tap's partial gradient.
 */
export function convolutionFilterGradient(
  runner: KernelRunner,
  x: TensorInfo,
  dy: TensorInfo,
  convInfo: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight, filterWidth, inChannels, outChannels } = convInfo;
  const windows = shiftedWindows(runner, x, dy, convInfo);
  const { windowRows, offsets } = windows;
  const transposed = transposeMatrix(runner, windows.flat);
  const totalRows = transposed.shape[1];
  const chunk = Math.max(256, Math.floor(CHUNK_BYTES / (4 * outChannels)));
  const partials: TensorInfo[] = [];
  for (let begin = 0; begin < windowRows; begin += chunk) {
    const length = Math.min(chunk, windowRows - begin);
    const starts: number[] = [];
    for (const offset of offsets) {
      for (let channel = 0; channel < inChannels; channel++) {
        starts.push(channel * totalRows + offset + begin);
      }
    }
    const left = copyRuns(runner, transposed, [starts.length, length], starts, length);
    const right = copyRuns(
      runner,
      windows.dyFlat,
      [length, outChannels],
      [begin * outChannels],
      length * outChannels,
    );
    partials.push(runner.run('BatchMatMul', { a: left, b: right }, { transposeA: false, transposeB: false }));
    runner.release(left);
    runner.release(right);
  }
  const summed =
    partials.length === 1
      ? partials[0]
      : runner.run('AddN', partials as unknown as Record<string, TensorInfo>);
  return runner.reshape(summed, [filterHeight, filterWidth, inChannels, outChannels]);
}

function conv2DBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: KernelBackend;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  return runComposite(backend, Conv2DBackpropFilter, (runner) => {
    const x = toChannelsLast(runner, inputs.x, dataFormat);
    const dy = toChannelsLast(runner, inputs.dy, dataFormat);
    const convInfo = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    return convolutionFilterGradient(runner, x, dy, convInfo);
  });
}

/** `Conv2DBackpropFilter` for the wasm backend, composed of wasm's own kernels. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: conv2DBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
