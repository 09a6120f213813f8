export { type AdamStateTensor, adamState, setAdamState } from './adam-state.js';
export {
  buildConvolutionWeights,
  type ConvolutionLayout,
  type ConvolutionRunOptions,
  type ConvolutionWeights,
  convolve,
} from './convolution.js';
export {
  buildDmrbWeights,
  createDmrbWeights,
  DEFAULT_DMRB_OPTIONS,
  type DmrbFusion,
  type DmrbOptions,
  type DmrbWeights,
  dmrb,
} from './dmrb.js';
export { Dmrb, type DmrbLayerArguments } from './dmrb-layer.js';
export type { BaseLayerArguments } from './internal/weighted-layer.js';
export type {
  InitializationSettings,
  WeightDescription,
  WeightFactory,
  WeightRole,
} from './internal/weights.js';
export {
  buildPolarizedSelfAttentionWeights,
  createPolarizedSelfAttentionWeights,
  DEFAULT_POLARIZED_SELF_ATTENTION_OPTIONS,
  type PolarizedSelfAttentionLayout,
  type PolarizedSelfAttentionOptions,
  type PolarizedSelfAttentionWeights,
  polarizedChannelAttention,
  polarizedSelfAttention,
  polarizedSpatialAttention,
} from './polarized-self-attention.js';
export {
  PolarizedSelfAttention,
  type PolarizedSelfAttentionLayerArguments,
} from './polarized-self-attention-layer.js';
export {
  type BlockRunOptions,
  buildResidualConvBlockWeights,
  createResidualConvBlockWeights,
  DEFAULT_RESIDUAL_CONV_BLOCK_OPTIONS,
  type ResidualConvBlockOptions,
  type ResidualConvBlockWeights,
  residualConvBlock,
} from './residual-conv-block.js';
export { ResidualConvBlock, type ResidualConvBlockLayerArguments } from './residual-conv-block-layer.js';
export { attentionMaps, combinedAttention, normalizePerSample } from './spatial-attention.js';
export {
  DEFAULT_SPECTRAL_NORMALIZATION_OPTIONS,
  type SpectralNormalizationOptions,
  type SpectralNormalizationResult,
  spectralNormalizeKernel,
} from './spectral-normalization.js';
export {
  DEFAULT_SPECTRAL_NORMALIZED_CONV2D_OPTIONS,
  SpectralNormalizedConv2D,
  type SpectralNormalizedConv2DLayerArguments,
  type SpectralNormalizedConv2DOptions,
} from './spectral-normalized-conv2d.js';
