import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dmrb } from './dmrb-layer.js';
import { PolarizedSelfAttention } from './polarized-self-attention-layer.js';
import { ResidualConvBlock } from './residual-conv-block-layer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function saveToMemory(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (saved === undefined) throw new Error('model.save did not call the handler');
  return saved;
}

function buildModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 6] });
  let features = new Dmrb({ seed: 1, blockCount: 2, spectralNormalization: true }).apply(input);
  features = new PolarizedSelfAttention({ seed: 2, layout: 'sequential' }).apply(features);
  features = new ResidualConvBlock({ seed: 3, hiddenChannels: 4 }).apply(features);
  features = new PolarizedSelfAttention({ seed: 4, layout: 'parallel', reducedChannels: 2 }).apply(features);
  return tfl.model({ inputs: input, outputs: features as tfl.SymbolicTensor });
}

describe('save and load', () => {
  it('reproduces outputs exactly through model.save / loadLayersModel (in memory)', async () => {
    const model = buildModel();
    const x = tf.randomNormal([2, 12, 12, 6], 0, 1, 'float32', 5);
    // A training call moves the spectral vectors away from their initial values before saving.
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    const expected = model.predict(x) as tf.Tensor;
    const artifacts = await saveToMemory(model);
    const topology = JSON.stringify(artifacts.modelTopology);
    for (const name of ['Dmrb', 'PolarizedSelfAttention', 'ResidualConvBlock']) {
      expect(topology).toContain(`"class_name":"${name}"`);
    }
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    const actual = loaded.predict(x) as tf.Tensor;
    expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
    expect(loaded.weights.map((w) => w.originalName)).toEqual(model.weights.map((w) => w.originalName));
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    tf.dispose([x, expected, actual]);
    model.dispose();
    loaded.dispose();
  });

  it('round-trips getWeights / setWeights into a differently seeded layer', () => {
    const source = new Dmrb({ seed: 10 });
    const target = new Dmrb({ seed: 11 });
    const x = tf.randomNormal([1, 8, 8, 4], 0, 1, 'float32', 6) as tf.Tensor4D;
    const a = source.apply(x) as tf.Tensor;
    const different = target.apply(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(a, different))).dataSync()[0]).toBeGreaterThan(0);
    target.setWeights(source.getWeights());
    const b = target.apply(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b, different]);
  });

  it('builds inside tf.sequential from its serialised configuration', () => {
    const config = new PolarizedSelfAttention({ layout: 'sequential', seed: 3 }).getConfig();
    expect(config).toMatchObject({
      layout: 'sequential',
      seed: 3,
      reducedChannels: null,
      layerNormEpsilon: 1e-5,
    });
    expect(tf.serialization.SerializationMap.getMap().classNameMap['PolarizedSelfAttention']).toBeDefined();
    const model = tfl.sequential({
      layers: [
        new ResidualConvBlock({ inputShape: [8, 8, 4], seed: 1 }),
        new PolarizedSelfAttention({ ...config, name: 'psa' }),
      ],
    });
    expect(model.outputs[0].shape).toEqual([null, 8, 8, 4]);
    model.dispose();
  });
});
