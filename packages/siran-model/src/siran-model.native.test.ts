import { activateBackend, backendParity } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discriminatorLoss, generatorLoss } from './losses.js';
import { createSiranModel, disposeSiranModel, type SiranModel, spatialAttention } from './model.js';
import { SiranTrainer } from './training-step.js';

/**
 * The native lane: the tiny SiRAN networks (generator, discriminator, attention head) forward, and the gradients of
 * a simple loss and of the full objectives with respect to every trainable weight, on native TensorFlow against
 * the cpu backend; then one training step of the `paper` preset on tensorflow. On tensorflow the FSGT decomposes
 * with TensorFlow's `SelfAdjointEigV2` (the `SiranSymmetricEigen` kernel), on cpu with the float64 host solver.
 */

beforeAll(async () => {
  await activateBackend('cpu', { ignoreEnvironment: true });
  await activateBackend('tensorflow', { ignoreEnvironment: true });
});

/** Seeded normalised inputs of the tiny networks: coarse DEM, guide and reference, `[2, 16, 16, c]`. */
function tinyInputs() {
  const coarse = tf.randomUniform([2, 16, 16, 1], -1, 1, 'float32', 1) as tf.Tensor4D;
  const guide = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const reference = tf.add(coarse, tf.randomUniform([2, 16, 16, 1], -0.2, 0.2, 'float32', 3)) as tf.Tensor4D;
  return { coarse, guide, reference };
}

/** The variables of a network, as `tf.variableGrads` takes them. */
const variablesOf = (network: SiranModel['generator']): tf.Variable[] =>
  network.trainableWeights.map((weight) => weight.read() as tf.Variable);

/** Runs `compute` on both backends; every output within `tolerance` (relative); returns the parity. */
async function expectParity(compute: () => tf.Tensor[], outputs: number, tolerance: number) {
  const parity = await backendParity(compute, { backend: 'tensorflow' });
  expect(parity).toHaveLength(outputs);
  for (const [index, output] of parity.entries())
    expect(output.maxRelativeError, `output ${index} [${output.shape}]`).toBeLessThan(tolerance);
  return parity;
}

describe('tiny SiRAN networks on tensorflow against cpu', () => {
  let model: SiranModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = createSiranModel('tiny');
  });
  afterAll(() => disposeSiranModel(model));

  it('matches cpu forward: discriminator logits and activations, attention, generator output', async () => {
    await expectParity(
      () => {
        const { coarse, guide } = tinyInputs();
        const [logits, ...activations] = model.discriminator.apply(coarse) as tf.Tensor[];
        const attention = spatialAttention(model, coarse);
        const output = model.generator.apply([coarse, guide, attention]) as tf.Tensor;
        // The last convolution starts near zero (residual output), so compare what it adds to the coarse input too.
        return [logits, ...activations, attention, output, tf.sub(output, coarse)];
      },
      model.config.discriminatorBlocks + 4,
      1e-4,
    );
  });

  it('matches cpu in the gradients of a linear loss of the output wrt every generator weight', async () => {
    const variables = variablesOf(model.generator);
    await expectParity(
      () => {
        const { coarse, guide } = tinyInputs();
        const projection = tf.randomUniform([2, 16, 16, 1], -1, 1, 'float32', 4);
        const attention = spatialAttention(model, coarse);
        const { value, grads } = tf.variableGrads(
          () =>
            tf.sum(
              tf.mul(projection, model.generator.apply([coarse, guide, attention]) as tf.Tensor),
            ) as tf.Scalar,
          variables,
        );
        return [value, ...variables.map((variable) => grads[variable.name])];
      },
      variables.length + 1,
      1e-4,
    );
  });

  it('matches cpu in the generator objective (pixel, SSIM, adversarial, Sinkhorn) and its gradients wrt G and the attention head', async () => {
    const generator = variablesOf(model.generator);
    const head = variablesOf(model.attentionHead);
    await expectParity(
      () => {
        const { coarse, guide, reference } = tinyInputs();
        let terms: tf.Tensor[] = [];
        const { grads } = tf.variableGrads(() => {
          const attention = spatialAttention(model, coarse, true);
          const output = model.generator.apply([coarse, guide, attention], { training: true }) as tf.Tensor4D;
          const [fakeLogits] = model.discriminator.apply(output, { training: true }) as tf.Tensor[];
          const loss = generatorLoss(output, reference, fakeLogits, model.config, 2);
          terms = [loss.total, loss.pixel, loss.ssim, loss.adversarial, loss.sinkhorn].map((t) => tf.keep(t));
          return loss.total;
        }, [...generator, ...head]);
        // The head's gradients are compared as one vector (relative to the largest of them), not one tensor at a
        // time: in the tiny preset the PSA channel branch layer-normalises 2 channels, whose output is +-1 whatever
        // its input (up to the epsilon 1e-5), so the gradients of that branch's 5 weights are about 1e-6 of the
        // head's others and are what is left of cancelling O(1) terms. Alone, they differ by 1e-3 relative (2e-12
        // absolute) between the backends even under a linear loss of the head output, as float32 rounding predicts.
        const headGradients = tf.concat(head.map((variable) => tf.reshape(grads[variable.name], [-1])));
        return [...terms, ...generator.map((variable) => grads[variable.name]), headGradients];
      },
      generator.length + 6,
      1e-3,
    );
  });

  it('matches cpu in the discriminator objective and its gradients wrt every discriminator weight', async () => {
    const variables = variablesOf(model.discriminator);
    await expectParity(
      () => {
        const { coarse, reference } = tinyInputs();
        let terms: tf.Tensor[] = [];
        const { grads } = tf.variableGrads(() => {
          const [realLogits, ...referenceActivations] = model.discriminator.apply(reference, {
            training: true,
          }) as tf.Tensor4D[];
          const [fakeLogits] = model.discriminator.apply(tf.mul(reference, 0.5), {
            training: true,
          }) as tf.Tensor[];
          const [, ...coarseActivations] = model.discriminator.apply(coarse, {
            training: true,
          }) as tf.Tensor4D[];
          const loss = discriminatorLoss(
            realLogits,
            fakeLogits,
            coarseActivations,
            referenceActivations,
            model.config,
          );
          terms = [loss.total, loss.adversarial, loss.domainAdaptation].map((t) => tf.keep(t));
          return loss.total;
        }, variables);
        return [...terms, ...variables.map((variable) => grads[variable.name])];
      },
      variables.length + 3,
      1e-3,
    );
  });
});

describe('SiranTrainer on tensorflow, paper preset', () => {
  it('applies one step on a 1 x 32 x 32 batch with finite losses, and changes the weights', async () => {
    await tf.setBackend('tensorflow');
    const model = createSiranModel('paper');
    const trainer = new SiranTrainer(model);
    expect(trainer.recompute).toBe(true);
    const batch = tf.tidy(() => {
      const reference = tf.add(
        tf.mul(tf.randomUniform([1, 32, 32, 1], 0, 1, 'float32', 7), 20),
        300,
      ) as tf.Tensor4D;
      return {
        reference,
        coarse: tf.avgPool(reference, 3, 1, 'same') as tf.Tensor4D,
        guide: tf.randomUniform([1, 32, 32, 3], 0, 255, 'float32', 8) as tf.Tensor4D,
      };
    });
    const [generatorWeight, discriminatorWeight] = [
      trainer.generatorVariables()[0],
      trainer.discriminatorVariables()[0],
    ];
    const before = [await generatorWeight.data(), await discriminatorWeight.data()].map((data) =>
      Float32Array.from(data),
    );
    const result = await trainer.step(batch);
    expect(result.applied, `refused: ${result.refused}`).toBe(true);
    for (const [term, value] of Object.entries(result.losses))
      expect(Number.isFinite(value), term).toBe(true);
    expect(result.losses.sinkhorn).toBeGreaterThan(0);
    const after = [await generatorWeight.data(), await discriminatorWeight.data()];
    for (const [index, values] of after.entries()) {
      const change = Math.max(...values.map((value, i) => Math.abs(value - before[index][i])));
      expect(change, index === 0 ? 'generator' : 'discriminator').toBeGreaterThan(0);
    }
    tf.dispose([batch.reference, batch.coarse, batch.guide]);
    trainer.generatorOptimizer.dispose();
    trainer.discriminatorOptimizer.dispose();
    disposeSiranModel(model);
  });
});
