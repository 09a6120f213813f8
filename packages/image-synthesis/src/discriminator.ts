import { SpectralNormalizedConv2D } from '@siran/dmrb-layers';
import * as tfl from '@tensorflow/tfjs-layers';
import { definedOnly } from './generator.js';
import { InstanceNormalization } from './layers.js';

/** Options of {@link createMultiscaleDiscriminator}. */
export interface MultiscaleDiscriminatorOptions {
  /** Height and width of the input patches. Required. */
  readonly size?: number;
  /** Channels of the input: image channels plus land-cover classes (the discriminator is conditional). Required. */
  readonly inputChannels?: number;
  /** PatchGANs, each on the input average-pooled once more than the previous; see {@link defaultDiscriminatorScales}. */
  readonly scales?: number;
  /** Channels of the first convolution; doubled by each further convolution (at most 8x). */
  readonly baseFilters?: number;
  /** Convolutions of stride 2 in each PatchGAN (then one of stride 1 and the 1-channel output convolution). */
  readonly stridedLayers?: number;
  /** Seed of the initial weights; `null` draws unseeded values. */
  readonly seed?: number | null;
}

/** Defaults of {@link MultiscaleDiscriminatorOptions} (`size` and `inputChannels` must be given). */
export const DEFAULT_MULTISCALE_DISCRIMINATOR_OPTIONS: Required<MultiscaleDiscriminatorOptions> = {
  size: 0,
  inputChannels: 0,
  scales: 2,
  baseFilters: 32,
  stridedLayers: 2,
  seed: null,
};

/**
 * The number of discriminator scales for a patch size: 2 up to 256 pixels, 3 from 512 (Baier et al.).
 *
 * @param size - Patch height and width.
 * @returns 2 or 3.
 */
export function defaultDiscriminatorScales(size: number): number {
  return size >= 512 ? 3 : 2;
}

/**
 * Builds a multiscale PatchGAN discriminator (pix2pixHD / SPADE).
 *
 * @param options - See {@link MultiscaleDiscriminatorOptions}.
 * @returns A model with input `[batch, size, size, inputChannels]` (the image concatenated with the one-hot map)
 *   and, per scale, `stridedLayers + 2` outputs in order: the intermediate features (used by the
 *   feature-matching loss) and last the patch logits `[batch, h, w, 1]`. The caller disposes it.
 * @throws RangeError if `size` is too small for the scales and strides.
 * @remarks Per PatchGAN: 4x4 convolutions, spectrally normalised; instance normalisation after every
 *   convolution but the first and the last; LeakyReLU 0.2. Scale `s` sees the input average-pooled (3x3,
 *   stride 2, 'same') `s` times.
 * @example
 * ```ts
 * const discriminator = createMultiscaleDiscriminator({ size: 64, inputChannels: 3 + 8 });
 * const outputs = discriminator.apply(tf.concat([image, landCover], -1)) as tf.Tensor[];
 * ```
 */
export function createMultiscaleDiscriminator(options: MultiscaleDiscriminatorOptions): tfl.LayersModel {
  const o = { ...DEFAULT_MULTISCALE_DISCRIMINATOR_OPTIONS, ...definedOnly(options) };
  const smallest = o.size / 2 ** (o.scales - 1 + o.stridedLayers);
  if (!(smallest >= 2) || !(o.inputChannels > 0)) {
    throw new RangeError(
      `createMultiscaleDiscriminator: size ${o.size} is too small for ${o.scales} scales of ${o.stridedLayers} strided layers (or inputChannels ${o.inputChannels} is not positive)`,
    );
  }
  let seed = o.seed;
  const nextSeed = () => (seed === null ? null : seed++);
  const input = tfl.input({ shape: [o.size, o.size, o.inputChannels], name: 'image_and_map' });
  const outputs: tfl.SymbolicTensor[] = [];
  let scaled: tfl.SymbolicTensor = input;
  for (let scale = 0; scale < o.scales; scale++) {
    if (scale > 0) {
      scaled = tfl.layers
        .averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })
        .apply(scaled) as tfl.SymbolicTensor;
    }
    let x = scaled;
    for (let layer = 0; layer <= o.stridedLayers; layer++) {
      const filters = o.baseFilters * Math.min(2 ** layer, 8);
      const strides = layer < o.stridedLayers ? 2 : 1;
      x = new SpectralNormalizedConv2D({ filters, kernelSize: 4, strides, seed: nextSeed() }).apply(
        x,
      ) as tfl.SymbolicTensor;
      if (layer > 0) x = new InstanceNormalization().apply(x) as tfl.SymbolicTensor;
      x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
      outputs.push(x);
    }
    outputs.push(
      new SpectralNormalizedConv2D({ filters: 1, kernelSize: 4, seed: nextSeed() }).apply(
        x,
      ) as tfl.SymbolicTensor,
    );
  }
  return tfl.model({ inputs: input, outputs, name: 'multiscale_discriminator' });
}

/**
 * Splits the flat output list of {@link createMultiscaleDiscriminator} into scales.
 *
 * @param outputs - The model's outputs, in order.
 * @param scales - The number of scales.
 * @returns Per scale, its features and its logits (tensors of `outputs`; not copied).
 */
export function splitDiscriminatorOutputs<T>(
  outputs: readonly T[],
  scales: number,
): { features: T[]; logits: T }[] {
  const perScale = outputs.length / scales;
  return Array.from({ length: scales }, (_, scale) => {
    const slice = outputs.slice(scale * perScale, (scale + 1) * perScale);
    return { features: slice.slice(0, -1), logits: slice[slice.length - 1] };
  });
}
