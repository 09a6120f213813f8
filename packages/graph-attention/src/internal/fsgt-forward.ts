import * as tf from '@tensorflow/tfjs-core';
import { type CutoffPolicy, headCutoffs } from '../cutoff-policy.js';
import { graphFourierFilter } from '../graph-fourier-filter.js';
import {
  type AdjacencyActivation,
  normalizedLaplacian,
  symmetricAdjacency,
} from '../normalized-laplacian.js';
import { type EigenGradient, symmetricEigen } from '../symmetric-eigen.js';
import { type EigenSolver, resolveEigenSolver } from '../symmetric-eigen-kernel.js';
import { padToWindowMultiple, windowPartition, windowReverse } from '../window-partition.js';
import { projectChannels } from './tensor-utils.js';

/** Trainable tensors of one FSGT block. */
export interface FsgtWeights {
  /** `[channels, 3 * channels + 2 * adjacencyChannels]`: W_Q, W_K, W_V, f1, f2 side by side. */
  readonly projectionKernel: tf.Tensor2D;
  /** `[3 * channels + 2 * adjacencyChannels]`. */
  readonly projectionBias: tf.Tensor1D;
  /** `[channels, channels]`: the 1x1 head-fusion convolution. */
  readonly fusionKernel: tf.Tensor2D;
  /** `[channels]`. */
  readonly fusionBias: tf.Tensor1D;
}

/** Resolved hyper-parameters of one FSGT block. */
export interface FsgtSettings {
  readonly windowSize: [number, number];
  readonly numHeads: number;
  readonly adjacencyChannels: number;
  readonly adjacencyActivation: AdjacencyActivation;
  readonly cutoffPolicy: CutoffPolicy;
  readonly constantCutoffFraction: number;
  readonly eigenGradient: EigenGradient;
  readonly degeneracyEpsilon: number;
  readonly eigenSolver: EigenSolver;
}

/**
 * FSGT forward pass on `[batch, height, width, channels]`; returns the same shape (with residual).
 * Callers run it inside `tf.tidy`.
 */
export function fsgtForward(input: tf.Tensor4D, weights: FsgtWeights, settings: FsgtSettings): tf.Tensor4D {
  const [batch, height, width, channels] = input.shape;
  const { windowSize, numHeads, adjacencyChannels } = settings;
  const windowArea = windowSize[0] * windowSize[1];
  const headChannels = channels / numHeads;
  const padded = padToWindowMultiple(input, windowSize);
  const [, paddedHeight, paddedWidth] = padded.shape;
  const nodes = (paddedHeight / windowSize[0]) * (paddedWidth / windowSize[1]);
  const features = windowArea * headChannels;

  const projected = projectChannels(padded, weights.projectionKernel);
  const sizes = [channels, channels, channels, adjacencyChannels, adjacencyChannels];
  const [query, key, value, source, target] = tf.split(projected, sizes, -1);
  const [queryBias, keyBias, valueBias, sourceBias, targetBias] = tf.split(weights.projectionBias, sizes);

  const toHeads = (t: tf.Tensor): tf.Tensor3D => {
    const windows = tf.reshape(windowPartition(t, windowSize), [
      batch,
      nodes,
      windowArea,
      numHeads,
      headChannels,
    ]);
    return tf.reshape(tf.transpose(windows, [0, 3, 1, 2, 4]), [batch * numHeads, nodes, features]);
  };
  const queries = toHeads(tf.add(query, queryBias));
  const values = toHeads(tf.add(value, valueBias));
  const keys = filterKeys(toHeads(key), padded, { source, target, sourceBias, targetBias }, settings, nodes);
  const keyBiasPerHead = tf.reshape(keyBias, [1, numHeads, 1, 1, headChannels]);
  const biasedKeys = tf.reshape(
    tf.add(tf.reshape(keys, [batch, numHeads, nodes, windowArea, headChannels]), keyBiasPerHead),
    [batch * numHeads, nodes, features],
  );

  const logits = tf.mul(tf.matMul(queries, biasedKeys, false, true), 1 / Math.sqrt(features));
  const attended = tf.matMul(tf.softmax(logits), values);
  const merged = tf.transpose(
    tf.reshape(attended, [batch, numHeads, nodes, windowArea, headChannels]),
    [0, 2, 3, 1, 4],
  );
  const windows = tf.reshape(merged, [batch * nodes, windowSize[0], windowSize[1], channels]);
  let output: tf.Tensor4D = windowReverse(windows, paddedHeight, paddedWidth);
  if (paddedHeight !== height || paddedWidth !== width) {
    output = tf.slice(output, [0, 0, 0, 0], [batch, height, width, channels]);
  }
  const fused = tf.add(projectChannels(output, weights.fusionKernel), weights.fusionBias);
  return tf.add(input, fused) as tf.Tensor4D;
}

interface AdjacencyInputs {
  readonly source: tf.Tensor;
  readonly target: tf.Tensor;
  readonly sourceBias: tf.Tensor;
  readonly targetBias: tf.Tensor;
}

/**
 * Builds the window graph, decomposes its Laplacian once per image (shared by all heads) and
 * high-pass filters every head's keys with that head's cut-off. Keys: `[batch * heads, nodes, features]`.
 */
function filterKeys(
  keys: tf.Tensor3D,
  padded: tf.Tensor4D,
  adjacency: AdjacencyInputs,
  settings: FsgtSettings,
  nodes: number,
): tf.Tensor3D {
  const { numHeads, windowSize, adjacencyChannels } = settings;
  const cutoffs = headCutoffs(nodes, numHeads, settings.cutoffPolicy, settings.constantCutoffFraction);
  if (cutoffs.every((k) => k === 0)) return keys;
  const batch = padded.shape[0];
  const nodeDimension = windowSize[0] * windowSize[1] * adjacencyChannels;
  const toNodes = (t: tf.Tensor, bias: tf.Tensor) =>
    tf.reshape(windowPartition(tf.add(t, bias), windowSize), [batch, nodes, nodeDimension]) as tf.Tensor3D;
  const similarity = tf.mul(
    tf.matMul(
      toNodes(adjacency.source, adjacency.sourceBias),
      toNodes(adjacency.target, adjacency.targetBias),
      false,
      true,
    ),
    1 / Math.sqrt(nodeDimension),
  );
  // The finiteness check reads the adjacency back; only the host solver (which reads back anyway) can afford it.
  const solver = resolveEigenSolver(settings.eigenSolver, 'Fsgt');
  const laplacian = normalizedLaplacian(symmetricAdjacency(similarity, settings.adjacencyActivation), {
    checkFinite: solver === 'host',
  });
  const { eigenvectors } = symmetricEigen(laplacian, {
    gradient: settings.eigenGradient,
    degeneracyEpsilon: settings.degeneracyEpsilon,
    solver,
  });
  const features = keys.shape[2];
  const perHead = tf.reshape(keys, [batch, numHeads, nodes, features]);
  const filtered = cutoffs.map((cutoff, head) => {
    const headKeys = tf.reshape(tf.slice(perHead, [0, head, 0, 0], [batch, 1, nodes, features]), [
      batch,
      nodes,
      features,
    ]);
    return graphFourierFilter(headKeys, eigenvectors, cutoff);
  });
  return tf.reshape(tf.stack(filtered, 1), [batch * numHeads, nodes, features]);
}
