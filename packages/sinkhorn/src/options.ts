import type * as tf from '@tensorflow/tfjs-core';

/**
 * A user-supplied ground cost between two batched point sets.
 *
 * @remarks
 * Receives `rows` `[batch, r, d]` and `columns` `[batch, c, d]` and must return the cost matrix
 * `[batch, r, c]`, built from tfjs-core ops so that it is differentiable. In the blockwise regime it is
 * called on slices of `rows` (blocks of consecutive points), so it must treat every point independently.
 * The cost must be finite; it should be non-negative and zero on the diagonal for the debiased
 * divergence to be non-negative.
 */
export type CostFunction = (rows: tf.Tensor3D, columns: tf.Tensor3D) => tf.Tensor3D;

/** How the value of an entropic transport problem is read out of the solved potentials. */
export type SinkhornReadout = 'dual' | 'sharp';

/** How the ground cost is rescaled before the problem is solved. */
export type CostNormalization = 'none' | 'dimension' | 'mean' | 'max';

/** How gradients flow through the Sinkhorn iterations. */
export type SinkhornGradient = 'unrolled' | 'envelope';

/** How the self terms `W(x, x)` and `W(y, y)` of the divergence are iterated. */
export type SelfTermUpdate = 'symmetric' | 'alternating';

/**
 * Where the log-sum-exp of every softmin runs: `'kernel'` in the backend's fused `SiranScaledLogSumExp` kernel and
 * its gradient (one pass over the cost each; `@siran/backend` registers them for wasm and cpu), `'ops'` as
 * tfjs-core ops, `'auto'` the kernel when the active backend has it.
 */
export type LogSumExpImplementation = 'auto' | 'ops' | 'kernel';

/** Whether the cost matrix is materialised at once or streamed in blocks of rows. */
export type SinkhornStrategy = 'auto' | 'dense' | 'blockwise';

/** Options shared by {@link sinkhornDivergence}, {@link sinkhornDistance} and {@link entropicTransport}. */
export interface SinkhornOptions {
  /** Entropic regularisation, in units of the normalised cost (or relative to its mean, see `relativeEpsilon`). */
  readonly epsilon?: number;
  /** Number of Sinkhorn iterations; the maximum number when `tolerance > 0`. */
  readonly iterations?: number;
  /** `'sqeuclidean'` (`sum_k (x_k - y_k)^2`, not halved) or a {@link CostFunction}. */
  readonly cost?: 'sqeuclidean' | CostFunction;
  /** `'dual'`: `<a, f> + <b, g>`; `'sharp'`: `<P, C>` (Genevay et al. 2018, POT `sinkhorn2`). */
  readonly readout?: SinkhornReadout;
  /** Divide the cost by nothing, by the point dimension `d`, or by the mean or max of the `x`-`y` cost matrix. */
  readonly costNormalization?: CostNormalization;
  /** Multiply `epsilon` by the weighted mean of the (normalised) `x`-`y` cost, so it is scale-free. */
  readonly relativeEpsilon?: boolean;
  /** Start from a large epsilon and shrink it geometrically to `epsilon` (epsilon scaling). */
  readonly epsilonAnnealing?: boolean;
  /** Per-iteration factor of the annealing schedule, in `(0, 1)`. */
  readonly annealingFactor?: number;
  /** First epsilon of the annealing schedule; by default the max of the normalised cost matrix. */
  readonly annealingStart?: number;
  /** Stop early once the L1 marginal error of every problem is at most this; `0` runs all iterations. */
  readonly tolerance?: number;
  /** Iterations between two convergence checks (each check reads one number back from the device). */
  readonly convergenceCheckInterval?: number;
  /** `'unrolled'`: autodiff through every iteration; `'envelope'`: gradient of the converged problem only. */
  readonly gradient?: SinkhornGradient;
  /** `'symmetric'`: `f <- (f + softmin(f)) / 2` for the self terms; `'alternating'`: the textbook f-then-g update. */
  readonly selfTermUpdate?: SelfTermUpdate;
  /** Materialise the cost (`'dense'`), stream it in row blocks (`'blockwise'`), or pick by size (`'auto'`). */
  readonly strategy?: SinkhornStrategy;
  /** Rows per block in the blockwise regime; `0` picks about 4 M cost entries per block. */
  readonly blockSize?: number;
  /** Largest `batch * n * m` that `'auto'` still materialises. */
  readonly denseLimit?: number;
  /** Check inputs for NaN/Infinity and weights for sign and sum (one small read-back per call). */
  readonly validateInputs?: boolean;
  /** Fused backend kernel or tfjs-core ops for the log-sum-exp (see {@link LogSumExpImplementation}). */
  readonly logSumExp?: LogSumExpImplementation;
}

/** Options with every field present. */
export type ResolvedSinkhornOptions = Required<Omit<SinkhornOptions, 'annealingStart'>> & {
  readonly annealingStart: number | undefined;
};

/**
 * Defaults of {@link SinkhornOptions}.
 *
 * @remarks
 * The defaults are safe for costs of any scale: `relativeEpsilon: true` makes `epsilon = 0.1` mean one tenth of
 * the average transport cost, whatever the units of the data. Pass `relativeEpsilon: false` for an absolute
 * epsilon (as in GeomLoss, POT and the paper's `eps = 0.1` on normalised data).
 */
export const DEFAULT_SINKHORN_OPTIONS: ResolvedSinkhornOptions = {
  epsilon: 0.1,
  iterations: 10,
  cost: 'sqeuclidean',
  readout: 'dual',
  costNormalization: 'none',
  relativeEpsilon: true,
  epsilonAnnealing: false,
  annealingFactor: 0.5,
  annealingStart: undefined,
  tolerance: 0,
  convergenceCheckInterval: 5,
  gradient: 'unrolled',
  selfTermUpdate: 'symmetric',
  strategy: 'auto',
  blockSize: 0,
  denseLimit: 4_194_304,
  validateInputs: true,
  logSumExp: 'auto',
};

function checkChoice(caller: string, name: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new RangeError(`${caller}: ${name} is ${String(value)}; expected one of ${allowed.join(', ')}`);
  }
}

function checkPositive(caller: string, name: string, value: number, integer: boolean): void {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'a positive integer' : 'a positive finite number';
    throw new RangeError(`${caller}: ${name} is ${value}; expected ${kind}`);
  }
}

/**
 * Merges user options with {@link DEFAULT_SINKHORN_OPTIONS} and checks every field.
 *
 * @param caller - Name of the public function, used in error messages.
 * @param options - User options.
 * @returns The complete options.
 * @throws RangeError if a number is out of range or a choice is unknown.
 * @throws TypeError if `cost` is neither `'sqeuclidean'` nor a function.
 */
export function resolveSinkhornOptions(
  caller: string,
  options: SinkhornOptions = {},
): ResolvedSinkhornOptions {
  const resolved: ResolvedSinkhornOptions = { ...DEFAULT_SINKHORN_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  checkPositive(caller, 'epsilon', resolved.epsilon, false);
  checkPositive(caller, 'iterations', resolved.iterations, true);
  checkPositive(caller, 'convergenceCheckInterval', resolved.convergenceCheckInterval, true);
  checkPositive(caller, 'denseLimit', resolved.denseLimit, true);
  if (!(resolved.annealingFactor > 0 && resolved.annealingFactor < 1)) {
    throw new RangeError(
      `${caller}: annealingFactor is ${resolved.annealingFactor}; expected a number in (0, 1)`,
    );
  }
  if (resolved.annealingStart !== undefined)
    checkPositive(caller, 'annealingStart', resolved.annealingStart, false);
  if (!(resolved.tolerance >= 0) || !Number.isFinite(resolved.tolerance)) {
    throw new RangeError(`${caller}: tolerance is ${resolved.tolerance}; expected a finite number >= 0`);
  }
  if (!(Number.isInteger(resolved.blockSize) && resolved.blockSize >= 0)) {
    throw new RangeError(
      `${caller}: blockSize is ${resolved.blockSize}; expected an integer >= 0 (0 = automatic)`,
    );
  }
  if (resolved.cost !== 'sqeuclidean' && typeof resolved.cost !== 'function') {
    throw new TypeError(`${caller}: cost must be 'sqeuclidean' or a function (rows, columns) => cost matrix`);
  }
  checkChoice(caller, 'readout', resolved.readout, ['dual', 'sharp']);
  checkChoice(caller, 'costNormalization', resolved.costNormalization, ['none', 'dimension', 'mean', 'max']);
  checkChoice(caller, 'gradient', resolved.gradient, ['unrolled', 'envelope']);
  checkChoice(caller, 'selfTermUpdate', resolved.selfTermUpdate, ['symmetric', 'alternating']);
  checkChoice(caller, 'strategy', resolved.strategy, ['auto', 'dense', 'blockwise']);
  checkChoice(caller, 'logSumExp', resolved.logSumExp, ['auto', 'ops', 'kernel']);
  if (resolved.readout === 'sharp' && resolved.gradient === 'envelope') {
    throw new RangeError(
      `${caller}: the envelope gradient is only valid for readout 'dual'; use gradient 'unrolled' with 'sharp'`,
    );
  }
  return resolved;
}
