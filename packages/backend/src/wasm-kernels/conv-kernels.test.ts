import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from './index.js';

/**
 * Every composite convolution kernel against the cpu backend's direct loops, over strides,
 * paddings, dilations, batch sizes, channel counts and channel multipliers.
 */

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface InputSpec {
  shape: number[];
  values: Float32Array;
}

const TOLERANCE = 1e-4;
const EXPLICIT: Pad = [
  [0, 0],
  [1, 0],
  [0, 2],
  [0, 0],
];

/** Uniform values in [-1, 1) from a seeded mulberry32 generator (fast, backend-independent). */
function seededValues(shape: number[], seed: number): InputSpec {
  const values = new Float32Array(shape.reduce((product, size) => product * size, 1));
  let state = seed >>> 0;
  for (let i = 0; i < values.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    values[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return { shape, values };
}

async function runOn(
  backendName: string,
  kernelName: string,
  inputs: Record<string, InputSpec>,
  attrs: object,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backendName);
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, spec] of Object.entries(inputs)) tensors[name] = tf.tensor(spec.values, spec.shape);
  const idsBefore = tf.engine().backend.numDataIds();
  const output = tf.engine().runKernel(kernelName, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = (await output.data()) as Float32Array;
  const shape = output.shape;
  output.dispose();
  // No intermediate of the composite kernel may outlive it.
  expect(tf.engine().backend.numDataIds()).toBe(idsBefore);
  for (const tensor of Object.values(tensors)) tensor.dispose();
  return { shape, values };
}

async function relativeError(
  kernelName: string,
  inputs: Record<string, InputSpec>,
  attrs: object,
  reference?: Float64Array,
): Promise<number> {
  const actual = await runOn('wasm', kernelName, inputs, attrs);
  let expected: ArrayLike<number>;
  if (reference === undefined) {
    const cpu = await runOn('cpu', kernelName, inputs, attrs);
    expect(actual.shape).toEqual(cpu.shape);
    expected = cpu.values;
  } else {
    expected = reference;
  }
  expect(actual.values.length).toBe(expected.length);
  let scale = 1e-6;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual.values[i] - expected[i]));
  }
  return worst / scale;
}

/**
 * Float64 gradients of a depthwise convolution straight from its definition
 * `y[n, oh, ow, c * m + k] = sum_ij x[n, oh * s + i * d - top, ow * s + j * d - left, c] * f[i, j, c, k]`.
 * The cpu backend's depthwise gradient loops ignore dilations (core's gradient refuses them), so
 * dilated cases are checked against this instead.
 */
function depthwiseReference(
  c: ConvCase,
  x: Float32Array,
  filter: Float32Array,
  dy: Float32Array,
): { filterGradient: Float64Array; inputGradient: Float64Array } {
  const [height, width, channels] = [9, 10, c.inChannels];
  const multiplier = c.outChannels / channels;
  const [filterHeight, filterWidth] = c.filter;
  const info = tf.backend_util.computeConv2DInfo(
    [c.batch, height, width, channels],
    [filterHeight, filterWidth, channels, multiplier],
    c.stride,
    c.dilation,
    c.pad,
    undefined,
    true,
  );
  const filterGradient = new Float64Array(filterHeight * filterWidth * channels * multiplier);
  const inputGradient = new Float64Array(c.batch * height * width * channels);
  for (let n = 0; n < c.batch; n++) {
    for (let oh = 0; oh < info.outHeight; oh++) {
      for (let ow = 0; ow < info.outWidth; ow++) {
        for (let i = 0; i < filterHeight; i++) {
          const h = oh * c.stride + i * c.dilation - info.padInfo.top;
          for (let j = 0; j < filterWidth; j++) {
            const w = ow * c.stride + j * c.dilation - info.padInfo.left;
            if (h < 0 || h >= height || w < 0 || w >= width) continue;
            for (let channel = 0; channel < channels; channel++) {
              const xIndex = ((n * height + h) * width + w) * channels + channel;
              for (let k = 0; k < multiplier; k++) {
                const g =
                  dy[
                    ((n * info.outHeight + oh) * info.outWidth + ow) * c.outChannels +
                      channel * multiplier +
                      k
                  ];
                const fIndex = ((i * filterWidth + j) * channels + channel) * multiplier + k;
                filterGradient[fIndex] += x[xIndex] * g;
                inputGradient[xIndex] += filter[fIndex] * g;
              }
            }
          }
        }
      }
    }
  }
  return { filterGradient, inputGradient };
}

interface ConvCase {
  stride: number;
  pad: Pad;
  dilation: number;
  batch: number;
  inChannels: number;
  outChannels: number;
  filter: [number, number];
}

function convCases(dilations: number[], outChannels: (inChannels: number) => number): ConvCase[] {
  const cases: ConvCase[] = [];
  const filters: [number, number][] = [
    [3, 3],
    [2, 3],
    [1, 1],
  ];
  let index = 0;
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid', EXPLICIT] as Pad[]) {
      for (const dilation of dilations) {
        for (const batch of [1, 3]) {
          for (const inChannels of [1, 3, 8]) {
            const filter = filters[index++ % filters.length];
            cases.push({
              stride,
              pad,
              dilation,
              batch,
              inChannels,
              outChannels: outChannels(inChannels),
              filter,
            });
          }
        }
      }
    }
  }
  return cases;
}

function label(c: ConvCase): string {
  const pad = typeof c.pad === 'string' ? c.pad : 'explicit';
  return `stride ${c.stride}, ${pad}, dilation ${c.dilation}, batch ${c.batch}, channels ${c.inChannels}->${c.outChannels}, filter ${c.filter}`;
}

function outputShape(c: ConvCase, height: number, width: number, channels: number): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    [c.batch, height, width, c.inChannels],
    [c.filter[0], c.filter[1], c.inChannels, channels / c.inChannels],
    c.stride,
    c.dilation,
    c.pad,
    undefined,
    true,
  );
  return [c.batch, info.outHeight, info.outWidth, channels];
}

/** Float64 filter gradient of a 'same' 3x3 convolution with 4 input channels, from its definition. */
function convFilterReference(x: InputSpec, dy: InputSpec, stride: number): Float64Array {
  const [batch, height, width, inChannels] = x.shape;
  const [, outHeight, outWidth, outChannels] = dy.shape;
  const info = tf.backend_util.computeConv2DInfo(
    [batch, height, width, inChannels],
    [3, 3, inChannels, outChannels],
    stride,
    1,
    'same',
  );
  const xValues = x.values;
  const dyValues = dy.values;
  const reference = new Float64Array(9 * inChannels * outChannels);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((n * outHeight + oh) * outWidth + ow) * outChannels;
        for (let i = 0; i < 3; i++) {
          const h = oh * stride + i - info.padInfo.top;
          for (let j = 0; j < 3; j++) {
            const w = ow * stride + j - info.padInfo.left;
            if (h < 0 || h >= height || w < 0 || w >= width) continue;
            for (let c = 0; c < inChannels; c++) {
              const value = xValues[((n * height + h) * width + w) * inChannels + c];
              const target = ((i * 3 + j) * inChannels + c) * outChannels;
              for (let o = 0; o < outChannels; o++) reference[target + o] += value * dyValues[dyBase + o];
            }
          }
        }
      }
    }
  }
  return reference;
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

describe('Conv2DBackpropFilter and Conv2DBackpropInput on wasm', () => {
  const cases = convCases([1], (inChannels) => (inChannels === 8 ? 3 : 8));
  it.each(cases.map((c) => [label(c), c] as const))('filter gradient, %s', async (_, c) => {
    const filterShape = [c.filter[0], c.filter[1], c.inChannels, c.outChannels];
    const x = seededValues([c.batch, 9, 10, c.inChannels], 1);
    const dy = seededValues(outputShape(c, 9, 10, c.outChannels), 2);
    const error = await relativeError(
      'Conv2DBackpropFilter',
      { x, dy },
      {
        strides: [c.stride, c.stride],
        pad: c.pad,
        dataFormat: 'NHWC',
        filterShape,
      },
    );
    expect(error).toBeLessThanOrEqual(TOLERANCE);
  });
  it.each(cases.map((c) => [label(c), c] as const))('input gradient, %s', async (_, c) => {
    const filter = seededValues([c.filter[0], c.filter[1], c.inChannels, c.outChannels], 3);
    const dy = seededValues(outputShape(c, 9, 10, c.outChannels), 4);
    const error = await relativeError(
      'Conv2DBackpropInput',
      { dy, filter },
      {
        strides: [c.stride, c.stride],
        pad: c.pad,
        dataFormat: 'NHWC',
        inputShape: [c.batch, 9, 10, c.inChannels],
      },
    );
    expect(error).toBeLessThanOrEqual(TOLERANCE);
  });
  it('sums the filter gradient over several chunks of output positions', async () => {
    // 256 output channels make chunks of 1024 positions; these shapes need two to five of them.
    // The cpu kernel is far too slow here, so the reference is a float64 loop over the definition.
    for (const [stride, height] of [
      [1, 24],
      [2, 45],
    ]) {
      const x = seededValues([2, height, height, 4], 16);
      const outSize = Math.ceil(height / stride);
      const dy = seededValues([2, outSize, outSize, 256], 17);
      const reference = convFilterReference(x, dy, stride);
      const attrs = {
        strides: [stride, stride],
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, 4, 256],
      };
      expect(await relativeError('Conv2DBackpropFilter', { x, dy }, attrs, reference)).toBeLessThanOrEqual(
        TOLERANCE,
      );
    }
  });

  it('uses the sub-pixel path for a square stride 3 and a 4x4 filter', async () => {
    const filter = seededValues([4, 4, 3, 5], 12);
    const dy = seededValues([2, 4, 4, 5], 13);
    const attrs = { strides: [3, 3], pad: 'same', dataFormat: 'NHWC', inputShape: [2, 11, 12, 3] };
    expect(await relativeError('Conv2DBackpropInput', { dy, filter }, attrs)).toBeLessThanOrEqual(TOLERANCE);
    const x = seededValues([2, 11, 12, 3], 14);
    const valid = { strides: [3, 3], pad: 'valid', dataFormat: 'NHWC', filterShape: [4, 4, 3, 5] };
    const dyValid = seededValues([2, 3, 3, 5], 15);
    expect(await relativeError('Conv2DBackpropFilter', { x, dy: dyValid }, valid)).toBeLessThanOrEqual(
      TOLERANCE,
    );
  });

  it('handles NCHW data and unequal strides', async () => {
    const x = seededValues([2, 3, 9, 8], 5);
    const dy = seededValues([2, 4, 5, 3], 6);
    const attrs = { strides: [2, 3], pad: 'same', dataFormat: 'NCHW' };
    const filterError = await relativeError(
      'Conv2DBackpropFilter',
      { x, dy },
      { ...attrs, filterShape: [3, 3, 3, 4] },
    );
    const filter = seededValues([3, 3, 3, 4], 7);
    const inputError = await relativeError(
      'Conv2DBackpropInput',
      { dy, filter },
      { ...attrs, inputShape: [2, 3, 9, 8] },
    );
    expect(Math.max(filterError, inputError)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput on wasm', () => {
  const cases = convCases([1, 2], (inChannels) => inChannels).flatMap((c, index) => [
    { ...c, outChannels: c.inChannels * (index % 2 === 0 ? 1 : 2) },
  ]);
  const withMultiplier = cases.concat(
    cases.map((c) => ({ ...c, outChannels: c.inChannels * 3 - c.outChannels })),
  );
  const describeCase = (c: ConvCase) => `${label(c)}, multiplier ${c.outChannels / c.inChannels}`;
  it.each(withMultiplier.map((c) => [describeCase(c), c] as const))('filter gradient, %s', async (_, c) => {
    const multiplier = c.outChannels / c.inChannels;
    const x = seededValues([c.batch, 9, 10, c.inChannels], 8);
    const dy = seededValues(outputShape(c, 9, 10, c.outChannels), 9);
    const filter = new Float32Array(c.filter[0] * c.filter[1] * c.outChannels);
    const reference = depthwiseReference(c, x.values, filter, dy.values).filterGradient;
    const attrs = {
      strides: [c.stride, c.stride],
      dilations: [c.dilation, c.dilation],
      pad: c.pad,
      filterShape: [c.filter[0], c.filter[1], c.inChannels, multiplier],
    };
    const error = await relativeError(
      'DepthwiseConv2dNativeBackpropFilter',
      { x, dy },
      attrs,
      c.dilation > 1 ? reference : undefined,
    );
    if (c.dilation === 1) {
      expect(
        await relativeError('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs, reference),
      ).toBeLessThanOrEqual(TOLERANCE);
    }
    expect(error).toBeLessThanOrEqual(TOLERANCE);
  });
  it.each(withMultiplier.map((c) => [describeCase(c), c] as const))('input gradient, %s', async (_, c) => {
    const multiplier = c.outChannels / c.inChannels;
    const filter = seededValues([c.filter[0], c.filter[1], c.inChannels, multiplier], 10);
    const dy = seededValues(outputShape(c, 9, 10, c.outChannels), 11);
    const x = new Float32Array(c.batch * 9 * 10 * c.inChannels);
    const reference = depthwiseReference(c, x, filter.values, dy.values).inputGradient;
    const attrs = {
      strides: [c.stride, c.stride],
      dilations: [c.dilation, c.dilation],
      pad: c.pad,
      inputShape: [c.batch, 9, 10, c.inChannels],
    };
    const error = await relativeError(
      'DepthwiseConv2dNativeBackpropInput',
      { dy, filter },
      attrs,
      c.dilation > 1 ? reference : undefined,
    );
    if (c.dilation === 1) {
      expect(
        await relativeError('DepthwiseConv2dNativeBackpropInput', { dy, filter }, attrs, reference),
      ).toBeLessThanOrEqual(TOLERANCE);
    }
    expect(error).toBeLessThanOrEqual(TOLERANCE);
  });
});
