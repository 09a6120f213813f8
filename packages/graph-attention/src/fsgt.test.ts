import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadLayersModel, sequential } from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Fsgt, type FsgtOptions } from './fsgt.js';
import { leakedTensors, reference, relativeError, seededUniform } from './internal/test-helpers.js';
import { windowPartition, windowReverse } from './window-partition.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const fixture = reference.fsgt;

function fixtureLayer(options: FsgtOptions = {}): { layer: Fsgt; input: tf.Tensor4D } {
  const input = tf.tensor4d(fixture.input, fixture.shape);
  const layer = new Fsgt({
    windowSize: 7,
    numHeads: fixture.numHeads,
    adjacencyChannels: fixture.adjacencyChannels,
    ...options,
  });
  layer.apply(input);
  const [channels, width] = [fixture.shape[3], 3 * fixture.shape[3] + 2 * fixture.adjacencyChannels];
  layer.setWeights([
    tf.tensor2d(fixture.projectionKernel, [channels, width]),
    tf.tensor1d(fixture.projectionBias),
    tf.tensor2d(fixture.fusionKernel, [channels, channels]),
    tf.tensor1d(fixture.fusionBias),
  ]);
  return { layer, input };
}

describe('Fsgt', () => {
  it('matches an independent float64 NumPy implementation (padding, spread and constant cut-offs)', () => {
    for (const policy of ['spread', 'constant'] as const) {
      const { layer, input } = fixtureLayer({ cutoffPolicy: policy });
      const output = layer.apply(input) as tf.Tensor;
      expect(output.shape).toEqual(fixture.shape);
      expect(relativeError(output.dataSync(), fixture[policy])).toBeLessThan(1e-4);
    }
  });

  it('is equivariant to permutations of the windows', () => {
    const { layer } = fixtureLayer();
    const input = tf.tensor4d(
      Float32Array.from(seededUniform(3, 14 * 21 * 8).map((v) => 2 * v)),
      [1, 14, 21, 8],
    );
    const permutation = [4, 2, 5, 0, 3, 1];
    const permute = (images: tf.Tensor) =>
      windowReverse(tf.gather(windowPartition(images, 7), permutation), 14, 21);
    const direct = permute(layer.apply(input) as tf.Tensor);
    const permuted = layer.apply(permute(input)) as tf.Tensor;
    expect(relativeError(permuted.dataSync(), direct.dataSync())).toBeLessThan(1e-5);
  });

  it('has input and weight gradients that match central finite differences', () => {
    for (const eigenGradient of ['analytic', 'stop'] as const) {
      const { layer, input } = fixtureLayer({ eigenGradient });
      const weights = tf.tensor4d(Float32Array.from(seededUniform(9, input.size)), input.shape);
      const loss = () => tf.sum(tf.mul(weights, layer.apply(input) as tf.Tensor)) as tf.Scalar;
      const kernelVariable = layer.trainableWeights[0].read() as tf.Variable;
      const kernel = tf.clone(kernelVariable);
      const { grads } = tf.variableGrads(loss, [kernelVariable]);
      const kernelGrad = grads[kernelVariable.name];
      // Directional derivative along the adjacency columns (f1, f2), which act only through the eigenvectors.
      const channels = fixture.shape[3];
      const direction = tf.mul(
        tf.tensor2d(Float32Array.from(seededUniform(10, kernel.size)), kernel.shape as [number, number]),
        tf.concat(
          [tf.zeros([channels, 3 * channels]), tf.ones([channels, 2 * fixture.adjacencyChannels])],
          1,
        ),
      );
      const step = 1e-3;
      const evaluate = (sign: number) => {
        layer.setWeights([tf.add(kernel, tf.mul(direction, sign * step)), ...layer.getWeights().slice(1)]);
        return loss().dataSync()[0];
      };
      const numeric = (evaluate(1) - evaluate(-1)) / (2 * step);
      layer.setWeights([kernel, ...layer.getWeights().slice(1)]);
      const analytic = tf.sum(tf.mul(kernelGrad, direction)).dataSync()[0];
      if (eigenGradient === 'analytic') {
        expect(Math.abs(analytic - numeric)).toBeLessThan(5e-3 * Math.abs(numeric));
        expect(Math.abs(numeric)).toBeGreaterThan(1e-2);
      } else {
        expect(analytic).toBe(0);
      }
    }
    // Input gradient along a random direction.
    const { layer, input } = fixtureLayer();
    const weights = tf.tensor4d(Float32Array.from(seededUniform(12, input.size)), input.shape);
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(weights, layer.apply(x) as tf.Tensor));
    const direction = tf.tensor4d(Float32Array.from(seededUniform(13, input.size)), input.shape);
    const analytic = tf.sum(tf.mul(tf.grad(loss)(input), direction)).dataSync()[0];
    const step = 1e-2;
    const numeric =
      (loss(tf.add(input, tf.mul(direction, step))).dataSync()[0] -
        loss(tf.sub(input, tf.mul(direction, step))).dataSync()[0]) /
      (2 * step);
    expect(Math.abs(analytic - numeric)).toBeLessThan(1e-2 * Math.abs(numeric));
  });

  it('survives a save/load round trip through an in-memory IOHandler', async () => {
    const model = sequential({
      layers: [
        new Fsgt({
          inputShape: [14, 14, 8],
          windowSize: 7,
          numHeads: 2,
          cutoffPolicy: 'constant',
          eigenSolver: 'host',
          seed: 4,
        }),
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
    const after = (loaded.predict(input) as tf.Tensor).dataSync();
    expect(Array.from(after)).toEqual(Array.from(before));
    expect(loaded.layers[0].getConfig()).toMatchObject({
      numHeads: 2,
      cutoffPolicy: 'constant',
      eigenSolver: 'host',
      seed: 4,
    });
  });

  it('trains with tfjs-layers fit, the adjacency maps included', async () => {
    const model = sequential({
      layers: [
        new Fsgt({ inputShape: [14, 14, 8], windowSize: 7, numHeads: 2, adjacencyChannels: 2, seed: 6 }),
      ],
    });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const input = tf.randomNormal([2, 14, 14, 8], 0, 1, 'float32', 11);
    const target = tf.randomNormal([2, 14, 14, 8], 0, 1, 'float32', 12);
    const adjacencyColumns = (kernel: tf.Tensor) => tf.slice(kernel, [0, 24], [8, 4]).dataSync();
    const before = adjacencyColumns(model.getWeights()[0]);
    const history = await model.fit(input, target, { epochs: 3, batchSize: 2, verbose: 0 });
    const after = adjacencyColumns(model.getWeights()[0]);
    const losses = history.history.loss as number[];
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(relativeError(after, before)).toBeGreaterThan(1e-4);
  });

  it('leaves no tensors behind', () => {
    const { layer, input } = fixtureLayer();
    layer.apply(input);
    expect(leakedTensors(() => (layer.apply(input) as tf.Tensor).dispose())).toBe(0);
  });

  it('rejects bad input with clear errors', () => {
    expect(() => new Fsgt({ numHeads: 3 }).apply(tf.zeros([1, 14, 14, 8]))).toThrow(
      /Fsgt: numHeads 3 does not divide the 8 input channels/,
    );
    expect(() => new Fsgt({ windowSize: 7, numHeads: 2 }).apply(tf.zeros([1, 6, 14, 8]))).toThrow(
      /Fsgt: window 7x7 is larger than the 6x14 input/,
    );
    const { layer } = fixtureLayer();
    const poisoned = tf.tensor4d(Float32Array.from(seededUniform(1, 14 * 14 * 8)), [1, 14, 14, 8]);
    const withNaN = tf.where(
      tf.equal(tf.reshape(tf.range(0, poisoned.size), poisoned.shape), 5),
      tf.fill(poisoned.shape, Number.NaN),
      poisoned,
    );
    expect(() => layer.apply(withNaN)).toThrow(
      /normalizedLaplacian: the adjacency has NaN or infinite entries/,
    );
    expect(() => new Fsgt({ windowSize: [7, 0] })).toThrow(/Fsgt: window sizes must be positive integers/);
    expect(() => new Fsgt({ eigenSolver: 'gpu' as never })).toThrow(
      /Fsgt: eigenSolver must be 'auto', 'host' or 'kernel', got gpu/,
    );
  });
});
