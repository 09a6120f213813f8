import * as tf from '@tensorflow/tfjs-core';
import { initializers, type LayerVariable, layers } from '@tensorflow/tfjs-layers';
import type { CutoffPolicy } from './cutoff-policy.js';
import { fsgtForward } from './internal/fsgt-forward.js';
import { checkFeatureShape, type LayerArgs } from './internal/layer-checks.js';
import { definedOptions, windowedLayerConfig } from './internal/layer-config.js';
import type { AdjacencyActivation } from './normalized-laplacian.js';
import type { EigenGradient } from './symmetric-eigen.js';
import { checkEigenSolver, type EigenSolver } from './symmetric-eigen-kernel.js';
import { resolveWindowSize, type WindowSize } from './window-partition.js';

/** Options of the {@link Fsgt} layer. */
export interface FsgtOptions {
  /** Window (graph node) size in pixels. */
  readonly windowSize?: WindowSize;
  /** Attention heads `M`; must divide the channel count. */
  readonly numHeads?: number;
  /** Output channels of the learned 1x1 maps `f1`, `f2` that build the adjacency. */
  readonly adjacencyChannels?: number;
  /** How similarities become a symmetric non-negative adjacency. */
  readonly adjacencyActivation?: AdjacencyActivation;
  /** Per-head cut-off policy: `'spread'` (dynamic k) or `'constant'` (ablation). */
  readonly cutoffPolicy?: CutoffPolicy;
  /** Fraction `k / N` for the `'constant'` policy; `0` switches the filter off. */
  readonly constantCutoffFraction?: number;
  /** Gradient through the eigenvectors: `'analytic'` or `'stop'` (then `f1`, `f2` get no gradient). */
  readonly eigenGradient?: EigenGradient;
  /** Eigenvalue-gap broadening of the analytic backward pass. */
  readonly degeneracyEpsilon?: number;
  /**
   * Where the Laplacian is decomposed: `'auto'` (the backend's `SiranSymmetricEigen` kernel when registered,
   * e.g. on webgpu after `activateBackend`, else the float64 host solver), `'host'` or `'kernel'`.
   */
  readonly eigenSolver?: EigenSolver;
  /** Seed of the weight initialisers; unseeded when undefined. */
  readonly seed?: number;
}

/** Defaults for {@link FsgtOptions}. */
export const DEFAULT_FSGT_OPTIONS: Required<Omit<FsgtOptions, 'seed'>> = {
  windowSize: 7,
  numHeads: 16,
  adjacencyChannels: 16,
  adjacencyActivation: 'exponential',
  cutoffPolicy: 'spread',
  constantCutoffFraction: 0.75,
  eigenGradient: 'analytic',
  degeneracyEpsilon: 1e-6,
  eigenSolver: 'auto',
};

/**
 * Frequency Selective Graph Transformer block (M-FSGA with fusion and residual), a tfjs-layers layer.
 *
 * Windows are graph nodes; the adjacency `A_ij = <f1(v_i), f2(v_j)>` is symmetrised and made
 * positive, its normalised Laplacian is decomposed once per image, each head keeps only the
 * graph frequencies above its cut-off in its keys, attends over all windows, and the heads are
 * fused by a 1x1 convolution and added to the input.
 *
 * @remarks Input and output `[batch, height, width, channels]`; sizes that are not multiples of
 *   the window are zero-padded internally and cropped back. Serialisable (`className` `Fsgt`).
 * @example
 * ```ts
 * const layer = new Fsgt({ windowSize: 7, numHeads: 2, seed: 1 });
 * const output = layer.apply(tf.randomNormal([1, 14, 14, 8])) as tf.Tensor4D; // [1, 14, 14, 8]
 * ```
 */
export class Fsgt extends layers.Layer {
  /** Registered class name used by tfjs-layers serialisation. */
  static className = 'Fsgt';
  private readonly options: Required<Omit<FsgtOptions, 'seed'>> & { seed?: number };
  private projectionKernel?: LayerVariable;
  private projectionBias?: LayerVariable;
  private fusionKernel?: LayerVariable;
  private fusionBias?: LayerVariable;

  /**
   * Creates the layer.
   *
   * @param options - {@link FsgtOptions} plus the usual tfjs-layers arguments (`name`, `inputShape`, ...).
   * @throws RangeError on a bad window size, head count, cut-off fraction or eigen solver name.
   */
  constructor(options: FsgtOptions & LayerArgs = {}) {
    super(options);
    this.options = { ...DEFAULT_FSGT_OPTIONS, ...definedOptions(options) };
    resolveWindowSize(this.options.windowSize, 'Fsgt');
    if (!Number.isInteger(this.options.numHeads) || this.options.numHeads < 1) {
      throw new RangeError(`Fsgt: numHeads must be a positive integer, got ${this.options.numHeads}`);
    }
    checkEigenSolver(this.options.eigenSolver, 'Fsgt', 'eigenSolver');
    if (!Number.isInteger(this.options.adjacencyChannels) || this.options.adjacencyChannels < 1) {
      throw new RangeError(
        `Fsgt: adjacencyChannels must be a positive integer, got ${this.options.adjacencyChannels}`,
      );
    }
  }

  /** Creates the weights for `[batch, height, width, channels]` inputs. */
  override build(inputShape: tf.serialization.ConfigDictValue | number[] | (number | null)[]): void {
    const shape = inputShape as (number | null)[];
    const channels = checkFeatureShape(shape, this.options.windowSize, this.options.numHeads, 'Fsgt', true);
    const width = 3 * channels + 2 * this.options.adjacencyChannels;
    const seed = this.options.seed;
    const glorot = (offset: number) =>
      initializers.glorotUniform(seed === undefined ? {} : { seed: seed + offset });
    this.projectionKernel = this.addWeight('projection_kernel', [channels, width], 'float32', glorot(0));
    this.projectionBias = this.addWeight('projection_bias', [width], 'float32', initializers.zeros());
    this.fusionKernel = this.addWeight('fusion_kernel', [channels, channels], 'float32', glorot(1));
    this.fusionBias = this.addWeight('fusion_bias', [channels], 'float32', initializers.zeros());
    this.built = true;
  }

  /** Runs the block; see the class description. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const input = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      checkFeatureShape(input.shape, this.options.windowSize, this.options.numHeads, 'Fsgt', true);
      return fsgtForward(
        input,
        {
          projectionKernel: this.projectionKernel!.read() as tf.Tensor2D,
          projectionBias: this.projectionBias!.read() as tf.Tensor1D,
          fusionKernel: this.fusionKernel!.read() as tf.Tensor2D,
          fusionBias: this.fusionBias!.read() as tf.Tensor1D,
        },
        { ...this.options, windowSize: resolveWindowSize(this.options.windowSize, 'Fsgt') },
      );
    });
  }

  /** The output shape equals the input shape. */
  override computeOutputShape(inputShape: tf.serialization.ConfigDictValue | number[]): number[] {
    return inputShape as number[];
  }

  /** Serialisable configuration (options plus base layer config). */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...windowedLayerConfig(this.options) };
  }
}

tf.serialization.registerClass(Fsgt);
