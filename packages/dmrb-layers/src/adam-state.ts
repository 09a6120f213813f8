import type * as tf from '@tensorflow/tfjs-core';

/** The running powers `beta1^t`, `beta2^t` that tfjs' Adam keeps besides the weights `getWeights` returns. */
interface AdamPowers {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

const POWERS = ['accBeta1', 'accBeta2'] as const;

/** One tensor of an optimiser's state, named as `Optimizer.getWeights()` names it. */
export interface AdamStateTensor {
  /** The name. */
  readonly name: string;
  /** The values. */
  readonly tensor: tf.Tensor;
}

/**
 * The complete state of a tfjs Adam optimiser, for checkpoints that resume training exactly: `getWeights()`
 * (iterations and moments) plus the running powers of beta1 and beta2.
 *
 * @param optimizer - The optimiser.
 * @returns Named tensors (new; the caller disposes them).
 * @throws Error if the optimiser has no running powers (another tfjs version).
 * @remarks `setWeights` recomputes the powers as `pow(beta, t + 1)`, which differs in the last float32 bits from
 *   the product accumulated step by step; restoring them exactly is what makes a resumed run identical to an
 *   uninterrupted one.
 * @example
 * ```ts
 * const state = await adamState(optimizer); // save with the weights
 * await setAdamState(tf.train.adam(1e-3), state); // later, into a fresh optimiser
 * ```
 */
export async function adamState(optimizer: tf.AdamOptimizer): Promise<AdamStateTensor[]> {
  const powers = optimizer as unknown as AdamPowers;
  const extra = POWERS.map((name) => {
    const variable = powers[name];
    if (!variable)
      throw new Error(
        `adamState: this tfjs Adam optimiser has no "${name}"; checkpoints need it to resume exactly`,
      );
    return { name: `__adam_${name}`, tensor: variable.clone() };
  });
  const weights = await optimizer.getWeights();
  const copies = weights.map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
  // `getWeights` returns the live moment variables plus a new iteration-count scalar: release only the latter.
  for (const entry of weights) if (entry.name === 'iter') entry.tensor.dispose();
  return [...copies, ...extra];
}

/**
 * Restores a state saved by {@link adamState}.
 *
 * @param optimizer - A fresh optimiser with the same hyper-parameters.
 * @param state - The saved tensors (not disposed).
 */
export async function setAdamState(
  optimizer: tf.AdamOptimizer,
  state: readonly AdamStateTensor[],
): Promise<void> {
  const weights = state.filter(({ name }) => !name.startsWith('__adam_'));
  await optimizer.setWeights(weights.map(({ name, tensor }) => ({ name, tensor })));
  const powers = optimizer as unknown as AdamPowers;
  for (const name of POWERS) {
    const saved = state.find((entry) => entry.name === `__adam_${name}`);
    if (saved) powers[name]?.assign(saved.tensor);
  }
}
