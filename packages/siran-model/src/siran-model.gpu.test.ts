import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSiranModel, disposeSiranModel } from './model.js';
import { SiranTrainer, type StepLosses } from './training-step.js';

/**
 * Two training steps of the tiny model on a backend, from the same seeds. FSGT and the Sinkhorn term are left
 * out: both read tensors synchronously (the host eigensolver; the Sinkhorn input checks), which WebGPU in Node
 * cannot do (see the package README).
 */
async function twoSteps(): Promise<StepLosses[]> {
  const model = createSiranModel({ preset: 'tiny', ablations: ['no-fsgt', 'no-ot'] });
  const trainer = new SiranTrainer(model);
  const batch = tf.tidy(() => {
    const reference = tf.add(
      tf.mul(tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 7), 20),
      300,
    ) as tf.Tensor4D;
    return {
      reference,
      coarse: tf.avgPool(reference, 3, 1, 'same') as tf.Tensor4D,
      guide: tf.randomUniform([2, 16, 16, 3], 0, 255, 'float32', 8) as tf.Tensor4D,
    };
  });
  const losses = [(await trainer.step(batch)).losses, (await trainer.step(batch)).losses];
  tf.dispose([batch.reference, batch.coarse, batch.guide]);
  disposeSiranModel(model);
  return losses;
}

describe('SiRAN training on webgpu', () => {
  beforeAll(async () => {
    await activateBackend('cpu', { ignoreEnvironment: true });
  });

  it('gives the losses of the cpu backend over two steps', async () => {
    const expected = await twoSteps();
    const active = await activateBackend('webgpu', { ignoreEnvironment: true });
    expect(active.name).toBe('webgpu');
    const actual = await twoSteps();
    for (const [index, step] of expected.entries()) {
      for (const [term, value] of Object.entries(step)) {
        const got = actual[index][term as keyof StepLosses];
        expect(Math.abs(got - value), `step ${index + 1} ${term}`).toBeLessThanOrEqual(
          2e-3 * Math.max(1, Math.abs(value)),
        );
      }
    }
  });
});
