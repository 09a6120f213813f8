import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { definedOnly } from './generator.js';

/** Options of {@link createSegmentationUnet}. */
export interface SegmentationUnetOptions {
  /** Patch height and width, a multiple of `2 ** depth`. Required. */
  readonly size?: number;
  /** Image channels. */
  readonly inputChannels?: number;
  /** Land-cover classes. Required. */
  readonly classes?: number;
  /** Channels of the first level; doubled per level. */
  readonly baseFilters?: number;
  /** Poolings (levels below the first). */
  readonly depth?: number;
  /** Seed of the initial weights. */
  readonly seed?: number;
}

/** Defaults of {@link SegmentationUnetOptions} (`size` and `classes` must be given). */
export const DEFAULT_SEGMENTATION_UNET_OPTIONS: Required<SegmentationUnetOptions> = {
  size: 0,
  inputChannels: 3,
  classes: 0,
  baseFilters: 8,
  depth: 2,
  seed: 0,
};

/** Name of the bottleneck layer whose pooled output is the feature vector of the Fréchet distance. */
export const UNET_BOTTLENECK_LAYER = 'unet_bottleneck';

/**
 * Builds a small U-Net for land-cover segmentation of images.
 *
 * @param options - See {@link SegmentationUnetOptions}.
 * @returns A model from `[batch, size, size, inputChannels]` to class logits `[batch, size, size, classes]`; the
 *   caller disposes it.
 * @throws RangeError if `size` is not a multiple of `2 ** depth`.
 * @remarks Per level two 3x3 convolutions with ReLU; 2x2 max pooling down, nearest upsampling and
 *   concatenation with the skip up; a 1x1 convolution to logits. The bottleneck layer is named
 *   {@link UNET_BOTTLENECK_LAYER}.
 * @example
 * ```ts
 * const unet = createSegmentationUnet({ size: 32, classes: 8 });
 * ```
 */
export function createSegmentationUnet(options: SegmentationUnetOptions): tfl.LayersModel {
  const o = { ...DEFAULT_SEGMENTATION_UNET_OPTIONS, ...definedOnly(options) };
  if (!(o.size > 0) || o.size % 2 ** o.depth !== 0 || !(o.classes > 0))
    throw new RangeError(
      `createSegmentationUnet: size ${o.size} must be a positive multiple of ${2 ** o.depth} and classes ${o.classes} positive`,
    );
  let seed = o.seed;
  const conv = (filters: number, x: tfl.SymbolicTensor, name?: string) =>
    tfl.layers
      .conv2d({
        filters,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name,
        kernelInitializer: tfl.initializers.heNormal({ seed: seed++ }),
      })
      .apply(x) as tfl.SymbolicTensor;
  const input = tfl.input({ shape: [o.size, o.size, o.inputChannels] });
  const skips: tfl.SymbolicTensor[] = [];
  let x = input;
  for (let level = 0; level < o.depth; level++) {
    x = conv(o.baseFilters * 2 ** level, conv(o.baseFilters * 2 ** level, x));
    skips.push(x);
    x = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(x) as tfl.SymbolicTensor;
  }
  x = conv(o.baseFilters * 2 ** o.depth, conv(o.baseFilters * 2 ** o.depth, x), UNET_BOTTLENECK_LAYER);
  for (let level = o.depth - 1; level >= 0; level--) {
    x = tfl.layers.upSampling2d({ size: [2, 2] }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.concatenate().apply([x, skips[level]]) as tfl.SymbolicTensor;
    x = conv(o.baseFilters * 2 ** level, conv(o.baseFilters * 2 ** level, x));
  }
  const logits = tfl.layers
    .conv2d({
      filters: o.classes,
      kernelSize: 1,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed++ }),
    })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'segmentation_unet' });
}

/**
 * One Adam step of pixel-wise cross-entropy (pixels whose one-hot row is all zero are ignored).
 *
 * @param unet - The U-Net.
 * @param optimizer - Its optimiser.
 * @param images - `[batch, size, size, channels]`.
 * @param labels - One-hot `[batch, size, size, classes]`.
 * @returns The loss before the step.
 */
export function segmentationStep(
  unet: tfl.LayersModel,
  optimizer: tf.Optimizer,
  images: tf.Tensor4D,
  labels: tf.Tensor4D,
): number {
  const loss = optimizer.minimize(
    () => {
      const logits = unet.apply(images, { training: true }) as tf.Tensor4D;
      const perPixel = tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1));
      const valid = tf.sum(labels, -1);
      return tf.div(tf.sum(tf.mul(perPixel, valid)), tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
    },
    true,
    unet.trainableWeights.map((w) => w.read() as tf.Variable),
  ) as tf.Scalar;
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}

/**
 * Segments images and pools the U-Net's bottleneck features.
 *
 * @param unet - A U-Net from {@link createSegmentationUnet}.
 * @param images - `[batch, size, size, channels]`.
 * @returns Class indices `[batch * size * size]` and features `[batch * bottleneckChannels]` (global average of
 *   the bottleneck), as plain arrays.
 */
export function segmentAndEmbed(
  unet: tfl.LayersModel,
  images: tf.Tensor4D,
): { classes: Int32Array; features: Float32Array; dimension: number } {
  const bottleneck = unet.getLayer(UNET_BOTTLENECK_LAYER).output as tfl.SymbolicTensor;
  const both = tfl.model({ inputs: unet.inputs, outputs: [unet.outputs[0], bottleneck] });
  return tf.tidy(() => {
    const [logits, features] = both.predict(images) as tf.Tensor4D[];
    const pooled = tf.mean(features, [1, 2]);
    return {
      classes: tf.argMax(logits, -1).dataSync() as Int32Array,
      features: pooled.dataSync() as Float32Array,
      dimension: pooled.shape[1] as number,
    };
  });
}
