import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** Format of the checkpoint directories written here. */
export const CHECKPOINT_FORMAT = 'siran-band-synthesis-checkpoint/1';

/** A tensor with its name, as optimisers' `getWeights` return them. */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: tf.Tensor;
}

/** What a checkpoint holds. */
export interface CheckpointContent {
  readonly step: number;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly models: Readonly<Record<string, tf.io.ModelArtifacts>>;
  readonly tensors: Readonly<Record<string, readonly NamedTensor[]>>;
}

interface Stored {
  format: string;
  step: number;
  metadata: Record<string, unknown>;
  models: Record<string, { topology: unknown; specs: tf.io.WeightsManifestEntry[]; bytes: number }>;
  tensors: Record<string, { specs: tf.io.WeightsManifestEntry[]; bytes: number }>;
}

const bytesOf = (data: tf.io.WeightData | undefined): Uint8Array => {
  if (data === undefined) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  return Buffer.concat(buffers.map((buffer) => new Uint8Array(buffer)));
};

/** Writes a file through a temporary name and a rename. */
async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

/**
 * Writes `<root>/step-<step>/` through a temporary directory and a rename, then points `<root>/latest.json` at it
 * (also written through a rename); a process killed at any moment leaves the previous checkpoint usable. Older
 * checkpoints beyond `keep` are deleted afterwards.
 */
export async function saveCheckpoint(root: string, content: CheckpointContent, keep = 2): Promise<void> {
  const name = `step-${String(content.step).padStart(8, '0')}`;
  const temporary = path.join(root, `.${name}.${process.pid}.tmp`);
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary, { recursive: true });
  const stored: Stored = {
    format: CHECKPOINT_FORMAT,
    step: content.step,
    metadata: { ...content.metadata },
    models: {},
    tensors: {},
  };
  for (const [model, artifacts] of Object.entries(content.models)) {
    const bytes = bytesOf(artifacts.weightData);
    await writeFile(path.join(temporary, `${model}.weights.bin`), bytes);
    stored.models[model] = {
      topology: artifacts.modelTopology,
      specs: artifacts.weightSpecs ?? [],
      bytes: bytes.length,
    };
  }
  for (const [group, named] of Object.entries(content.tensors)) {
    const encoded = await tf.io.encodeWeights(named.map(({ name: n, tensor }) => ({ name: n, tensor })));
    const bytes = bytesOf(encoded.data);
    await writeFile(path.join(temporary, `${group}.tensors.bin`), bytes);
    stored.tensors[group] = { specs: encoded.specs, bytes: bytes.length };
  }
  await writeFile(path.join(temporary, 'checkpoint.json'), `${JSON.stringify(stored)}\n`);
  const directory = path.join(root, name);
  await rm(directory, { recursive: true, force: true });
  await rename(temporary, directory);
  await writeAtomically(
    path.join(root, 'latest.json'),
    `${JSON.stringify({ step: content.step, directory: name })}\n`,
  );
  const steps = (await readdir(root)).filter((entry) => /^step-\d+$/.test(entry)).sort();
  for (const old of steps.slice(0, Math.max(0, steps.length - keep))) {
    if (old !== name) await rm(path.join(root, old), { recursive: true, force: true });
  }
}

/**
 * Reads the checkpoint `<root>/latest.json` points to; `null` when there is none.
 *
 * @throws Error naming the file if the checkpoint is of another format or a weight file has the wrong size.
 */
export async function loadCheckpoint(root: string): Promise<CheckpointContent | null> {
  let latest: { directory: string };
  try {
    latest = JSON.parse(await readFile(path.join(root, 'latest.json'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`loadCheckpoint: ${path.join(root, 'latest.json')} is not valid JSON`);
  }
  if (typeof latest.directory !== 'string' || !/^step-\d+$/.test(latest.directory))
    throw new Error(`loadCheckpoint: ${path.join(root, 'latest.json')} names no step directory`);
  const directory = path.join(root, latest.directory);
  const stored = JSON.parse(await readFile(path.join(directory, 'checkpoint.json'), 'utf8')) as Stored;
  if (stored.format !== CHECKPOINT_FORMAT)
    throw new Error(
      `loadCheckpoint: ${directory} has format "${stored.format}", expected "${CHECKPOINT_FORMAT}"`,
    );
  const read = async (file: string, bytes: number) => {
    const data = await readFile(path.join(directory, file));
    if (data.length !== bytes)
      throw new Error(
        `loadCheckpoint: ${path.join(directory, file)} has ${data.length} bytes, expected ${bytes}`,
      );
    return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  };
  const models: Record<string, tf.io.ModelArtifacts> = {};
  for (const [model, entry] of Object.entries(stored.models)) {
    models[model] = {
      modelTopology: entry.topology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs: entry.specs,
      weightData: await read(`${model}.weights.bin`, entry.bytes),
    };
  }
  const tensors: Record<string, NamedTensor[]> = {};
  for (const [group, entry] of Object.entries(stored.tensors)) {
    const decoded = tf.io.decodeWeights(await read(`${group}.tensors.bin`, entry.bytes), entry.specs);
    tensors[group] = entry.specs.map((spec) => ({ name: spec.name, tensor: decoded[spec.name] }));
  }
  return { step: stored.step, metadata: stored.metadata, models, tensors };
}
