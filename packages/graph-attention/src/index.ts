export { type CutoffPolicy, headCutoffs } from './cutoff-policy.js';
export { type FlopCount, fsgtFlops, windowAttentionFlops } from './flops.js';
export { DEFAULT_FSGT_OPTIONS, Fsgt, type FsgtOptions } from './fsgt.js';
export { graphFourierFilter } from './graph-fourier-filter.js';
export {
  type AdjacencyActivation,
  DEFAULT_NORMALIZED_LAPLACIAN_OPTIONS,
  type NormalizedLaplacianOptions,
  normalizedLaplacian,
  symmetricAdjacency,
} from './normalized-laplacian.js';
export {
  DEFAULT_SYMMETRIC_EIGEN_OPTIONS,
  type EigenGradient,
  type SymmetricEigenOptions,
  type SymmetricEigenResult,
  symmetricEigen,
} from './symmetric-eigen.js';
export { type EigenSolver, SYMMETRIC_EIGEN_KERNEL_NAME } from './symmetric-eigen-kernel.js';
export {
  DEFAULT_WINDOW_ATTENTION_OPTIONS,
  WindowAttention,
  type WindowAttentionOptions,
} from './window-attention.js';
export {
  padToWindowMultiple,
  resolveWindowSize,
  type WindowSize,
  windowPartition,
  windowReverse,
} from './window-partition.js';
