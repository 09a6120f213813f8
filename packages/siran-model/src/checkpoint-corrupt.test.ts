import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { activateBackend } from '@siran/backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckpointContent, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { createSiranModel, disposeSiranModel } from './model.js';
import { restoreModelWeights, saveModelArtifacts } from './serialization.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON, damaged field by field
type Json = any;

let work: string;
let original: string;
let copies = 0;
const optimizerValues = [Float32Array.from([1.5, -2, 3.25]), Float32Array.from([0.5, 0.25, 0.125, 8])];

beforeAll(async () => {
  await activateBackend('wasm', { ignoreEnvironment: true });
  work = await mkdtemp(path.join(tmpdir(), 'siran-corrupt-checkpoint-'));
  original = path.join(work, 'checkpoints');
  const model = createSiranModel('tiny');
  const models = await saveModelArtifacts(model);
  const tensors = [tf.tensor1d(optimizerValues[0]!), tf.tensor2d(optimizerValues[1]!, [2, 2])];
  for (const step of [2, 4]) {
    await saveCheckpoint(original, {
      step,
      metadata: { seed: 1, step },
      models,
      tensors: {
        optimizer: [
          { name: 'iterations', tensor: tensors[0]! },
          { name: 'm', tensor: tensors[1]! },
        ],
      },
    });
  }
  tf.dispose(tensors);
  disposeSiranModel(model);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh copy of the checkpoint root (checkpoints of steps 2 and 4, latest.json naming step 4). */
async function copyRoot(): Promise<{ root: string; latest: string; step4: string; step2: string }> {
  copies += 1;
  const root = path.join(work, `copy-${copies}`);
  await cp(original, root, { recursive: true });
  return {
    root,
    latest: path.join(root, 'latest.json'),
    step4: path.join(root, 'step-00000004'),
    step2: path.join(root, 'step-00000002'),
  };
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Expects loading to fail with `pattern`, leaving no tensor behind. */
async function expectRefused(location: string, pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  await expect(loadCheckpoint(location)).rejects.toThrow(pattern);
  expect(tf.memory().numTensors).toBe(before);
}

function dispose(content: CheckpointContent | null): void {
  for (const group of Object.values(content?.tensors ?? {})) tf.dispose(group.map((entry) => entry.tensor));
}

describe('loadCheckpoint on corrupt and truncated checkpoints', () => {
  it('refuses a truncated checkpoint.json, latest.json or topology file with its path', async () => {
    const { root, latest, step4 } = await copyRoot();
    const file = path.join(step4, 'checkpoint.json');
    const text = await readFile(file, 'utf8');
    for (const length of [0, 10, Math.floor(text.length / 2)]) {
      await writeFile(file, text.slice(0, length));
      await expectRefused(root, new RegExp(`^loadCheckpoint: ${escaped(file)} is not valid JSON`));
    }
    await writeFile(file, text);
    const latestText = await readFile(latest, 'utf8');
    await writeFile(latest, latestText.slice(0, 12));
    await expectRefused(root, new RegExp(`^loadCheckpoint: ${escaped(latest)} is not valid JSON`));
    await writeFile(latest, latestText);
    const topology = path.join(step4, 'generator.topology.json');
    const topologyText = await readFile(topology, 'utf8');
    await writeFile(topology, topologyText.slice(0, topologyText.length - 20));
    await expectRefused(root, new RegExp(`^loadCheckpoint: ${escaped(topology)} is not valid JSON`));
  });

  it('refuses truncated and padded weight and tensor files, giving both sizes', async () => {
    const { root, step4 } = await copyRoot();
    const weights = path.join(step4, 'discriminator.weights.bin');
    const bytes = await readFile(weights);
    await writeFile(weights, bytes.subarray(0, bytes.length - 64));
    await expectRefused(
      root,
      new RegExp(
        `^loadCheckpoint: ${escaped(weights)} is truncated: the model discriminator weight specs in .*checkpoint\\.json need ${bytes.length} bytes, the file has ${bytes.length - 64}$`,
      ),
    );
    await writeFile(weights, Buffer.concat([bytes, Buffer.alloc(3)]));
    await expectRefused(
      root,
      new RegExp(`${escaped(weights)} has 3 trailing bytes: .* need ${bytes.length} bytes`),
    );
    await writeFile(weights, bytes);
    const tensors = path.join(step4, 'optimizer.tensors.bin');
    const tensorBytes = await readFile(tensors);
    expect(tensorBytes.length).toBe(28);
    await writeFile(tensors, tensorBytes.subarray(0, 20));
    await expectRefused(
      root,
      new RegExp(
        `${escaped(tensors)} is truncated: the tensor optimizer specs in .* need 28 bytes, the file has 20$`,
      ),
    );
    await writeFile(tensors, Buffer.concat([tensorBytes, tensorBytes]));
    await expectRefused(root, /has 28 trailing bytes/);
    await rm(tensors);
    await expectRefused(root, new RegExp(`${escaped(tensors)} cannot be read \\(ENOENT\\)`));
  });

  it('refuses a latest.json that names an incomplete checkpoint or another step, and bad fields', async () => {
    const { root, latest, step4 } = await copyRoot();
    const file = path.join(step4, 'checkpoint.json');
    const stored = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...stored, step: 3 }));
    await expectRefused(root, /latest\.json says step 4, but .*checkpoint\.json holds step 3/);
    const cases: Array<[(c: Json) => void, RegExp]> = [
      [(c) => delete c.step, /field "step" is missing; expected a non-negative integer/],
      [
        (c) => (c.models.generator.specs[0].dtype = 'complex64'),
        /field "models\.generator\.specs\[0\]\.dtype" is "complex64"/,
      ],
      [
        (c) => (c.models.generator.specs[0].shape = 'big'),
        /field "models\.generator\.specs\[0\]\.shape" is "big"; expected an array/,
      ],
      [
        (c) => delete c.tensors.optimizer.weights,
        /field "tensors\.optimizer\.weights" is missing; expected a string/,
      ],
      [(c) => (c.metadata = null), /field "metadata" is null; expected an object/],
    ];
    for (const [damage, pattern] of cases) {
      const copy = structuredClone(stored);
      damage(copy);
      await writeFile(file, JSON.stringify(copy));
      await expectRefused(root, new RegExp(`^loadCheckpoint: ${escaped(file)} field`));
      await expectRefused(root, pattern);
    }
    await rm(file);
    await expectRefused(
      root,
      new RegExp(
        `^loadCheckpoint: ${escaped(latest)} names ${escaped(step4)}, which holds no checkpoint\\.json`,
      ),
    );
    await writeFile(latest, JSON.stringify({ step: 4 }));
    await expectRefused(root, /latest\.json field "directory" is missing; expected a string/);
  });

  it('loads the complete checkpoint, and an older complete one by its directory', async () => {
    const { root, step2, step4 } = await copyRoot();
    await writeFile(path.join(step4, 'optimizer.tensors.bin'), '');
    await expectRefused(root, /is truncated/);
    const older = await loadCheckpoint(step2);
    expect(older?.step).toBe(2);
    expect(older?.metadata).toEqual({ seed: 1, step: 2 });
    dispose(older);
    const latest = await loadCheckpoint(original);
    expect(latest?.step).toBe(4);
    const [iterations, m] = latest!.tensors.optimizer!;
    expect(iterations!.name).toBe('iterations');
    expect(Array.from(await iterations!.tensor.data())).toEqual(Array.from(optimizerValues[0]!));
    expect(m!.tensor.shape).toEqual([2, 2]);
    expect(Array.from(await m!.tensor.data())).toEqual(Array.from(optimizerValues[1]!));
    const model = createSiranModel('tiny');
    restoreModelWeights(model, latest!.models);
    disposeSiranModel(model);
    dispose(latest);
    expect(await loadCheckpoint(path.join(work, 'no-such-run'))).toBeNull();
  });
});
