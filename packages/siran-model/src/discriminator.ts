import { Dmrb, PolarizedSelfAttention } from '@siran/dmrb-layers';
import * as tfl from '@tensorflow/tfjs-layers';
import { resolveSiranConfig, type SiranConfigInput } from './config.js';
import { convolution, leaky } from './internal/layers.js';

type Symbolic = tfl.SymbolicTensor;

/**
 * Builds the SiRAN discriminator: encoder -> DMRBs -> decoder -> MLP head.
 *
 * @param input - A preset name or a configuration.
 * @returns A tfjs-layers model with input `dem` `[batch, height, width, 1]` (normalised) and outputs
 *   `[logits [batch, 1], a_1, ..., a_k]`: the real/fake logit (sigmoid gives `D(y)`), then the activations after
 *   each of the `k = discriminatorBlocks` DMRBs, `[batch, height, width, channels]`, from which the
 *   discriminator spatial attention is computed.
 * @example
 * ```ts
 * const discriminator = createDiscriminator('tiny');
 * const [logits, ...activations] = discriminator.predict(dem) as tf.Tensor[];
 * ```
 */
export function createDiscriminator(input: SiranConfigInput): tfl.LayersModel {
  const config = resolveSiranConfig(input);
  const dem = tfl.input({ shape: [null, null, 1], name: 'dem' });
  let features = leaky('d_encoder_act').apply(
    convolution('d_encoder_conv', config.channels, 3, config.seed + 10).apply(dem),
  ) as Symbolic;
  const activations: Symbolic[] = [];
  for (let index = 0; index < config.discriminatorBlocks; index++) {
    const block = new Dmrb({
      name: `d_dmrb${index}`,
      blockCount: config.rcbsPerDmrb,
      seed: config.seed + 300 + index,
    });
    features = block.apply(features) as Symbolic;
    activations.push(features);
  }
  let decoded = features;
  for (let index = 0; index < 2; index++) {
    const conv = convolution(`d_decoder_conv${index}`, config.channels, 3, config.seed + 20 + index, 2);
    decoded = leaky(`d_decoder_act${index}`).apply(conv.apply(decoded)) as Symbolic;
  }
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'd_pool' }).apply(decoded) as Symbolic;
  const hidden = tfl.layers
    .dense({
      name: 'd_mlp_hidden',
      units: config.channels,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: config.seed + 30 }),
    })
    .apply(pooled) as Symbolic;
  const logits = tfl.layers
    .dense({
      name: 'd_mlp_logit',
      units: 1,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: config.seed + 31 }),
    })
    .apply(leaky('d_mlp_act').apply(hidden)) as Symbolic;
  return tfl.model({ name: 'siran_discriminator', inputs: dem, outputs: [logits, ...activations] });
}

// The discriminator spatial attention (per-block maps and S2A's combined map) lives in @siran/dmrb-layers, so that
// packages below this one (such as @siran/band-synthesis) share the one implementation; re-exported here unchanged.
export { attentionMaps, combinedAttention, normalizePerSample } from '@siran/dmrb-layers';

/**
 * Builds the attention head `A_s = sigmoid(conv1x1(PSA(maps)))` that reduces the `k` discriminator attention
 * maps to one map in [0, 1].
 *
 * @param input - A preset name or a configuration.
 * @returns A model with input `maps` `[batch, height, width, k]` and output `[batch, height, width, 1]`.
 * @remarks PSA on a single-channel map is degenerate, so it runs over the stack of the `k` per-depth maps (with
 *   at least two reduced channels) and a 1x1 convolution with a sigmoid reduces the result to one map. Its weights are trained with the generator's
 *   loss (the map exists to help the generator); the discriminator's body is not changed by that loss.
 */
export function createAttentionHead(input: SiranConfigInput): tfl.LayersModel {
  const config = resolveSiranConfig(input);
  const maps = tfl.input({ shape: [null, null, config.discriminatorBlocks], name: 'maps' });
  // At least two reduced channels: with one, the spatial branch's softmax over channels is constant.
  const reducedChannels = Math.max(2, Math.floor(config.discriminatorBlocks / 2));
  const attended = new PolarizedSelfAttention({
    name: 'attention_psa',
    reducedChannels,
    seed: config.seed + 40,
  }).apply(maps) as Symbolic;
  const reduced = tfl.layers
    .conv2d({
      name: 'attention_reduce',
      filters: 1,
      kernelSize: 1,
      activation: 'sigmoid',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: config.seed + 41 }),
    })
    .apply(attended) as Symbolic;
  return tfl.model({ name: 'siran_attention', inputs: maps, outputs: reduced });
}
