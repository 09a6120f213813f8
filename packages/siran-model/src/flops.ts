import { fsgtFlops, windowAttentionFlops } from '@siran/graph-attention';
import type * as tfl from '@tensorflow/tfjs-layers';
import { resolveSiranConfig, type SiranConfigInput } from './config.js';
import { createGenerator } from './generator.js';

/** Floating-point operations of one generator forward pass, by kind. */
export interface GeneratorFlops {
  /** Convolutions (2 per multiply-add), including those inside DMRBs and fusions. */
  readonly convolutions: number;
  /** FSGT or window-attention blocks (their own count, projections included). */
  readonly attention: number;
  /** Sum of the two. */
  readonly total: number;
  /** Trainable parameters of the generator. */
  readonly parameters: number;
}

/**
 * Counts the FLOPs of the generator on one `height x width` input (element-wise operations left out).
 *
 * @param input - Preset name or configuration.
 * @param height - Input rows.
 * @param width - Input columns.
 * @returns Convolution, attention and total FLOPs, and the parameter count.
 * @remarks Every generator convolution has stride 1 and `same` padding, so a `kh x kw x cin x cout` kernel costs
 *   `2 kh kw cin cout` per pixel. Attention blocks are counted by `fsgtFlops` / `windowAttentionFlops`.
 */
export function generatorFlops(input: SiranConfigInput, height: number, width: number): GeneratorFlops {
  const config = resolveSiranConfig(input);
  const generator = createGenerator(config);
  try {
    let convolutions = 0;
    let attention = 0;
    for (const layer of generator.layers) {
      const className = layer.getClassName();
      if (className === 'Fsgt') {
        attention += fsgtFlops([1, height, width, config.channels], {
          windowSize: config.windowSize,
          numHeads: config.heads,
        }).total;
      } else if (className === 'WindowAttention') {
        attention += windowAttentionFlops([1, height, width, config.channels], {
          windowSize: config.windowSize,
          numHeads: config.heads,
        }).total;
      } else {
        convolutions += kernelFlopsPerPixel(layer) * height * width;
      }
    }
    return { convolutions, attention, total: convolutions + attention, parameters: generator.countParams() };
  } finally {
    for (const weight of generator.weights) weight.dispose();
  }
}

function kernelFlopsPerPixel(layer: tfl.layers.Layer): number {
  let flops = 0;
  for (const weight of layer.weights) {
    if (weight.shape.length === 4)
      flops += 2 * (weight.shape as number[]).reduce((product, size) => product * size, 1);
  }
  return flops;
}
