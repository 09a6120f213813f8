export { type EntropicTransportResult, entropicTransport } from './entropic-transport.js';
export {
  type CostFunction,
  type CostNormalization,
  DEFAULT_SINKHORN_OPTIONS,
  type LogSumExpImplementation,
  type ResolvedSinkhornOptions,
  resolveSinkhornOptions,
  type SelfTermUpdate,
  type SinkhornGradient,
  type SinkhornOptions,
  type SinkhornReadout,
  type SinkhornStrategy,
} from './options.js';
export { sinkhornDistance } from './sinkhorn-distance.js';
export { type MeasureWeights, sinkhornDivergence } from './sinkhorn-divergence.js';
