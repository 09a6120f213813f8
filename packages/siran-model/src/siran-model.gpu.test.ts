import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import type { Ablation } from './config.js';
import { createSiranModel, disposeSiranModel } from './model.js';
import { SiranTrainer, type StepLosses } from './training-step.js';

/**
 * Two training steps of the tiny model on a backend, from the same seeds. On WebGPU the FSGT's eigendecomposition
 * runs in the kernel `activateBackend` registers, and the Sinkhorn loss reads nothing back synchronously.
 */
async function twoSteps(ablations: Ablation[]): Promise<StepLosses[]> {
  const model = createSiranModel({ preset: 'tiny', ablations });
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

/** Runs two steps on cpu, then on webgpu, and compares every loss term within `tolerance` (relative). */
async function compareWithCpu(ablations: Ablation[], tolerance: number): Promise<void> {
  await activateBackend('cpu', { ignoreEnvironment: true });
  const expected = await twoSteps(ablations);
  const active = await activateBackend('webgpu', { ignoreEnvironment: true });
  expect(active.name).toBe('webgpu');
  const actual = await twoSteps(ablations);
  await activateBackend('cpu', { ignoreEnvironment: true });
  for (const [index, step] of expected.entries()) {
    for (const [term, value] of Object.entries(step)) {
      const got = actual[index][term as keyof StepLosses];
      expect(Number.isFinite(got), `step ${index + 1} ${term}`).toBe(true);
      expect(Math.abs(got - value), `step ${index + 1} ${term}`).toBeLessThanOrEqual(
        tolerance * Math.max(1, Math.abs(value)),
      );
    }
  }
}

describe('SiRAN training on webgpu', () => {
  it('gives the losses of the cpu backend over two steps without FSGT (Sinkhorn term included)', async () => {
    await compareWithCpu(['no-fsgt'], 2e-3);
  });

  it('trains the full model (FSGT through the WebGPU eigensolver) close to the cpu backend', async () => {
    // The FSGT keeps the eigenvectors above each head's cut-off. Where the eigenvalues at a cut-off nearly
    // coincide, that subspace is ill-conditioned: between the float32 Jacobi kernel and the float64 host
    // solver the projector differs by about 1e-7 / gap (measured: 7e-7 at a gap of 4e-2, 8e-5 at 3e-4), and an
    // untrained model's window graph, built from nearly equal similarities, has such small gaps. So the two
    // backends agree to a few percent here, not to 2e-3 (the eigensolver's accuracy itself is tested in
    // @siran/graph-attention and @siran/backend against a float64 solver).
    await compareWithCpu([], 5e-2);
  });
});
