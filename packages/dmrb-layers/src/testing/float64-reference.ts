/**
 * Plain float64 re-implementations of the block equations, written with explicit loops and
 * no tfjs, used by the tests as an independent reference. Not part of the published build.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** A dense float64 NHWC array. */
export interface Array4 {
  readonly data: Float64Array;
  readonly shape: readonly [number, number, number, number];
}

/** Copies a tensor into a float64 array of the same shape (1-D to 3-D shapes are left-padded with 1s). */
export function toArray4(tensor: tf.Tensor): Array4 {
  const shape = [...tensor.shape];
  while (shape.length < 4) shape.unshift(1);
  return { data: Float64Array.from(tensor.dataSync()), shape: shape as [number, number, number, number] };
}

/** Copies a tensor into a flat float64 array. */
export function toVector(tensor: tf.Tensor | undefined): Float64Array | undefined {
  return tensor === undefined ? undefined : Float64Array.from(tensor.dataSync());
}

function zeros(shape: readonly [number, number, number, number]): Array4 {
  return { data: new Float64Array(shape[0] * shape[1] * shape[2] * shape[3]), shape };
}

/** Stride-1 convolution with zero "same" padding; kernel `[k, k, in, out]`. */
export function conv2dSame(x: Array4, kernel: Array4, bias?: Float64Array): Array4 {
  const [batch, height, width, inputs] = x.shape;
  const [size, , kernelInputs, outputs] = kernel.shape;
  if (kernelInputs !== inputs)
    throw new Error(`conv2dSame: ${inputs} input channels, kernel wants ${kernelInputs}`);
  const pad = (size - 1) / 2;
  const out = zeros([batch, height, width, outputs]);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < height; i++)
      for (let j = 0; j < width; j++)
        for (let o = 0; o < outputs; o++) {
          let sum = bias === undefined ? 0 : bias[o];
          for (let di = 0; di < size; di++) {
            const row = i + di - pad;
            if (row < 0 || row >= height) continue;
            for (let dj = 0; dj < size; dj++) {
              const column = j + dj - pad;
              if (column < 0 || column >= width) continue;
              for (let c = 0; c < inputs; c++) {
                sum +=
                  x.data[((b * height + row) * width + column) * inputs + c] *
                  kernel.data[((di * size + dj) * inputs + c) * outputs + o];
              }
            }
          }
          out.data[((b * height + i) * width + j) * outputs + o] = sum;
        }
  return out;
}

/** Element-wise map. */
export function map(x: Array4, f: (value: number, index: number) => number): Array4 {
  return { data: x.data.map(f), shape: x.shape };
}

/** Element-wise sum of two arrays of the same shape. */
export function add(a: Array4, b: Array4): Array4 {
  return map(a, (value, index) => value + b.data[index]);
}

/** Concatenation along channels. */
export function concatChannels(parts: readonly Array4[]): Array4 {
  const [batch, height, width] = parts[0].shape;
  const channels = parts.reduce((sum, part) => sum + part.shape[3], 0);
  const out = zeros([batch, height, width, channels]);
  for (let pixel = 0; pixel < batch * height * width; pixel++) {
    let offset = 0;
    for (const part of parts) {
      const c = part.shape[3];
      for (let k = 0; k < c; k++) out.data[pixel * channels + offset + k] = part.data[pixel * c + k];
      offset += c;
    }
  }
  return out;
}

/** Float64 convolution weights. */
export interface ReferenceConvolution {
  readonly kernel: Array4;
  readonly bias?: Float64Array;
}

/** RCB: `x + conv2(leakyRelu(conv1(x)))`. */
export function residualConvBlockReference(
  x: Array4,
  first: ReferenceConvolution,
  second: ReferenceConvolution,
  alpha: number,
): Array4 {
  const hidden = map(conv2dSame(x, first.kernel, first.bias), (v) => (v >= 0 ? v : alpha * v));
  return add(x, conv2dSame(hidden, second.kernel, second.bias));
}

/** The float64 weights of a PSA block. */
export interface ReferencePolarizedWeights {
  readonly channelQuery: ReferenceConvolution;
  readonly channelValue: ReferenceConvolution;
  readonly channelUp: ReferenceConvolution;
  readonly gamma: Float64Array;
  readonly beta: Float64Array;
  readonly spatialQuery: ReferenceConvolution;
  readonly spatialValue: ReferenceConvolution;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function softmax(values: number[]): number[] {
  const top = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - top));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / total);
}

/** Channel weights per sample and channel, following SPEC section 2 (parallel PSA, channel branch). */
function channelWeights(x: Array4, w: ReferencePolarizedWeights, epsilon: number): number[][] {
  const [batch, height, width, channels] = x.shape;
  const positions = height * width;
  const q = conv2dSame(x, w.channelQuery.kernel, w.channelQuery.bias);
  const v = conv2dSame(x, w.channelValue.kernel, w.channelValue.bias);
  const reduced = v.shape[3];
  const result: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const weightsOverPositions = softmax(Array.from(q.data.subarray(b * positions, (b + 1) * positions)));
    const z: number[] = [];
    for (let r = 0; r < reduced; r++) {
      let sum = 0;
      for (let p = 0; p < positions; p++)
        sum += v.data[(b * positions + p) * reduced + r] * weightsOverPositions[p];
      z.push(sum);
    }
    const up: number[] = [];
    for (let c = 0; c < channels; c++) {
      let sum = w.channelUp.bias?.[c] ?? 0;
      for (let r = 0; r < reduced; r++) sum += z[r] * w.channelUp.kernel.data[r * channels + c];
      up.push(sum);
    }
    const mean = up.reduce((a, s) => a + s, 0) / channels;
    const variance = up.reduce((a, s) => a + (s - mean) ** 2, 0) / channels;
    result.push(
      up.map((u, c) => sigmoid(((u - mean) / Math.sqrt(variance + epsilon)) * w.gamma[c] + w.beta[c])),
    );
  }
  return result;
}

/** Spatial weights per sample and position. */
function spatialWeights(x: Array4, w: ReferencePolarizedWeights): number[][] {
  const [batch, height, width] = x.shape;
  const positions = height * width;
  const q = conv2dSame(x, w.spatialQuery.kernel, w.spatialQuery.bias);
  const v = conv2dSame(x, w.spatialValue.kernel, w.spatialValue.bias);
  const reduced = v.shape[3];
  const result: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const pooled: number[] = [];
    for (let r = 0; r < reduced; r++) {
      let sum = 0;
      for (let p = 0; p < positions; p++) sum += q.data[(b * positions + p) * reduced + r];
      pooled.push(sum / positions);
    }
    const query = softmax(pooled);
    const row: number[] = [];
    for (let p = 0; p < positions; p++) {
      let sum = 0;
      for (let r = 0; r < reduced; r++) sum += v.data[(b * positions + p) * reduced + r] * query[r];
      row.push(sigmoid(sum));
    }
    result.push(row);
  }
  return result;
}

function scaleChannels(x: Array4, weights: number[][]): Array4 {
  const [, height, width, channels] = x.shape;
  return map(
    x,
    (value, index) => value * weights[Math.floor(index / (height * width * channels))][index % channels],
  );
}

function scalePositions(x: Array4, weights: number[][]): Array4 {
  const [, height, width, channels] = x.shape;
  const positions = height * width;
  return map(x, (value, index) => {
    const pixel = Math.floor(index / channels);
    return value * weights[Math.floor(pixel / positions)][pixel % positions];
  });
}

/** PSA output in the parallel or the sequential layout. */
export function polarizedSelfAttentionReference(
  x: Array4,
  w: ReferencePolarizedWeights,
  layout: 'parallel' | 'sequential',
  epsilon: number,
): Array4 {
  const channelOut = scaleChannels(x, channelWeights(x, w, epsilon));
  if (layout === 'sequential') return scalePositions(channelOut, spatialWeights(channelOut, w));
  return add(channelOut, scalePositions(x, spatialWeights(x, w)));
}

/**
 * Largest singular value of a row-major `[rows, columns]` matrix: square root of the largest
 * eigenvalue of `M^T M`, found by cyclic Jacobi rotations (not by power iteration).
 */
export function largestSingularValue(matrix: Float64Array, rows: number, columns: number): number {
  const a = new Float64Array(columns * columns);
  for (let i = 0; i < columns; i++)
    for (let j = 0; j < columns; j++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += matrix[r * columns + i] * matrix[r * columns + j];
      a[i * columns + j] = sum;
    }
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < columns; p++) for (let q = p + 1; q < columns; q++) off += a[p * columns + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < columns; p++)
      for (let q = p + 1; q < columns; q++) {
        const apq = a[p * columns + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * columns + q] - a[p * columns + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < columns; k++) {
          const akp = a[k * columns + p];
          const akq = a[k * columns + q];
          a[k * columns + p] = c * akp - s * akq;
          a[k * columns + q] = s * akp + c * akq;
        }
        for (let k = 0; k < columns; k++) {
          const apk = a[p * columns + k];
          const aqk = a[q * columns + k];
          a[p * columns + k] = c * apk - s * aqk;
          a[q * columns + k] = s * apk + c * aqk;
        }
      }
  }
  let largest = 0;
  for (let i = 0; i < columns; i++) largest = Math.max(largest, a[i * columns + i]);
  return Math.sqrt(largest);
}

/** Largest absolute difference between a tensor and a float64 array, relative to the array's largest magnitude. */
export function relativeError(actual: tf.Tensor, expected: Array4): number {
  const values = actual.dataSync();
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.data.length; i++) {
    worst = Math.max(worst, Math.abs(values[i] - expected.data[i]));
    scale = Math.max(scale, Math.abs(expected.data[i]));
  }
  return worst / scale;
}
