import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { isAblated, resolveSiranConfig, type SiranConfig, type SiranConfigInput } from './config.js';
import {
  attentionMaps,
  combinedAttention,
  createAttentionHead,
  createDiscriminator,
} from './discriminator.js';
import { createGenerator } from './generator.js';
import { denormalizeElevation, type InputNormalization, normalizeInputs } from './normalization.js';

/** The three networks of SiRAN with their configuration and input normalisation. */
export interface SiranModel {
  /** The resolved configuration. */
  readonly config: SiranConfig;
  /** How inputs are normalised (saved with the weights). */
  readonly normalization: InputNormalization;
  /** `G(coarse, guide, attention)`. */
  readonly generator: tfl.LayersModel;
  /** `D(dem) -> [logits, a_1..a_k]`. */
  readonly discriminator: tfl.LayersModel;
  /** `maps -> A_s` (PSA and a 1x1 sigmoid convolution). */
  readonly attentionHead: tfl.LayersModel;
}

/** Guide statistics used when none are known: values already standardised. */
export const IDENTITY_GUIDE_NORMALIZATION = {
  guideMean: [0, 0, 0],
  guideStandardDeviation: [1, 1, 1],
} as const;

/**
 * Builds the generator, the discriminator and the attention head of a configuration.
 *
 * @param input - Preset name or configuration.
 * @param normalization - Input normalisation; the elevation scale defaults to the configuration's and the
 *   guide statistics to none (already standardised).
 * @returns The model; its networks own their weights (`disposeSiranModel` releases them).
 */
export function createSiranModel(
  input: SiranConfigInput,
  normalization: Partial<InputNormalization> = {},
): SiranModel {
  const config = resolveSiranConfig(input);
  return {
    config,
    normalization: {
      elevationScale: config.elevationScale,
      offsetWindow: config.offsetWindow,
      ...IDENTITY_GUIDE_NORMALIZATION,
      ...normalization,
    },
    generator: createGenerator(config),
    discriminator: createDiscriminator(config),
    attentionHead: createAttentionHead(config),
  };
}

/**
 * Releases the weights of a model's networks.
 *
 * @param model - The model.
 */
export function disposeSiranModel(model: SiranModel): void {
  for (const network of [model.generator, model.discriminator, model.attentionHead]) {
    for (const weight of network.weights) weight.dispose();
  }
}

/**
 * The spatial attention `A_s = PSA(D_SA(coarse))` of normalised coarse DEMs.
 *
 * @param model - The model.
 * @param coarse - Normalised coarse DEMs, `[batch, height, width, 1]`.
 * @param training - Whether layers run in training mode.
 * @returns `[batch, height, width, 1]` in [0, 1]; ones with the `no-dsa` ablation, the normalised combined map
 *   without PSA with `no-psa`. The caller disposes it.
 */
export function spatialAttention(model: SiranModel, coarse: tf.Tensor4D, training = false): tf.Tensor4D {
  return tf.tidy(() => {
    if (isAblated(model.config, 'no-dsa')) return tf.onesLike(coarse);
    const [, ...activations] = model.discriminator.apply(coarse, { training }) as tf.Tensor4D[];
    const maps = attentionMaps(activations);
    if (isAblated(model.config, 'no-psa')) return combinedAttention(maps);
    return model.attentionHead.apply(maps, { training }) as tf.Tensor4D;
  });
}

/**
 * Super-resolves a batch: coarse DEM in metres and raw guide in, DEM in metres out.
 *
 * @param model - The model.
 * @param coarse - Coarse DEM on the guide grid, metres, `[batch, height, width, 1]`.
 * @param guide - Guide (NIR, red, green) in source units, `[batch, height, width, 3]`.
 * @returns The predicted DEM in metres, `[batch, height, width, 1]`; the caller disposes it.
 * @example
 * ```ts
 * const model = createSiranModel('tiny');
 * const dem = superResolve(model, coarse, guide); // metres
 * ```
 */
export function superResolve(model: SiranModel, coarse: tf.Tensor4D, guide: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const normalized = normalizeInputs(coarse, guide, model.normalization);
    const attention = spatialAttention(model, normalized.coarse);
    const output = model.generator.apply([normalized.coarse, normalized.guide, attention]) as tf.Tensor4D;
    return denormalizeElevation(output, normalized);
  });
}
