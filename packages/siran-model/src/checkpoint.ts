import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { fileInside, writeDirectoryAtomically, writeFileAtomically } from './internal/atomic-files.js';

/** Format version of checkpoint directories written by {@link saveCheckpoint}. */
export const CHECKPOINT_FORMAT = 'siran-checkpoint/1';

/** A tensor with its name, as optimisers' `getWeights` return them. */
export interface NamedTensor {
  /** Name of the tensor. */
  readonly name: string;
  /** The values. */
  readonly tensor: tf.Tensor;
}

/** Everything a training run needs to continue exactly where it stopped. */
export interface CheckpointContent {
  /** Training steps completed. */
  readonly step: number;
  /** JSON metadata: configuration, seeds, data cursor, ... */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Model artifacts by name (e.g. `generator`, `discriminator`), as produced by `LayersModel.save`. */
  readonly models: Readonly<Record<string, tf.io.ModelArtifacts>>;
  /** Named tensors by group (e.g. optimiser states from `Optimizer.getWeights()`). */
  readonly tensors: Readonly<Record<string, readonly NamedTensor[]>>;
}

interface StoredCheckpoint {
  readonly format: string;
  readonly step: number;
  readonly metadata: Record<string, unknown>;
  readonly models: Record<string, { topology: string; weights: string; specs: tf.io.WeightsManifestEntry[] }>;
  readonly tensors: Record<string, { weights: string; specs: tf.io.WeightsManifestEntry[] }>;
}

const LATEST = 'latest.json';
const STEP_DIRECTORY = /^step-(\d+)$/;

/**
 * Writes a checkpoint as `<root>/step-<step>/` through a temporary directory and a rename, then points
 * `<root>/latest.json` at it; a process killed at any moment leaves the previous checkpoint usable.
 *
 * @param root - The checkpoint directory of a run.
 * @param content - Step, metadata, models and tensors. Tensors are read, not disposed.
 * @param keep - Checkpoints to keep; older ones are deleted after the new one is in place.
 * @returns The directory written.
 */
export async function saveCheckpoint(root: string, content: CheckpointContent, keep = 3): Promise<string> {
  const name = `step-${String(content.step).padStart(8, '0')}`;
  const directory = path.join(root, name);
  await writeDirectoryAtomically(directory, async (temporary) => {
    const stored: StoredCheckpoint = {
      format: CHECKPOINT_FORMAT,
      step: content.step,
      metadata: { ...content.metadata },
      models: {},
      tensors: {},
    };
    for (const [model, artifacts] of Object.entries(content.models)) {
      const weights = `${model}.weights.bin`;
      const topology = `${model}.topology.json`;
      await writeFileAtomically(path.join(temporary, topology), JSON.stringify(artifacts.modelTopology));
      await writeFileAtomically(path.join(temporary, weights), toBytes(artifacts.weightData));
      stored.models[model] = { topology, weights, specs: artifacts.weightSpecs ?? [] };
    }
    for (const [group, named] of Object.entries(content.tensors)) {
      const encoded = await tf.io.encodeWeights(named.map(({ name, tensor }) => ({ name, tensor })));
      const weights = `${group}.tensors.bin`;
      await writeFileAtomically(path.join(temporary, weights), toBytes(encoded.data));
      stored.tensors[group] = { weights, specs: encoded.specs };
    }
    await writeFileAtomically(
      path.join(temporary, 'checkpoint.json'),
      `${JSON.stringify(stored, null, 2)}\n`,
    );
  });
  await writeFileAtomically(
    path.join(root, LATEST),
    `${JSON.stringify({ step: content.step, directory: name })}\n`,
  );
  await pruneCheckpoints(root, keep);
  return directory;
}

/**
 * Reads the checkpoint `latest.json` points to, or a given checkpoint directory.
 *
 * @param rootOrDirectory - A run's checkpoint root (holding `latest.json`) or one `step-*` directory.
 * @returns The content; tensors are new and owned by the caller. `null` when the root holds no checkpoint.
 * @throws Error if the checkpoint is malformed, of another format, or names files outside its directory.
 */
export async function loadCheckpoint(rootOrDirectory: string): Promise<CheckpointContent | null> {
  let directory = rootOrDirectory;
  const latestText = await readFile(path.join(rootOrDirectory, LATEST), 'utf8').catch(() => null);
  if (latestText !== null) {
    const latest = JSON.parse(latestText) as { directory?: unknown };
    directory = fileInside(
      rootOrDirectory,
      String(latest.directory),
      'loadCheckpoint: latest.json names directory',
    );
  }
  const text = await readFile(path.join(directory, 'checkpoint.json'), 'utf8').catch(() => null);
  if (text === null) return null;
  const stored = JSON.parse(text) as StoredCheckpoint;
  if (stored.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `loadCheckpoint: ${directory} has format "${stored.format}", expected "${CHECKPOINT_FORMAT}"`,
    );
  }
  const models: Record<string, tf.io.ModelArtifacts> = {};
  for (const [model, entry] of Object.entries(stored.models)) {
    const topology = await readFile(
      fileInside(directory, entry.topology, `loadCheckpoint: model ${model} topology`),
      'utf8',
    );
    const weights = await readFile(
      fileInside(directory, entry.weights, `loadCheckpoint: model ${model} weights`),
    );
    models[model] = {
      modelTopology: JSON.parse(topology),
      weightSpecs: entry.specs,
      weightData: toArrayBuffer(weights),
    };
  }
  const tensors: Record<string, NamedTensor[]> = {};
  for (const [group, entry] of Object.entries(stored.tensors)) {
    const bytes = await readFile(fileInside(directory, entry.weights, `loadCheckpoint: tensors ${group}`));
    const decoded = tf.io.decodeWeights(toArrayBuffer(bytes), entry.specs);
    tensors[group] = entry.specs.map((spec) => ({ name: spec.name, tensor: decoded[spec.name] }));
  }
  return { step: stored.step, metadata: stored.metadata, models, tensors };
}

async function pruneCheckpoints(root: string, keep: number): Promise<void> {
  const steps = (await readdir(root)).filter((entry) => STEP_DIRECTORY.test(entry)).sort();
  for (const old of steps.slice(0, Math.max(0, steps.length - keep))) {
    await rm(path.join(root, old), { recursive: true, force: true });
  }
}

function toBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  return new Uint8Array(tf.io.concatenateArrayBuffers(buffers as ArrayBuffer[]));
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
