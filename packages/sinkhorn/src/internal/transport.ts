import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedSinkhornOptions } from '../options.js';
import { createBlockwiseGeometry } from './blockwise-geometry.js';
import { type CostKernel, createCostKernel } from './cost.js';
import { createDenseGeometry } from './dense-geometry.js';
import type { TransportGeometry } from './geometry.js';
import { hasScaledLogSumExpKernels, SCALED_LOG_SUM_EXP_KERNEL_NAME } from './log-sum-exp.js';
import { packColumns, withoutGradient } from './no-gradient.js';
import {
  type BatchedInputs,
  checkValidationFigures,
  identicalMeasures,
  validationFigures,
} from './prepare.js';
import { readSynchronously } from './read.js';
import { type DualPotentials, solveTransport, type TransportProblem } from './solver.js';
import { logWeights } from './weights.js';

/** A solved term `W(rows, columns)`: its problem, potentials and weights. */
export interface SolvedTerm {
  readonly problem: TransportProblem;
  readonly potentials: DualPotentials;
  readonly a: tf.Tensor2D;
  readonly b: tf.Tensor2D;
}

/** Everything {@link solveTerms} produced, inside the caller's `tf.tidy`. */
export interface SolvedTerms {
  readonly terms: SolvedTerm[];
  /** Effective epsilon, in units of the normalised cost. */
  readonly epsilon: number;
  /** Factor applied to the raw cost. */
  readonly costMultiplier: number;
  readonly iterations: number;
  /**
   * Per batch element, `true` where x and y are the same measure (points and weights), as a boolean tensor; only
   * computed for the divergence with symmetric self terms, whose value is then set to exactly 0 there.
   */
  readonly identical: tf.Tensor1D | undefined;
}

/** Which terms to solve: `[rows, columns, weights of rows, weights of columns, is a self term]`. */
type TermSpec = readonly [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, boolean];

function isDense(rowCount: number, columnCount: number, batch: number, options: ResolvedSinkhornOptions) {
  const entries = batch * rowCount * columnCount;
  return options.strategy === 'dense' || (options.strategy === 'auto' && entries <= options.denseLimit);
}

/**
 * @param cost - The dense cost of the term, where already computed (see {@link stackedCosts}).
 */
function createGeometry(
  kernel: CostKernel,
  spec: TermSpec,
  options: ResolvedSinkhornOptions,
  symmetric: boolean,
  fused: boolean,
  cost?: tf.Tensor3D,
) {
  const [rows, columns] = spec;
  if (cost) return createDenseGeometry(cost, symmetric, fused);
  return isDense(rows.shape[1], columns.shape[1], rows.shape[0], options)
    ? createDenseGeometry(kernel.evaluate(rows, columns), symmetric, fused)
    : createBlockwiseGeometry(kernel, rows, columns, options.blockSize, fused);
}

/**
 * The costs of the three terms of the divergence, `[C(x, y), C(x, x), C(y, y)]`, cut from one evaluation over the
 * stacked points, where the kernel offers it, every term is dense, and the points are at least as long as their
 * count (then the products with the points dominate, and one Gram matrix of `n + m` points replaces three).
 */
function stackedCosts(
  kernel: CostKernel,
  x: tf.Tensor3D,
  y: tf.Tensor3D,
  options: ResolvedSinkhornOptions,
): tf.Tensor3D[] | undefined {
  const [batch, n, dimension] = x.shape;
  const m = y.shape[1];
  const dense =
    isDense(n, m, batch, options) && isDense(n, n, batch, options) && isDense(m, m, batch, options);
  if (!kernel.evaluateStacked || !dense || dimension < n + m) return undefined;
  const all = kernel.evaluateStacked(x, y);
  return [
    tf.slice(all, [0, 0, n], [batch, n, m]),
    tf.slice(all, [0, 0, 0], [batch, n, n]),
    tf.slice(all, [0, n, n], [batch, m, m]),
  ] as tf.Tensor3D[];
}

/**
 * Decides whether the fused log-sum-exp kernels run.
 *
 * @throws RangeError if `'kernel'` is asked for and the active backend lacks them.
 */
function useFusedKernels(caller: string, options: ResolvedSinkhornOptions): boolean {
  if (options.logSumExp === 'ops') return false;
  const available = hasScaledLogSumExpKernels();
  if (options.logSumExp === 'kernel' && !available) {
    throw new RangeError(
      `${caller}: logSumExp 'kernel' needs the ${SCALED_LOG_SUM_EXP_KERNEL_NAME} kernels, but the ` +
        `"${tf.getBackend()}" backend has none; activateBackend from @siran/backend registers them for wasm and ` +
        `cpu, or use logSumExp 'ops'`,
    );
  }
  return available;
}

/**
 * Reads back the validation figures and the cost statistics with a single device read; only called when the
 * options need them, so that `validateInputs: false` with a data-independent epsilon never reads synchronously.
 */
function inspect(
  caller: string,
  inputs: BatchedInputs,
  rawGeometry: TransportGeometry | undefined,
  options: ResolvedSinkhornOptions,
) {
  const tensors = [inputs.x, inputs.y, inputs.a, inputs.b];
  const figures = withoutGradient(tensors, () =>
    tf.tidy(() => {
      const parts: tf.Tensor1D[] = [];
      parts.push(options.validateInputs ? validationFigures(inputs) : (tf.zeros([4]) as tf.Tensor1D));
      parts.push(rawGeometry ? rawGeometry.statistics(inputs.a, inputs.b) : (tf.ones([2]) as tf.Tensor1D));
      return tf.concat(parts);
    }),
  );
  const values = readSynchronously(caller, figures, () => {
    const reasons = [
      options.validateInputs ? 'validateInputs: true' : '',
      rawGeometry
        ? 'a data-dependent scale (relativeEpsilon, costNormalization "mean"/"max" or annealing without annealingStart)'
        : '',
    ];
    return reasons.filter((reason) => reason !== '').join(' and ');
  });
  if (options.validateInputs) checkValidationFigures(caller, values.subarray(0, 4));
  return { mean: values[4], max: values[5] };
}

function scaleOrOne(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 1;
}

/**
 * Validates, normalises and solves the requested terms; call inside a `tf.tidy`.
 *
 * @param caller - Public function name for error messages.
 * @param inputs - Batched inputs.
 * @param options - Resolved options.
 * @param withSelfTerms - Also solve `W(x, x)` and `W(y, y)` (the divergence).
 * @returns The solved terms (cross term first).
 */
export function solveTerms(
  caller: string,
  inputs: BatchedInputs,
  options: ResolvedSinkhornOptions,
  withSelfTerms: boolean,
): SolvedTerms {
  const { x, y, a, b } = inputs;
  const dimension = x.shape[2];
  const baseMultiplier = options.costNormalization === 'dimension' ? 1 / dimension : 1;
  const baseKernel = createCostKernel(options.cost, baseMultiplier, caller);
  const needsStatistics =
    options.costNormalization === 'mean' ||
    options.costNormalization === 'max' ||
    options.relativeEpsilon ||
    (options.epsilonAnnealing && options.annealingStart === undefined);
  const fused = useFusedKernels(caller, options);
  const rawGeometry = needsStatistics
    ? createGeometry(baseKernel, [x, y, a, b, false], options, false, fused)
    : undefined;
  const detectIdentity = withSelfTerms && options.selfTermUpdate === 'symmetric';
  const { mean, max } =
    options.validateInputs || rawGeometry
      ? inspect(caller, inputs, rawGeometry, options)
      : { mean: 1, max: 1 };
  const identical = detectIdentity
    ? withoutGradient([x, y, a, b], () => identicalMeasures(inputs))
    : undefined;

  let normaliser = 1;
  if (options.costNormalization === 'mean') normaliser = scaleOrOne(mean);
  if (options.costNormalization === 'max') normaliser = scaleOrOne(max);
  const costMultiplier = baseMultiplier / normaliser;
  const epsilon = options.relativeEpsilon ? options.epsilon * scaleOrOne(mean / normaliser) : options.epsilon;
  const annealingStart = options.epsilonAnnealing
    ? (options.annealingStart ?? Math.max(epsilon, scaleOrOne(max / normaliser)))
    : undefined;
  const kernel = normaliser === 1 ? baseKernel : createCostKernel(options.cost, costMultiplier, caller);

  const symmetricSelf = options.selfTermUpdate === 'symmetric';
  const specs: TermSpec[] = [[x, y, a, b, false]];
  if (withSelfTerms) specs.push([x, x, a, a, true], [y, y, b, b, true]);
  const reuseRaw = rawGeometry !== undefined && normaliser === 1;
  const costs = withSelfTerms && !reuseRaw ? stackedCosts(kernel, x, y, options) : undefined;
  // The envelope gradient of a symmetric self term's dual value is its plan, a symmetric matrix.
  const symmetricGradients = options.gradient === 'envelope' && options.readout === 'dual' && symmetricSelf;
  const selfCost = (points: tf.Tensor3D) =>
    symmetricGradients &&
    kernel.evaluateSymmetricSelf &&
    isDense(points.shape[1], points.shape[1], points.shape[0], options)
      ? kernel.evaluateSymmetricSelf(points)
      : undefined;
  const problems: TransportProblem[] = specs.map((spec, i) => ({
    kind: spec[4] && symmetricSelf ? 'self' : 'pair',
    geometry:
      i === 0 && reuseRaw
        ? rawGeometry
        : createGeometry(
            kernel,
            spec,
            options,
            spec[4] && symmetricSelf,
            fused,
            costs?.[i] ?? (spec[4] ? selfCost(spec[0]) : undefined),
          ),
    logA: logWeights(spec[2]),
    logB: logWeights(spec[3]),
  }));
  const schedule = {
    epsilon,
    iterations: options.iterations,
    annealingStart,
    annealingFactor: options.annealingFactor,
    tolerance: options.tolerance,
    convergenceCheckInterval: options.convergenceCheckInterval,
    caller,
  };
  let solved: { potentials: DualPotentials[]; iterations: number };
  if (options.gradient === 'unrolled') {
    solved = solveTransport(problems, schedule);
  } else {
    let iterations = 0;
    let unpack: (packed: tf.Tensor2D) => tf.Tensor2D[] = () => [];
    const packed = withoutGradient([x, y, a, b], () => {
      const result = solveTransport(problems, schedule);
      iterations = result.iterations;
      const pack = packColumns(result.potentials.flatMap((p) => [p.f, p.g]));
      unpack = pack.unpack;
      return pack.packed;
    });
    const flat = unpack(packed);
    solved = { potentials: problems.map((_, i) => ({ f: flat[2 * i], g: flat[2 * i + 1] })), iterations };
  }
  const terms = problems.map((problem, i) => ({
    problem,
    potentials: solved.potentials[i],
    a: specs[i][2],
    b: specs[i][3],
  }));
  return { terms, epsilon, costMultiplier, iterations: solved.iterations, identical };
}

/**
 * The value of one solved term, `[B]`, in units of the normalised cost.
 *
 * @param term - A solved term.
 * @param solved - The solve it belongs to.
 * @param options - Resolved options (readout and gradient mode).
 * @returns `<a, f> + <b, g>` or `<P, C>`; differentiable as the gradient mode says.
 */
export function termValue(
  term: SolvedTerm,
  solved: SolvedTerms,
  options: ResolvedSinkhornOptions,
): tf.Tensor1D {
  const { problem, potentials, a, b } = term;
  const { f, g } = potentials;
  if (options.readout === 'sharp') {
    return problem.geometry.sharpValue(problem.logA, problem.logB, f, g, solved.epsilon);
  }
  if (options.gradient === 'envelope') return problem.geometry.envelopeValue(a, b, f, g, solved.epsilon);
  return tf.add(tf.sum(tf.mul(a, f), 1), tf.sum(tf.mul(b, g), 1)) as tf.Tensor1D;
}
