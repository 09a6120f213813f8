import * as tf from '@tensorflow/tfjs-core';
import type { TransportGeometry } from './geometry.js';
import { withoutGradient } from './no-gradient.js';
import { readSynchronously } from './read.js';

/**
 * One entropic transport problem to solve. `'pair'`: alternating updates of `f` (rows) then `g` (columns).
 * `'self'`: a symmetric problem (same points and weights on both sides) with the single averaged potential
 * `f <- (f + softmin(f)) / 2`; its `g` is `f`.
 */
export interface TransportProblem {
  readonly kind: 'pair' | 'self';
  readonly geometry: TransportGeometry;
  readonly logA: tf.Tensor2D;
  readonly logB: tf.Tensor2D;
}

/** Dual potentials of a solved problem, `f` `[B, n]` and `g` `[B, m]`. */
export interface DualPotentials {
  readonly f: tf.Tensor2D;
  readonly g: tf.Tensor2D;
}

/** The iteration schedule. */
export interface SolverSchedule {
  /** Final (target) epsilon. */
  readonly epsilon: number;
  /** Maximum number of iterations. */
  readonly iterations: number;
  /** First epsilon of a geometric annealing schedule, or `undefined` for a constant epsilon. */
  readonly annealingStart: number | undefined;
  readonly annealingFactor: number;
  /** L1 marginal error at which to stop; 0 runs every iteration. */
  readonly tolerance: number;
  readonly convergenceCheckInterval: number;
  /** Public function name, for the error when a convergence check cannot read the device. */
  readonly caller: string;
}

/**
 * Epsilon at iteration `t` (0-based): `max(epsilon, start * factor^t)`, and exactly `epsilon` on the last
 * scheduled iteration so the returned potentials always belong to the target problem.
 */
export function epsilonAt(schedule: SolverSchedule, t: number): number {
  const { annealingStart, annealingFactor, epsilon, iterations } = schedule;
  if (annealingStart === undefined || t >= iterations - 1) return epsilon;
  return Math.max(epsilon, annealingStart * annealingFactor ** t);
}

/**
 * The iterations run on scaled potentials `psi = -f / epsilon` (and `-g / epsilon`): a softmin is then one
 * log-sum-exp, `psi_i = LSE_j(log b_j - psi_j - C_ij / epsilon)`, with no scaling before or after it.
 */
type ScaledPotentials = DualPotentials;

/** `LSE(logWeights - potential - C / epsilon)` along `axis`, averaged with `potential` when `average`. */
function update(
  problem: TransportProblem,
  logWeights: tf.Tensor2D,
  potential: tf.Tensor2D,
  epsilon: number,
  axis: 1 | 2,
  average: boolean,
): tf.Tensor2D {
  const { geometry } = problem;
  if (geometry.sinkhornUpdate) return geometry.sinkhornUpdate(logWeights, potential, epsilon, axis, average);
  const shift = tf.sub(logWeights, potential) as tf.Tensor2D;
  const next =
    axis === 2 ? geometry.logSumExpRows(shift, epsilon) : geometry.logSumExpColumns(shift, epsilon);
  return average ? (tf.mul(tf.add(potential, next), 0.5) as tf.Tensor2D) : next;
}

function step(
  problem: TransportProblem,
  state: ScaledPotentials,
  epsilon: number,
  first: boolean,
): ScaledPotentials {
  const { logA, logB, kind } = problem;
  if (kind === 'self') {
    const f = update(problem, logA, state.f, epsilon, 2, !first);
    return { f, g: f };
  }
  const f = update(problem, logB, state.g, epsilon, 2, false);
  const g = update(problem, logA, f, epsilon, 1, false);
  return { f, g };
}

/** Both potentials times `factor`: `epsilon_old / epsilon_new` when annealing, `-epsilon` to get `f` and `g` back. */
function rescale(state: ScaledPotentials, factor: number): ScaledPotentials {
  const times = (t: tf.Tensor2D) => tf.tidy(() => tf.mul(t, factor) as tf.Tensor2D);
  const f = times(state.f);
  return { f, g: state.f === state.g ? f : times(state.g) };
}

/**
 * L1 row-marginal error `sum_i a_i |1 - exp((f_i - softmin(g)_i) / epsilon)|`, max over the batch, from scaled
 * potentials: `(f_i - softmin(g)_i) / epsilon = next_i - psi_i`.
 */
function marginalError(problem: TransportProblem, state: ScaledPotentials, epsilon: number): tf.Scalar {
  const { geometry, logA, logB } = problem;
  const next = geometry.logSumExpRows(tf.sub(logB, state.g), epsilon);
  const ratio = tf.exp(tf.sub(next, state.f));
  return tf.max(tf.sum(tf.mul(tf.exp(logA), tf.abs(tf.sub(1, ratio))), 1));
}

function converged(
  problems: readonly TransportProblem[],
  states: DualPotentials[],
  epsilon: number,
  schedule: SolverSchedule,
) {
  const { tolerance, caller } = schedule;
  const inputs = [...problems.flatMap((p) => [p.logA, p.logB]), ...states.flatMap((s) => [s.f, s.g])];
  const error = withoutGradient(inputs, () =>
    tf.tidy(() => tf.max(tf.stack(problems.map((problem, i) => marginalError(problem, states[i], epsilon))))),
  );
  const [value] = readSynchronously(caller, error, () => `tolerance ${tolerance}`);
  return value <= tolerance;
}

/** Disposes potentials, once each (a self term's `f` and `g` are one tensor). */
function disposePotentials(states: readonly DualPotentials[]): void {
  tf.dispose(states.flatMap((s) => (s.f === s.g ? [s.f] : [s.f, s.g])));
}

/**
 * Runs the Sinkhorn iterations of several problems side by side (one convergence check covers all).
 *
 * @param problems - The problems.
 * @param schedule - Epsilon schedule, iteration cap and tolerance.
 * @returns The potentials of each problem and the number of iterations run; the caller disposes the tensors.
 */
export function solveTransport(
  problems: readonly TransportProblem[],
  schedule: SolverSchedule,
): { potentials: DualPotentials[]; iterations: number } {
  let states: DualPotentials[] = problems.map((problem) => {
    const [batch, n, m] = [
      problem.geometry.batchSize,
      problem.geometry.rowCount,
      problem.geometry.columnCount,
    ];
    const f = tf.zeros([batch, n]) as tf.Tensor2D;
    return { f, g: problem.kind === 'self' ? f : (tf.zeros([batch, m]) as tf.Tensor2D) };
  });
  let t = 0;
  let current = epsilonAt(schedule, 0);
  while (t < schedule.iterations) {
    const epsilon = epsilonAt(schedule, t);
    let previous = states;
    if (epsilon !== current) {
      // Annealing: the same potentials, scaled for the new epsilon.
      previous = states.map((state) => rescale(state, current / epsilon));
      disposePotentials(states);
      current = epsilon;
    }
    states = problems.map((problem, i) => {
      const [f, g] = tf.tidy(() => {
        const next = step(problem, previous[i], epsilon, t === 0);
        return [next.f, next.g];
      });
      return { f, g } as DualPotentials;
    });
    disposePotentials(previous);
    t += 1;
    const checkDue = t % schedule.convergenceCheckInterval === 0 && t < schedule.iterations;
    const atTarget = epsilonAt(schedule, t - 1) === schedule.epsilon;
    if (schedule.tolerance > 0 && checkDue && atTarget && converged(problems, states, epsilon, schedule)) {
      break;
    }
  }
  // The dual potentials f = -epsilon psi, at the epsilon of the last iteration (the target).
  const potentials = states.map((state) => rescale(state, -current));
  disposePotentials(states);
  return { potentials, iterations: t };
}
