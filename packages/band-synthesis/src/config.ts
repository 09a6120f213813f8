/** How the critic's spatial attention map enters the generator. */
export type AttentionCombination = 'concatenate' | 'modulate';

/** Weights of the loss terms. */
export interface BandSynthesisLossWeights {
  /** Gradient penalty of the critic (WGAN-GP's lambda). */
  readonly gradientPenalty: number;
  /** L1 reconstruction of the generator. */
  readonly reconstruction: number;
  /** Adversarial term of the generator, `-E[D(x^)]`. */
  readonly adversarial: number;
  /** Spatial-attention loss of the generator, `||A_S(x^) - A_S(y)||^2`. */
  readonly spatialAttention: number;
  /** Domain-adaptation loss of the critic, `||A_S(y~) - A_S(y)||^2`. */
  readonly domainAdaptation: number;
}

/** Configuration of the S2A networks and their training. */
export interface BandSynthesisConfig {
  /** Feature channels of every convolution. */
  readonly channels: number;
  /** Residual convolution blocks of the generator. */
  readonly generatorBlocks: number;
  /** Residual convolution blocks of the critic; each gives one attention map. */
  readonly criticBlocks: number;
  /** Whether the generator predicts a residual added to the upsampled low-resolution band. */
  readonly residual: boolean;
  /** How the attention map is combined with the source bands (see the README). */
  readonly attentionCombination: AttentionCombination;
  /** Adam learning rate of both networks. */
  readonly learningRate: number;
  /** Critic updates per generator update. */
  readonly criticSteps: number;
  /** Loss weights. */
  readonly lossWeights: BandSynthesisLossWeights;
  /** Seed of the initial weights. */
  readonly seed: number;
}

/** Default loss weights: WGAN-GP's 10, an L1 term that dominates, and attention terms of 1 and 0.1. */
export const DEFAULT_LOSS_WEIGHTS: BandSynthesisLossWeights = {
  gradientPenalty: 10,
  reconstruction: 100,
  adversarial: 1,
  spatialAttention: 1,
  domainAdaptation: 0.1,
};

/** Default configuration: small enough to train for minutes on two CPU cores. */
export const DEFAULT_BAND_SYNTHESIS_CONFIG: BandSynthesisConfig = {
  channels: 16,
  generatorBlocks: 3,
  criticBlocks: 3,
  residual: true,
  attentionCombination: 'modulate',
  learningRate: 1e-3,
  criticSteps: 1,
  lossWeights: DEFAULT_LOSS_WEIGHTS,
  seed: 1,
};

/**
 * Fills a partial configuration with {@link DEFAULT_BAND_SYNTHESIS_CONFIG} and checks it.
 *
 * @param input - Fields to override; `lossWeights` may be partial too.
 * @returns The complete configuration.
 * @throws RangeError if a count is not a positive integer, the learning rate not positive, a loss weight negative
 *   or the attention combination unknown.
 * @example
 * ```ts
 * const config = resolveBandSynthesisConfig({ channels: 8, residual: false });
 * ```
 */
export function resolveBandSynthesisConfig(
  input: Partial<Omit<BandSynthesisConfig, 'lossWeights'>> & {
    readonly lossWeights?: Partial<BandSynthesisLossWeights>;
  } = {},
): BandSynthesisConfig {
  const config: BandSynthesisConfig = {
    ...DEFAULT_BAND_SYNTHESIS_CONFIG,
    ...input,
    lossWeights: { ...DEFAULT_LOSS_WEIGHTS, ...input.lossWeights },
  };
  for (const key of ['channels', 'generatorBlocks', 'criticBlocks', 'criticSteps'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1)
      throw new RangeError(
        `resolveBandSynthesisConfig: ${key} must be a positive integer, got ${config[key]}`,
      );
  }
  if (!(config.learningRate > 0))
    throw new RangeError(
      `resolveBandSynthesisConfig: learningRate must be positive, got ${config.learningRate}`,
    );
  for (const [key, value] of Object.entries(config.lossWeights)) {
    if (!(value >= 0))
      throw new RangeError(`resolveBandSynthesisConfig: lossWeights.${key} must be >= 0, got ${value}`);
  }
  if (config.attentionCombination !== 'concatenate' && config.attentionCombination !== 'modulate') {
    throw new RangeError(
      `resolveBandSynthesisConfig: attentionCombination must be "concatenate" or "modulate", got "${config.attentionCombination}"`,
    );
  }
  return config;
}
