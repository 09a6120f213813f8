import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelBackend,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convolutionInputGradient } from './conv2d-backprop-input.js';
import { copyRuns } from './heap-moves.js';
import { runComposite, WASM_BACKEND_NAME } from './kernel-runner.js';
import { shiftedWindows } from './shifted-windows.js';

type Shape4 = [number, number, number, number];

function depthwiseBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: KernelBackend;
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  return runComposite(backend, DepthwiseConv2dNativeBackpropFilter, (runner) => {
    const convInfo = backend_util.computeConv2DInfo(
      inputs.x.shape as Shape4,
      filterShape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      true,
    );
    const [filterHeight, filterWidth, channels, multiplier] = filterShape;
    const windows = shiftedWindows(runner, inputs.x, inputs.dy, convInfo);
    const rows = windows.windowRows;
    const dyGrouped = runner.reshape(windows.dyFlat, [rows, channels, multiplier]);
    const taps = windows.offsets.map((offset) => {
      const block = copyRuns(runner, windows.flat, [rows, channels], [offset * channels], rows * channels);
      const product = runner.run('Multiply', { a: dyGrouped, b: runner.reshape(block, [rows, channels, 1]) });
      runner.release(block);
      const summed = runner.run('Sum', { x: product }, { axis: [0], keepDims: true });
      runner.release(product);
      return summed;
    });
    const stacked =
      taps.length === 1
        ? taps[0]
        : runner.run('Concat', taps as unknown as Record<string, TensorInfo>, { axis: 0 });
    return runner.reshape(stacked, [filterHeight, filterWidth, channels, multiplier]);
  });
}

function depthwiseBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: KernelBackend;
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  return runComposite(backend, DepthwiseConv2dNativeBackpropInput, (runner) => {
    const filterShape = inputs.filter.shape as Shape4;
    const [filterHeight, filterWidth, channels, multiplier] = filterShape;
    const convInfo = backend_util.computeConv2DInfo(
      inputShape,
      filterShape,
      strides,
      dilations,
      pad,
      dimRoundingMode,
      true,
    );
    const reversed = runner.run('Reverse', { x: inputs.filter }, { dims: [0, 1] });
    const flipped = runner.reshape(reversed, [filterHeight, filterWidth, channels * multiplier, 1]);
    const perChannel = convolutionInputGradient(
      runner,
      inputs.dy,
      flipped,
      convInfo,
      'DepthwiseConv2dNative',
    );
    if (multiplier === 1) {
      return perChannel;
    }
    const [batch, height, width] = perChannel.shape;
    const grouped = runner.reshape(perChannel, [batch, height, width, channels, multiplier]);
    return runner.run('Sum', { x: grouped }, { axis: [4], keepDims: false });
  });
}

/** `DepthwiseConv2dNativeBackpropFilter` for the wasm backend, composed of wasm's own kernels. */
export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: depthwiseBackpropFilter as unknown as KernelConfig['kernelFunc'],
};

/** `DepthwiseConv2dNativeBackpropInput` for the wasm backend, composed of wasm's own kernels. */
export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: depthwiseBackpropInput as unknown as KernelConfig['kernelFunc'],
};
