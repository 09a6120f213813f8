import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { recomputeBlocks } from './internal/recompute.js';
import { createSiranModel, disposeSiranModel, type SiranModel } from './model.js';
import { SiranTrainer } from './training-step.js';

beforeAll(async () => {
  await activateBackend('cpu', { ignoreEnvironment: true });
});

/** Gradients of a loss through both networks (generator output fed to the discriminator), by variable name. */
function gradients(model: SiranModel, inputs: tf.Tensor4D[]): Map<string, Float32Array> {
  const variables = [...model.generator.trainableWeights, ...model.discriminator.trainableWeights].map(
    (weight) => weight.read() as tf.Variable,
  );
  const { value, grads } = tf.variableGrads(() => {
    const output = model.generator.apply(inputs, { training: true }) as tf.Tensor4D;
    const [logits, ...activations] = model.discriminator.apply(output, { training: true }) as tf.Tensor[];
    return tf.addN([
      tf.mean(tf.square(output)),
      tf.mean(logits),
      ...activations.map((activation) => tf.mean(tf.abs(activation))),
    ]) as tf.Scalar;
  }, variables);
  // Names are unique per model but carry a per-model suffix; index by position in the variable list instead.
  const byPosition = new Map<string, Float32Array>();
  variables.forEach((variable, index) => {
    byPosition.set(String(index), grads[variable.name].dataSync() as Float32Array);
  });
  tf.dispose([value, ...Object.values(grads)]);
  return byPosition;
}

describe('recomputeBlocks (gradient checkpointing)', () => {
  it('gives the gradients of the plain networks, for every weight of generator and discriminator', () => {
    const inputs = [
      tf.randomNormal([2, 16, 16, 1], 0, 1, 'float32', 1),
      tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 2),
      tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 3),
    ] as tf.Tensor4D[];
    const plain = createSiranModel('tiny');
    const checkpointed = createSiranModel('tiny');
    expect(recomputeBlocks(checkpointed.generator)).toBe(2);
    expect(recomputeBlocks(checkpointed.discriminator)).toBe(2);
    const expected = gradients(plain, inputs);
    const actual = gradients(checkpointed, inputs);
    expect(actual.size).toBe(expected.size);
    for (const [key, reference] of expected) {
      const values = actual.get(key)!;
      let scale = 0;
      let error = 0;
      for (let i = 0; i < reference.length; i++) {
        scale = Math.max(scale, Math.abs(reference[i]));
        error = Math.max(error, Math.abs(values[i] - reference[i]));
      }
      expect(error, `weight ${key}`).toBeLessThanOrEqual(1e-5 * scale + 1e-9);
    }
    tf.dispose(inputs);
    disposeSiranModel(plain);
    disposeSiranModel(checkpointed);
  });

  it('leaves inference untouched and leaks no tensor in a training step', async () => {
    const model = createSiranModel('tiny');
    const trainer = new SiranTrainer(model, { recompute: true });
    expect(trainer.recompute).toBe(true);
    const batch = {
      coarse: tf.add(tf.randomNormal([2, 16, 16, 1], 0, 5, 'float32', 4), 500) as tf.Tensor4D,
      guide: tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D,
      reference: tf.add(tf.randomNormal([2, 16, 16, 1], 0, 5, 'float32', 6), 500) as tf.Tensor4D,
    };
    await trainer.step(batch);
    const before = tf.memory().numTensors;
    const result = await trainer.step(batch);
    expect(result.applied).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(new SiranTrainer(createSiranModel('cpu')).recompute).toBe(false);
    tf.dispose(Object.values(batch));
    disposeSiranModel(model);
  });
});
