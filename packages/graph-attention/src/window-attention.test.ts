import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { loadLayersModel, sequential } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { leakedTensors, reference, relativeError, seededUniform } from './internal/test-helpers.js';
import { WindowAttention } from './window-attention.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const fixture = reference.windowAttention;

function fixtureLayer(shift: number): { layer: WindowAttention; input: tf.Tensor4D } {
  const input = tf.tensor4d(fixture.input, fixture.shape);
  const layer = new WindowAttention({ windowSize: 7, numHeads: fixture.numHeads, shift });
  layer.apply(input);
  const channels = fixture.shape[3];
  layer.setWeights([
    tf.tensor2d(fixture.qkvKernel, [channels, 3 * channels]),
    tf.tensor1d(fixture.qkvBias),
    tf.tensor2d(fixture.relativePositionTable, [169, fixture.numHeads]),
    tf.tensor2d(fixture.outputKernel, [channels, channels]),
    tf.tensor1d(fixture.outputBias),
  ]);
  return { layer, input };
}

describe('WindowAttention', () => {
  it('matches an independent float64 NumPy Swin implementation, plain and shifted, with padding', () => {
    for (const shift of [0, 3]) {
      const { layer, input } = fixtureLayer(shift);
      const output = layer.apply(input) as tf.Tensor;
      expect(relativeError(output.dataSync(), fixture[`shift${shift}`])).toBeLessThan(1e-5);
    }
  });

  it('has a relative-position-table gradient that matches central finite differences', () => {
    const { layer, input } = fixtureLayer(3);
    const weights = tf.tensor4d(Float32Array.from(seededUniform(21, input.size)), input.shape);
    const tableVariable = layer.trainableWeights[2].read() as tf.Variable;
    const table = tf.clone(tableVariable);
    const loss = () => tf.sum(tf.mul(weights, layer.apply(input) as tf.Tensor)) as tf.Scalar;
    const gradient = tf.variableGrads(loss, [tableVariable]).grads[tableVariable.name];
    const direction = tf.tensor2d(
      Float32Array.from(seededUniform(22, table.size)),
      table.shape as [number, number],
    );
    const step = 1e-2;
    const evaluate = (sign: number) => {
      tableVariable.assign(tf.add(table, tf.mul(direction, sign * step)));
      return loss().dataSync()[0];
    };
    const numeric = (evaluate(1) - evaluate(-1)) / (2 * step);
    tableVariable.assign(table);
    const analytic = tf.sum(tf.mul(gradient, direction)).dataSync()[0];
    expect(Math.abs(analytic - numeric)).toBeLessThan(5e-3 * Math.abs(numeric));
  });

  it('survives a save/load round trip through an in-memory IOHandler', async () => {
    const model = sequential({
      layers: [
        new WindowAttention({ inputShape: [14, 14, 8], windowSize: 7, numHeads: 2, shift: 3, seed: 2 }),
      ],
    });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await loadLayersModel(tf.io.fromMemory(saved!));
    const input = tf.randomNormal([1, 14, 14, 8], 0, 1, 'float32', 8);
    const before = (model.predict(input) as tf.Tensor).dataSync();
    expect(Array.from((loaded.predict(input) as tf.Tensor).dataSync())).toEqual(Array.from(before));
    expect(loaded.layers[0].getConfig()).toMatchObject({ shift: 3, numHeads: 2, residual: true });
  });

  it('leaves no tensors behind', () => {
    const { layer, input } = fixtureLayer(3);
    layer.apply(input);
    expect(leakedTensors(() => (layer.apply(input) as tf.Tensor).dispose())).toBe(0);
  });

  it('rejects bad input with clear errors', () => {
    expect(() => new WindowAttention({ numHeads: 3 }).apply(tf.zeros([1, 14, 14, 8]))).toThrow(
      /WindowAttention: numHeads 3 does not divide the 8 input channels/,
    );
    expect(() => new WindowAttention({ numHeads: 2 }).apply(tf.zeros([1, 14, 5, 8]))).toThrow(
      /WindowAttention: window 7x7 is larger than the 14x5 input/,
    );
    expect(() => new WindowAttention({ shift: 7 })).toThrow(
      /WindowAttention: shift must be an integer in \[0, window size\)/,
    );
  });
});
