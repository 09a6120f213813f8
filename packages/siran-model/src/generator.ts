import { Dmrb } from '@siran/dmrb-layers';
import { Fsgt, WindowAttention } from '@siran/graph-attention';
import * as tfl from '@tensorflow/tfjs-layers';
import { isAblated, resolveSiranConfig, type SiranConfig, type SiranConfigInput } from './config.js';
import { convolution, leaky } from './internal/layers.js';

type Symbolic = tfl.SymbolicTensor;

function attentionBranch(config: SiranConfig, index: number): tfl.layers.Layer {
  const seed = config.seed + 1000 + index;
  if (config.body === 'window-attention') {
    return new WindowAttention({
      name: `htb${index}_window_attention`,
      windowSize: config.windowSize,
      numHeads: config.heads,
      shift: index % 2 === 1 ? Math.floor(config.windowSize / 2) : 0,
      seed,
    });
  }
  return new Fsgt({ name: `htb${index}_fsgt`, windowSize: config.windowSize, numHeads: config.heads, seed });
}

/** One hybrid transformer block: DMRB and FSGT in parallel, concatenated, fused by a 1x1 convolution, plus the input. */
function hybridBlock(features: Symbolic, config: SiranConfig, index: number): Symbolic {
  const dmrb = new Dmrb({
    name: `htb${index}_dmrb`,
    blockCount: config.rcbsPerDmrb,
    seed: config.seed + 100 + index,
  });
  const local = dmrb.apply(features) as Symbolic;
  if (config.body === 'dmrb' || isAblated(config, 'no-fsgt')) return local;
  const global = attentionBranch(config, index).apply(features) as Symbolic;
  const merged = tfl.layers.concatenate({ name: `htb${index}_concat` }).apply([local, global]) as Symbolic;
  const fused = convolution(`htb${index}_fuse`, config.channels, 1, config.seed + 200 + index).apply(
    merged,
  ) as Symbolic;
  return tfl.layers.add({ name: `htb${index}_residual` }).apply([fused, features]) as Symbolic;
}

/**
 * Builds the SiRAN generator `G(coarse, guide (.) A_s)`.
 *
 * @param input - A preset name (`'tiny'`, `'cpu'`, `'paper'`) or a configuration.
 * @returns A tfjs-layers model with inputs `coarse` `[batch, height, width, 1]`, `guide`
 *   `[batch, height, width, 3]` and `attention` `[batch, height, width, 1]` (all normalised, see the README),
 *   and one output, the normalised DEM `[batch, height, width, 1]`.
 * @remarks Encoder (3x3 conv on the 4-channel concatenation) -> hybrid transformer blocks (DMRB and FSGT in
 *   parallel, concatenated and fused by a 1x1 convolution, with a residual) -> decoder (3x3 conv plus a global
 *   skip from the encoder) -> 1x1 convolution; with `residual` the coarse input is added to the output.
 *   With the `no-guide` ablation the guide is not used at all (the encoder sees the coarse DEM only).
 * @example
 * ```ts
 * const generator = createGenerator('tiny');
 * const y = generator.predict([coarse, guide, attention]) as tf.Tensor4D;
 * ```
 */
export function createGenerator(input: SiranConfigInput): tfl.LayersModel {
  const config = resolveSiranConfig(input);
  const coarse = tfl.input({ shape: [null, null, 1], name: 'coarse' });
  const guide = tfl.input({ shape: [null, null, 3], name: 'guide' });
  const attention = tfl.input({ shape: [null, null, 1], name: 'attention' });
  let encoderInput: Symbolic = coarse;
  if (!isAblated(config, 'no-guide')) {
    const attention3 = tfl.layers
      .concatenate({ name: 'attention_x3' })
      .apply([attention, attention, attention]) as Symbolic;
    const attended = tfl.layers.multiply({ name: 'guide_attended' }).apply([guide, attention3]) as Symbolic;
    encoderInput = tfl.layers.concatenate({ name: 'encoder_input' }).apply([coarse, attended]) as Symbolic;
  }
  const encoded = leaky('encoder_act').apply(
    convolution('encoder_conv', config.channels, 3, config.seed).apply(encoderInput),
  ) as Symbolic;
  let features = encoded;
  for (let index = 0; index < config.generatorBlocks; index++)
    features = hybridBlock(features, config, index);
  const decoded = convolution('decoder_conv', config.channels, 3, config.seed + 1).apply(
    features,
  ) as Symbolic;
  const skipped = tfl.layers.add({ name: 'global_skip' }).apply([decoded, encoded]) as Symbolic;
  const activated = leaky('decoder_act').apply(skipped) as Symbolic;
  // With a residual output the last convolution starts near zero, so an untrained generator returns about the
  // coarse input (the bicubic baseline) and training starts from there.
  const outputScale = config.residual ? 1e-4 : 1;
  let output = convolution('output_conv', 1, 1, config.seed + 2, 1, outputScale).apply(activated) as Symbolic;
  if (config.residual)
    output = tfl.layers.add({ name: 'coarse_residual' }).apply([output, coarse]) as Symbolic;
  return tfl.model({ name: 'siran_generator', inputs: [coarse, guide, attention], outputs: output });
}
