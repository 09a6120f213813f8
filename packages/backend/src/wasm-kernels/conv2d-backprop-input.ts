import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelBackend,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { cropWindow, insertZeros } from './conv-layout.js';
import { toChannelsLast } from './conv2d-backprop-filter.js';
import { type KernelRunner, runComposite, WASM_BACKEND_NAME } from './kernel-runner.js';
import { subPixelInputGradient } from './sub-pixel.js';

/**
 * Input gradient of a (depthwise) 2-D convolution computed as a forward convolution of the
 * output gradient with the spatially flipped filter.
 *
 * @param runner - Kernel runner owning the intermediates.
 * @param dy - Output gradient `[batch, outHeight, outWidth, channels]`.
 * @param flippedFilter - Filter with both spatial axes reversed, laid out for `forwardKernel`.
 * @param convInfo - Geometry of the original convolution.
 * @param forwardKernel - `'Conv2D'` or `'DepthwiseConv2dNative'` of the wasm backend.
 * @returns The input gradient `[batch, height, width, forwardKernel's output channels]`.
 *
 * @remarks
 * With strides above 1 the output gradient first gets `stride - 1` zeros after every row and
 * column; the window then starts `padTop - (filterHeight - 1) * dilationHeight` rows before the
 * first row, and the convolution (stride 1, same dilation) runs over it with explicit padding,
 * so XNNPACK pads without a copy.
 */
export function convolutionInputGradient(
  runner: KernelRunner,
  dy: TensorInfo,
  flippedFilter: TensorInfo,
  convInfo: backend_util.Conv2DInfo,
  forwardKernel: 'Conv2D' | 'DepthwiseConv2dNative',
): TensorInfo {
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = convInfo;
  const reachHeight = (convInfo.filterHeight - 1) * dilationHeight;
  const reachWidth = (convInfo.filterWidth - 1) * dilationWidth;
  const spread = insertZeros(runner, dy, strideHeight, strideWidth);
  const window = cropWindow(
    runner,
    spread,
    { start: padInfo.top - reachHeight, length: convInfo.inHeight + reachHeight },
    { start: padInfo.left - reachWidth, length: convInfo.inWidth + reachWidth },
  );
  return runner.run(forwardKernel, { x: window.tensor, filter: flippedFilter }, {
    strides: [1, 1],
    pad: [[0, 0], window.padding[0], window.padding[1], [0, 0]],
    dilations: [dilationHeight, dilationWidth],
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  } as never);
}

function conv2DBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: KernelBackend;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  return runComposite(backend, Conv2DBackpropInput, (runner) => {
    const dy = toChannelsLast(runner, inputs.dy, dataFormat);
    const shape: [number, number, number, number] =
      dataFormat === 'NCHW' ? [inputShape[0], inputShape[2], inputShape[3], inputShape[1]] : [...inputShape];
    const filterShape = inputs.filter.shape as [number, number, number, number];
    const convInfo = backend_util.computeConv2DInfo(
      shape,
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    let dx: TensorInfo;
    if (convInfo.strideHeight > 1 && convInfo.strideHeight === convInfo.strideWidth) {
      dx = subPixelInputGradient(runner, dy, inputs.filter, convInfo);
    } else {
      const reversed = runner.run('Reverse', { x: inputs.filter }, { dims: [0, 1] });
      const flipped = runner.run('Transpose', { x: reversed }, { perm: [0, 1, 3, 2] });
      dx = convolutionInputGradient(runner, dy, flipped, convInfo, 'Conv2D');
    }
    return dataFormat === 'NCHW' ? runner.run('Transpose', { x: dx }, { perm: [0, 3, 1, 2] }) : dx;
  });
}

/**
 * `Conv2DBackpropInput` for the wasm backend built on wasm's XNNPACK `Conv2D`; it replaces the
 * shipped kernel, a direct loop about ten times slower than the forward convolution. Equal strides
 * above 1 use the sub-pixel decomposition, other strides insert zeros into the output gradient.
 */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: WASM_BACKEND_NAME,
  kernelFunc: conv2DBackpropInput as unknown as KernelConfig['kernelFunc'],
};
