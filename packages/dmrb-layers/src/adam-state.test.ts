import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { adamState, setAdamState } from './adam-state.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Minimises |w - target|² by Adam for `steps` steps from the optimiser's current state. */
function run(optimizer: tf.AdamOptimizer, w: tf.Variable, steps: number): void {
  const target = tf.tensor1d([3, -1, 0.5]);
  for (let k = 0; k < steps; k++) {
    optimizer.minimize(() => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar, false, [w]);
  }
  target.dispose();
}

describe('adamState / setAdamState', () => {
  it('resume a run bit for bit: 5 steps, save, restore into a fresh optimiser, 5 more = 10 uninterrupted', async () => {
    const straight = tf.variable(tf.tensor1d([0, 0, 0]), true, 'straight');
    const first = tf.train.adam(0.1);
    run(first, straight, 10);

    const resumed = tf.variable(tf.tensor1d([0, 0, 0]), true, 'resumed');
    const before = tf.train.adam(0.1);
    run(before, resumed, 5);
    const state = await adamState(before);
    expect(state.map(({ name }) => name)).toEqual(
      expect.arrayContaining(['iter', '__adam_accBeta1', '__adam_accBeta2']),
    );
    // The saved state is independent of the optimiser it came from.
    before.dispose();
    const after = tf.train.adam(0.1);
    await setAdamState(after, state);
    run(after, resumed, 5);
    expect(Array.from(await resumed.data())).toEqual(Array.from(await straight.data()));
  });
});
