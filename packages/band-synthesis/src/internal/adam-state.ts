import type * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from './checkpoint.js';

/** The running powers `beta1^t`, `beta2^t` that tfjs' Adam keeps besides the weights `getWeights` returns. */
interface AdamPowers {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

const POWERS = ['accBeta1', 'accBeta2'] as const;

/** The complete state of a tfjs Adam optimiser (moments, iterations and running powers); new tensors. */
export async function adamState(optimizer: tf.AdamOptimizer): Promise<NamedTensor[]> {
  const powers = optimizer as unknown as AdamPowers;
  const extra = POWERS.map((name) => {
    const variable = powers[name];
    if (!variable) throw new Error(`adamState: this tfjs Adam optimiser has no "${name}"`);
    return { name: `__adam_${name}`, tensor: variable.clone() };
  });
  const weights = await optimizer.getWeights();
  const copies = weights.map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
  for (const entry of weights) if (entry.name === 'iter') entry.tensor.dispose();
  return [...copies, ...extra];
}

/** Restores a state saved by {@link adamState} into a fresh optimiser with the same hyper-parameters. */
export async function setAdamState(
  optimizer: tf.AdamOptimizer,
  state: readonly NamedTensor[],
): Promise<void> {
  await optimizer.setWeights(
    state.filter(({ name }) => !name.startsWith('__adam_')).map((entry) => ({ ...entry })),
  );
  const powers = optimizer as unknown as AdamPowers;
  for (const name of POWERS) {
    const saved = state.find((entry) => entry.name === `__adam_${name}`);
    if (saved) powers[name]?.assign(saved.tensor);
  }
}
