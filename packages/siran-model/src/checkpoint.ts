import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { fileInside, writeDirectoryAtomically, writeFileAtomically } from './internal/atomic-files.js';
import { checkWeightSpecs, parseJsonFile, readWeightFile, StoredFields } from './serialization.js';

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
 * Reads the checkpoint `latest.json` points to, or a given checkpoint directory, after checking that every file
 * of it is complete and consistent: a partial checkpoint is never loaded.
 *
 * @param rootOrDirectory - A run's checkpoint root (holding `latest.json`) or one `step-*` directory.
 * @returns The content; tensors are new and owned by the caller. `null` when the root holds neither
 *   `latest.json` nor `checkpoint.json`.
 * @throws Error naming the file if `latest.json` or `checkpoint.json` is not valid JSON, has a field that is
 *   missing or of the wrong type, or names files outside its directory; if `latest.json` names a directory
 *   without `checkpoint.json` or with another step; if the checkpoint is of another format; if a topology file
 *   is not valid JSON; or if a weight or tensor file is missing, truncated or has trailing bytes (the message
 *   gives the bytes its specs need and the bytes the file has).
 */
export async function loadCheckpoint(rootOrDirectory: string): Promise<CheckpointContent | null> {
  const caller = 'loadCheckpoint';
  let directory = rootOrDirectory;
  const latestPath = path.join(rootOrDirectory, LATEST);
  const latestText = await readTextIfPresent(latestPath, caller);
  let latestStep: number | null = null;
  if (latestText !== null) {
    const check = new StoredFields(caller, latestPath);
    const latest = check.object(
      parseJsonFile(latestText, latestPath, caller, 'the latest.json written by saveCheckpoint'),
      '(root)',
    );
    latestStep = check.number(latest.step, 'step', 'a non-negative integer', isStep);
    directory = fileInside(
      rootOrDirectory,
      check.string(latest.directory, 'directory'),
      'loadCheckpoint: latest.json names directory',
    );
  }
  const file = path.join(directory, 'checkpoint.json');
  const text = await readTextIfPresent(file, caller);
  if (text === null) {
    if (latestText === null) return null;
    throw new Error(
      `loadCheckpoint: ${latestPath} names ${directory}, which holds no checkpoint.json; the checkpoint is missing or incomplete, refusing to resume from it`,
    );
  }
  const check = new StoredFields(caller, file);
  const stored = check.object(
    parseJsonFile(text, file, caller, 'the checkpoint.json written by saveCheckpoint'),
    '(root)',
  );
  if (stored.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `loadCheckpoint: ${directory} has format "${stored.format}", expected "${CHECKPOINT_FORMAT}"`,
    );
  }
  const step = check.number(stored.step, 'step', 'a non-negative integer', isStep);
  if (latestStep !== null && latestStep !== step) {
    throw new Error(
      `loadCheckpoint: ${latestPath} says step ${latestStep}, but ${file} holds step ${step}; expected the same step`,
    );
  }
  const metadata = check.object(stored.metadata, 'metadata');
  const storedModels = Object.entries(check.object(stored.models, 'models')).map(([model, value]) => {
    const entry = check.object(value, `models.${model}`);
    return {
      model,
      topology: check.string(entry.topology, `models.${model}.topology`),
      weights: check.string(entry.weights, `models.${model}.weights`),
      specs: checkWeightSpecs(check, entry.specs, `models.${model}.specs`),
    };
  });
  const storedTensors = Object.entries(check.object(stored.tensors, 'tensors')).map(([group, value]) => {
    const entry = check.object(value, `tensors.${group}`);
    return {
      group,
      weights: check.string(entry.weights, `tensors.${group}.weights`),
      specs: checkWeightSpecs(check, entry.specs, `tensors.${group}.specs`),
    };
  });
  const models: Record<string, tf.io.ModelArtifacts> = {};
  for (const { model, topology, weights, specs } of storedModels) {
    const topologyFile = fileInside(directory, topology, `loadCheckpoint: model ${model} topology`);
    const topologyText = await readFile(topologyFile, 'utf8');
    const weightBytes = await readWeightFile(
      fileInside(directory, weights, `loadCheckpoint: model ${model} weights`),
      specs,
      caller,
      `the model ${model} weight specs in ${file}`,
    );
    models[model] = {
      modelTopology: parseJsonFile(topologyText, topologyFile, caller, 'a model topology') as object,
      weightSpecs: specs,
      weightData: toArrayBuffer(weightBytes),
    };
  }
  const groups: Array<{ group: string; bytes: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> = [];
  for (const { group, weights, specs } of storedTensors) {
    const bytes = await readWeightFile(
      fileInside(directory, weights, `loadCheckpoint: tensors ${group}`),
      specs,
      caller,
      `the tensor ${group} specs in ${file}`,
    );
    groups.push({ group, bytes, specs });
  }
  // Every file is checked before the first tensor is made.
  const tensors: Record<string, NamedTensor[]> = {};
  for (const { group, bytes, specs } of groups) {
    const decoded = tf.io.decodeWeights(toArrayBuffer(bytes), specs);
    tensors[group] = specs.map((spec) => ({ name: spec.name, tensor: decoded[spec.name]! }));
  }
  return { step, metadata, models, tensors };
}

/** A file's text, or `null` when it does not exist; other failures (permissions, a directory) are thrown. */
async function readTextIfPresent(file: string, caller: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${caller}: ${file} cannot be read (${(error as Error).message})`, { cause: error });
  }
}

function isStep(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
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
