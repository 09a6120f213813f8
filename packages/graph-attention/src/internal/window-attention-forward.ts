import * as tf from '@tensorflow/tfjs-core';
import { padToWindowMultiple, windowPartition, windowReverse } from '../window-partition.js';
import { relativePositionOneHot, shiftedWindowMask } from './swin-geometry.js';
import { projectChannels } from './tensor-utils.js';

/** Trainable tensors of one W-MSA block. */
export interface WindowAttentionWeights {
  /** `[channels, 3 * channels]`: W_Q, W_K, W_V. */
  readonly qkvKernel: tf.Tensor2D;
  /** `[3 * channels]`. */
  readonly qkvBias: tf.Tensor1D;
  /** `[(2h - 1)(2w - 1), heads]`. */
  readonly relativePositionTable: tf.Tensor2D;
  /** `[channels, channels]`. */
  readonly outputKernel: tf.Tensor2D;
  /** `[channels]`. */
  readonly outputBias: tf.Tensor1D;
}

/** Resolved hyper-parameters of one W-MSA block. */
export interface WindowAttentionSettings {
  readonly windowSize: [number, number];
  readonly numHeads: number;
  readonly shift: number;
  readonly residual: boolean;
}

/** W-MSA / SW-MSA forward on `[batch, height, width, channels]`. Callers run it inside `tf.tidy`. */
export function windowAttentionForward(
  input: tf.Tensor4D,
  weights: WindowAttentionWeights,
  settings: WindowAttentionSettings,
): tf.Tensor4D {
  const [batch, height, width, channels] = input.shape;
  const { windowSize, numHeads } = settings;
  const [windowHeight, windowWidth] = windowSize;
  const area = windowHeight * windowWidth;
  const headChannels = channels / numHeads;
  const padded = padToWindowMultiple(input, windowSize);
  const [, paddedHeight, paddedWidth] = padded.shape;
  // Swin switches the shift off when the image fits in one window.
  const shift =
    Math.min(paddedHeight, paddedWidth) <= Math.max(windowHeight, windowWidth) ? 0 : settings.shift;
  const shifted = shift > 0 ? roll(padded, -shift) : padded;
  const windows = windowPartition(shifted, windowSize);
  const count = windows.shape[0];
  const perImage = count / batch;

  const qkv = tf.add(projectChannels(windows, weights.qkvKernel), weights.qkvBias);
  const heads = tf.transpose(tf.reshape(qkv, [count, area, 3, numHeads, headChannels]), [2, 0, 3, 1, 4]);
  const [query, key, value] = tf
    .unstack(heads)
    .map((t) => tf.reshape(t, [count * numHeads, area, headChannels]));
  let logits = tf.mul(tf.matMul(query, key, false, true), 1 / Math.sqrt(headChannels));
  logits = tf.reshape(logits, [batch, perImage, numHeads, area, area]);
  logits = tf.add(logits, relativeBias(weights.relativePositionTable, windowHeight, windowWidth));
  if (shift > 0) {
    const mask = shiftedWindowMask(paddedHeight, paddedWidth, windowHeight, windowWidth, shift);
    logits = tf.add(logits, tf.tensor(mask, [1, perImage, 1, area, area]));
  }
  const attention = tf.softmax(tf.reshape(logits, [count * numHeads, area, area]));
  const attended = tf.reshape(tf.matMul(attention, value), [count, numHeads, area, headChannels]);
  const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [
    count,
    windowHeight,
    windowWidth,
    channels,
  ]);
  const projected = tf.add(projectChannels(merged, weights.outputKernel), weights.outputBias);
  let output: tf.Tensor4D = windowReverse(projected, paddedHeight, paddedWidth);
  if (shift > 0) output = roll(output, shift);
  if (paddedHeight !== height || paddedWidth !== width) {
    output = tf.slice(output, [0, 0, 0, 0], [batch, height, width, channels]);
  }
  return settings.residual ? (tf.add(input, output) as tf.Tensor4D) : output;
}

/** `[heads, hw, hw]` relative position bias from the table, as a matMul (no gather). */
function relativeBias(table: tf.Tensor2D, windowHeight: number, windowWidth: number): tf.Tensor {
  const area = windowHeight * windowWidth;
  const tableRows = table.shape[0];
  const oneHot = tf.tensor2d(relativePositionOneHot(windowHeight, windowWidth), [area * area, tableRows]);
  const bias = tf.matMul(oneHot, table);
  return tf.transpose(tf.reshape(bias, [area, area, table.shape[1]]), [2, 0, 1]);
}

/** Cyclic shift of the two spatial axes by `offset` (like `torch.roll`), from slices and concat. */
function roll(images: tf.Tensor4D, offset: number): tf.Tensor4D {
  const rollAxis = (x: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D => {
    const size = x.shape[axis];
    const split = (((-offset % size) + size) % size) as number;
    if (split === 0) return x;
    const [head, tail] = tf.split(x, [split, size - split], axis);
    return tf.concat([tail, head], axis) as tf.Tensor4D;
  };
  return rollAxis(rollAxis(images, 1), 2);
}
