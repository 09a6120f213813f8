import type { ElevationScaling } from './normalization.js';

/** Which feature extractor the generator uses. */
export type GeneratorBody = 'hybrid' | 'dmrb' | 'window-attention';

/** Components that can be switched off for ablation studies. */
export type Ablation = 'no-guide' | 'no-dsa' | 'no-psa' | 'no-fsgt' | 'no-ot' | 'no-adv';

/** Every ablation switch. */
export const ABLATIONS: readonly Ablation[] = ['no-guide', 'no-dsa', 'no-psa', 'no-fsgt', 'no-ot', 'no-adv'];

/** Weights of the loss terms (SPEC section 3). */
export interface LossWeights {
  /** Pixel loss `lambda_P`. */
  readonly pixel: number;
  /** SSIM loss `lambda_SSIM`. */
  readonly ssim: number;
  /** Adversarial loss `lambda_ADV`. */
  readonly adversarial: number;
  /** Sinkhorn loss `lambda_OT`. */
  readonly sinkhorn: number;
  /** Domain-adaptation loss of the discriminator `lambda_DA`. */
  readonly domainAdaptation: number;
}

/** The full configuration of a SiRAN model and its training. */
export interface SiranConfig {
  /** Preset the configuration started from, for the record. */
  readonly preset: string;
  /** Feature channels of generator and discriminator. */
  readonly channels: number;
  /** Hybrid transformer blocks (or DMRBs) in the generator. */
  readonly generatorBlocks: number;
  /** DMRBs in the discriminator; also the number of spatial-attention maps. */
  readonly discriminatorBlocks: number;
  /** Residual convolution blocks inside each DMRB. */
  readonly rcbsPerDmrb: number;
  /** Generator feature extractor: DMRB + FSGT (`hybrid`), DMRB only, or DMRB + Swin window attention. */
  readonly body: GeneratorBody;
  /** FSGT / window-attention window size in pixels. */
  readonly windowSize: number;
  /** Attention heads. */
  readonly heads: number;
  /** Predict the residual over the coarse input (`y = coarse + G(...)`) instead of the DEM itself. */
  readonly residual: boolean;
  /** Training patch size in pixels. */
  readonly patchSize: number;
  /** Batch size. */
  readonly batchSize: number;
  /** Adam learning rate of both networks. */
  readonly learningRate: number;
  /** Loss weights. */
  readonly lossWeights: LossWeights;
  /** Sinkhorn entropic regularisation, relative to a per-pixel mean squared cost. */
  readonly sinkhornEpsilon: number;
  /** Sinkhorn iterations (differentiated through). */
  readonly sinkhornIterations: number;
  /** Metres that one normalised elevation unit stands for, or the floor of the local scale (see the package README). */
  readonly elevationScale: number;
  /** `'fixed'`: divide by `elevationScale`; `'local'`: by the local relief of the coarse DEM (see `ElevationScaling`). */
  readonly elevationScaling: ElevationScaling;
  /** Odd window (pixels) of the moving mean subtracted from elevations; 0 for each sample's mean. */
  readonly offsetWindow: number;
  /** Components switched off. */
  readonly ablations: readonly Ablation[];
  /** Seed of weight initialisation and data order. */
  readonly seed: number;
}

const PAPER_LOSS_WEIGHTS: LossWeights = {
  pixel: 100,
  ssim: 1,
  adversarial: 1,
  sinkhorn: 0.01,
  domainAdaptation: 0.1,
};

const COMMON = {
  body: 'hybrid',
  residual: true,
  learningRate: 1e-4,
  lossWeights: PAPER_LOSS_WEIGHTS,
  sinkhornEpsilon: 0.1,
  sinkhornIterations: 10,
  elevationScale: 10,
  elevationScaling: 'local',
  offsetWindow: 15,
  ablations: [],
  seed: 42,
} as const;

/** Named configurations: `tiny` for tests, `cpu` for the demo on two cores, `paper` as published. */
export const SIRAN_PRESETS: Readonly<Record<'tiny' | 'cpu' | 'paper', SiranConfig>> = {
  tiny: {
    ...COMMON,
    preset: 'tiny',
    channels: 8,
    generatorBlocks: 1,
    discriminatorBlocks: 2,
    rcbsPerDmrb: 1,
    windowSize: 4,
    heads: 2,
    patchSize: 16,
    batchSize: 2,
    learningRate: 1e-3,
  },
  cpu: {
    ...COMMON,
    preset: 'cpu',
    channels: 16,
    generatorBlocks: 2,
    discriminatorBlocks: 3,
    rcbsPerDmrb: 2,
    windowSize: 8,
    heads: 2,
    patchSize: 64,
    batchSize: 4,
    learningRate: 5e-4,
  },
  paper: {
    ...COMMON,
    preset: 'paper',
    channels: 64,
    generatorBlocks: 6,
    discriminatorBlocks: 6,
    rcbsPerDmrb: 3,
    windowSize: 7,
    heads: 16,
    patchSize: 128,
    batchSize: 4,
  },
};

/** A preset name, or a configuration that overrides fields of a preset (`preset` names which; default `cpu`). */
export type SiranConfigInput =
  | keyof typeof SIRAN_PRESETS
  | (Omit<Partial<SiranConfig>, 'lossWeights'> & {
      readonly preset?: string;
      readonly lossWeights?: Partial<LossWeights>;
    });

/**
 * Resolves a preset name or partial configuration into a complete, checked configuration.
 *
 * @param input - `'tiny'`, `'cpu'`, `'paper'`, or an object overriding fields of its `preset` (default `cpu`).
 * @returns The configuration.
 * @throws RangeError naming the field that is out of range, or the unknown preset or ablation.
 */
export function resolveSiranConfig(input: SiranConfigInput): SiranConfig {
  const overrides = typeof input === 'string' ? { preset: input } : input;
  const presetName = overrides.preset ?? 'cpu';
  const preset = SIRAN_PRESETS[presetName as keyof typeof SIRAN_PRESETS];
  if (!preset) {
    throw new RangeError(
      `resolveSiranConfig: unknown preset "${presetName}"; expected one of ${Object.keys(SIRAN_PRESETS).join(', ')}`,
    );
  }
  // A misspelt or foreign field is an error, not silently the preset's value.
  const known = new Set([...Object.keys(preset), 'preset']);
  const unknown = Object.keys(overrides).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new RangeError(
      `resolveSiranConfig: unknown field(s) ${unknown.map((key) => `"${key}"`).join(', ')}; expected ${[...known].join(', ')}`,
    );
  }
  const unknownTerms = Object.keys(overrides.lossWeights ?? {}).filter((key) => !(key in preset.lossWeights));
  if (unknownTerms.length > 0) {
    throw new RangeError(
      `resolveSiranConfig: unknown loss term(s) ${unknownTerms.map((key) => `"${key}"`).join(', ')}; expected ${Object.keys(preset.lossWeights).join(', ')}`,
    );
  }
  const config: SiranConfig = {
    ...preset,
    ...overrides,
    preset: presetName,
    lossWeights: { ...preset.lossWeights, ...overrides.lossWeights },
  };
  for (const [field, value] of Object.entries(config)) {
    const expected = Array.isArray(preset[field as keyof SiranConfig])
      ? 'array'
      : typeof preset[field as keyof SiranConfig];
    const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
    if (actual !== expected) {
      throw new RangeError(
        `resolveSiranConfig: ${field} must be ${expected === 'array' ? 'an array' : `a ${expected}`}, got ${JSON.stringify(value)}`,
      );
    }
  }
  if (!Number.isSafeInteger(config.seed)) {
    throw new RangeError(`resolveSiranConfig: seed must be an integer, got ${config.seed}`);
  }
  for (const field of [
    'channels',
    'generatorBlocks',
    'discriminatorBlocks',
    'rcbsPerDmrb',
    'windowSize',
    'heads',
    'patchSize',
    'batchSize',
    'sinkhornIterations',
  ] as const) {
    if (!Number.isInteger(config[field]) || config[field] < 1) {
      throw new RangeError(`resolveSiranConfig: ${field} must be a positive integer, got ${config[field]}`);
    }
  }
  if (
    !Number.isInteger(config.offsetWindow) ||
    config.offsetWindow < 0 ||
    (config.offsetWindow > 1 && config.offsetWindow % 2 === 0)
  ) {
    throw new RangeError(
      `resolveSiranConfig: offsetWindow must be 0, 1 or an odd number of pixels, got ${config.offsetWindow}`,
    );
  }
  if (config.elevationScaling !== 'fixed' && config.elevationScaling !== 'local') {
    throw new RangeError(
      `resolveSiranConfig: elevationScaling must be "fixed" or "local", got "${config.elevationScaling}"`,
    );
  }
  for (const field of ['learningRate', 'sinkhornEpsilon', 'elevationScale'] as const) {
    if (!(config[field] > 0))
      throw new RangeError(`resolveSiranConfig: ${field} must be positive, got ${config[field]}`);
  }
  for (const [term, weight] of Object.entries(config.lossWeights)) {
    if (typeof weight !== 'number' || !(weight >= 0))
      throw new RangeError(`resolveSiranConfig: lossWeights.${term} must be >= 0, got ${weight}`);
  }
  if (config.channels % config.heads !== 0) {
    throw new RangeError(
      `resolveSiranConfig: heads (${config.heads}) must divide channels (${config.channels})`,
    );
  }
  if (!['hybrid', 'dmrb', 'window-attention'].includes(config.body)) {
    throw new RangeError(
      `resolveSiranConfig: body must be hybrid, dmrb or window-attention, got "${config.body}"`,
    );
  }
  for (const ablation of config.ablations) {
    if (!ABLATIONS.includes(ablation)) {
      throw new RangeError(
        `resolveSiranConfig: unknown ablation "${ablation}"; expected one of ${ABLATIONS.join(', ')}`,
      );
    }
  }
  return config;
}

/**
 * Whether a component is switched off in a configuration.
 *
 * @param config - A resolved configuration.
 * @param ablation - The switch.
 * @returns True when `config.ablations` contains it.
 */
export function isAblated(config: SiranConfig, ablation: Ablation): boolean {
  return config.ablations.includes(ablation);
}
