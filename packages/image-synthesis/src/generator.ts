import { SpectralNormalizedConv2D } from '@siran/dmrb-layers';
import * as tfl from '@tensorflow/tfjs-layers';
import { NearestResize } from './layers.js';
import { Spade } from './spade-layer.js';

/** Options of {@link createSpadeGenerator}. */
export interface SpadeGeneratorOptions {
  /** Height and width of the input patches; a multiple of `2 ** downsamplings`. Required. */
  readonly size?: number;
  /** Land-cover classes (channels of the one-hot map). Required unless `normalization` is `'batch'`. */
  readonly classes?: number;
  /** Channels of the raster input (the DEM: 1). */
  readonly rasterChannels?: number;
  /** Channels of the synthesised image (RGB or NIR/R/G: 3). */
  readonly outputChannels?: number;
  /** Channels after the 7x7 convolution; doubled by each strided convolution. */
  readonly baseFilters?: number;
  /** Strided convolutions of the encoder and upsamplings of the decoder. */
  readonly downsamplings?: number;
  /** ResNet blocks of the body. */
  readonly residualBlocks?: number;
  /** Channels of the shared convolution in every SPADE layer. */
  readonly spadeHiddenChannels?: number;
  /** `'spade'`: every normalisation is SPADE fed by the land-cover map; `'batch'`: batch normalisation, raster only. */
  readonly normalization?: 'spade' | 'batch';
  /** `true`: the raster is encoded; `false`: a plain SPADE generator whose input is the map itself. */
  readonly encoder?: boolean;
  /** Seed of the initial weights; `null` draws unseeded values. */
  readonly seed?: number | null;
}

/** Defaults of {@link SpadeGeneratorOptions} (`size` and `classes` must be given). */
export const DEFAULT_SPADE_GENERATOR_OPTIONS: Required<SpadeGeneratorOptions> = {
  size: 0,
  classes: 0,
  rasterChannels: 1,
  outputChannels: 3,
  baseFilters: 32,
  downsamplings: 2,
  residualBlocks: 4,
  spadeHiddenChannels: 32,
  normalization: 'spade',
  encoder: true,
  seed: null,
};

const SLOPE = 0.2;

/**
 * Builds the SPADE generator: an encoder on the raster input, a body of ResNet blocks and a decoder, every
 * normalisation a {@link Spade} layer fed by the one-hot land-cover map.
 *
 * @param options - Sizes and switches, see {@link SpadeGeneratorOptions}.
 * @returns A tfjs-layers model. Inputs, in order: the raster `[batch, size, size, rasterChannels]` (unless
 *   `encoder` is false) and the one-hot map `[batch, size, size, classes]` (unless `normalization` is
 *   `'batch'`); output `[batch, size, size, outputChannels]` in [-1, 1]. The caller disposes the model.
 * @throws RangeError if `size` is not a positive multiple of `2 ** downsamplings`, `classes` is missing for
 *   SPADE, or `normalization: 'batch'` is combined with `encoder: false` (the generator would have no input).
 * @remarks
 * Encoder: 7x7 convolution, then `downsamplings` 3x3 convolutions of stride 2 (channels doubled), each
 * followed by normalisation and LeakyReLU 0.2. Body: `residualBlocks` blocks
 * `x + conv(act(norm(conv(act(norm(x))))))`. Decoder: per level, nearest-neighbour upsampling x2, 3x3
 * convolution (channels halved), normalisation, LeakyReLU. Then a 3x3 convolution and tanh. Every
 * convolution of the main path is a `SpectralNormalizedConv2D`; the small convolutions inside SPADE are not
 * spectrally normalised (as in Park et al.'s code). Without the encoder the bottleneck input is the map
 * resized by nearest neighbour to the bottleneck resolution, then a 3x3 convolution (Park et al.'s
 * generator without the image encoder).
 * @example
 * ```ts
 * const generator = createSpadeGenerator({ size: 64, classes: 8 });
 * const image = generator.predict([dem, landCover]) as tf.Tensor4D;
 * ```
 */
export function createSpadeGenerator(options: SpadeGeneratorOptions): tfl.LayersModel {
  const o = { ...DEFAULT_SPADE_GENERATOR_OPTIONS, ...definedOnly(options) };
  const factor = 2 ** o.downsamplings;
  if (!Number.isInteger(o.size) || o.size < 1 || o.size % factor !== 0) {
    throw new RangeError(
      `createSpadeGenerator: size must be a positive multiple of 2 ** downsamplings = ${factor}, got ${o.size}`,
    );
  }
  const spade = o.normalization === 'spade';
  if (spade && !(Number.isInteger(o.classes) && o.classes > 0))
    throw new RangeError(`createSpadeGenerator: classes must be a positive integer, got ${o.classes}`);
  if (!spade && !o.encoder)
    throw new RangeError(
      "createSpadeGenerator: normalization 'batch' needs the encoder (the raster is the only input)",
    );
  let seed = o.seed;
  const nextSeed = () => (seed === null ? null : seed++);
  const conv = (filters: number, kernelSize: number, strides = 1) =>
    new SpectralNormalizedConv2D({ filters, kernelSize, strides, seed: nextSeed() });
  const inputs: tfl.SymbolicTensor[] = [];
  const raster = o.encoder ? tfl.input({ shape: [o.size, o.size, o.rasterChannels], name: 'raster' }) : null;
  if (raster) inputs.push(raster);
  const map = spade ? tfl.input({ shape: [o.size, o.size, o.classes], name: 'land_cover' }) : null;
  if (map) inputs.push(map);
  const norm = (x: tfl.SymbolicTensor): tfl.SymbolicTensor =>
    (map
      ? new Spade({ hiddenChannels: o.spadeHiddenChannels, seed: nextSeed() }).apply([x, map])
      : tfl.layers.batchNormalization().apply(x)) as tfl.SymbolicTensor;
  const act = (x: tfl.SymbolicTensor) =>
    tfl.layers.leakyReLU({ alpha: SLOPE }).apply(x) as tfl.SymbolicTensor;
  const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor) => layer.apply(x) as tfl.SymbolicTensor;

  const bottleneckFilters = o.baseFilters * factor;
  let x: tfl.SymbolicTensor;
  if (raster) {
    x = act(norm(apply(conv(o.baseFilters, 7), raster)));
    for (let level = 1; level <= o.downsamplings; level++)
      x = act(norm(apply(conv(o.baseFilters * 2 ** level, 3, 2), x)));
  } else {
    const side = o.size / factor;
    x = apply(
      conv(bottleneckFilters, 3),
      apply(new NearestResize({ size: [side, side] }), map as tfl.SymbolicTensor),
    );
  }
  for (let block = 0; block < o.residualBlocks; block++) {
    const branch = apply(
      conv(bottleneckFilters, 3),
      act(norm(apply(conv(bottleneckFilters, 3), act(norm(x))))),
    );
    x = tfl.layers.add().apply([x, branch]) as tfl.SymbolicTensor;
  }
  for (let level = o.downsamplings - 1; level >= 0; level--) {
    x = apply(tfl.layers.upSampling2d({ size: [2, 2] }), x);
    x = act(norm(apply(conv(o.baseFilters * 2 ** level, 3), x)));
  }
  const image = tfl.layers
    .activation({ activation: 'tanh' })
    .apply(apply(conv(o.outputChannels, 3), x)) as tfl.SymbolicTensor;
  return tfl.model({ inputs, outputs: image, name: 'spade_generator' });
}

/**
 * Copies an options object without its `undefined` values.
 *
 * @param options - Partial options.
 * @returns The defined entries.
 */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
