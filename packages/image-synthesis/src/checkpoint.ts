import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Format of the directories written by {@link saveSynthesisCheckpoint}. */
export const SYNTHESIS_CHECKPOINT_FORMAT = 'siran-image-synthesis-checkpoint/1';

/** What a checkpoint holds: models, optimiser states, the step and JSON metadata. */
export interface SynthesisCheckpoint {
  /** Training steps completed. */
  readonly step: number;
  /** JSON metadata (options, normalisations, losses). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Models by name. */
  readonly models: Readonly<Record<string, tfl.LayersModel>>;
  /** Optimisers by name. */
  readonly optimizers: Readonly<Record<string, tf.Optimizer>>;
}

/**
 * Writes a file through a temporary file in the same directory and a rename.
 *
 * @param file - Destination.
 * @param data - Contents.
 * @returns Resolves once the file is in place.
 */
export async function writeFileAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

/**
 * The artifacts of a model, as `LayersModel.save` produces them.
 *
 * @param model - The model.
 * @returns Topology, weight specs and weight bytes.
 */
export async function modelArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return artifacts as tf.io.ModelArtifacts;
}

function bytesOf(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array();
  const buffers = Array.isArray(data) ? data : [data];
  return Buffer.concat(buffers.map((b) => new Uint8Array(b)));
}

/**
 * Writes a model as `<name>.json` (topology and weight specs) and `<name>.weights.bin`, each atomically.
 *
 * @param directory - Destination directory (created).
 * @param name - File stem.
 * @param model - The model.
 * @returns Resolves when both files are in place.
 */
export async function writeModelFiles(
  directory: string,
  name: string,
  model: tfl.LayersModel,
): Promise<void> {
  await mkdir(directory, { recursive: true });
  const artifacts = await modelArtifacts(model);
  await writeFileAtomically(path.join(directory, `${name}.weights.bin`), bytesOf(artifacts.weightData));
  await writeFileAtomically(
    path.join(directory, `${name}.json`),
    JSON.stringify({ modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs }),
  );
}

/**
 * Reads a model written by {@link writeModelFiles}.
 *
 * @param directory - The directory.
 * @param name - File stem.
 * @returns The model; the caller disposes it.
 * @throws Error if a file is missing or the weights do not match the specs.
 */
export async function readModelFiles(directory: string, name: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(await readFile(path.join(directory, `${name}.json`), 'utf8'));
  const bytes = await readFile(path.join(directory, `${name}.weights.bin`));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightSpecs, weightData }),
  );
}

/**
 * Saves a checkpoint as `<root>/step-<step>/`, written in a temporary directory and renamed into place, then
 * points `<root>/latest.json` at it (atomically) and deletes all but the newest `keep` checkpoints.
 *
 * @param root - Checkpoint root of a run.
 * @param checkpoint - Step, metadata, models and optimisers (read, not changed).
 * @param keep - Checkpoints kept (default 2).
 * @returns The directory written.
 */
export async function saveSynthesisCheckpoint(
  root: string,
  checkpoint: SynthesisCheckpoint,
  keep = 2,
): Promise<string> {
  const name = `step-${String(checkpoint.step).padStart(8, '0')}`;
  const directory = path.join(root, name);
  const temporary = path.join(root, `.${name}.${process.pid}.tmp`);
  await rm(temporary, { recursive: true, force: true });
  await mkdir(temporary, { recursive: true });
  for (const [model, value] of Object.entries(checkpoint.models))
    await writeModelFiles(temporary, model, value);
  const optimizerSpecs: Record<string, tf.io.WeightsManifestEntry[]> = {};
  for (const [optimizer, value] of Object.entries(checkpoint.optimizers)) {
    const encoded = await tf.io.encodeWeights(await value.getWeights());
    optimizerSpecs[optimizer] = encoded.specs;
    await writeFile(path.join(temporary, `${optimizer}.optimizer.bin`), bytesOf(encoded.data));
  }
  const description = {
    format: SYNTHESIS_CHECKPOINT_FORMAT,
    step: checkpoint.step,
    metadata: checkpoint.metadata,
    models: Object.keys(checkpoint.models),
    optimizers: optimizerSpecs,
  };
  await writeFile(path.join(temporary, 'checkpoint.json'), `${JSON.stringify(description, null, 2)}\n`);
  await rm(directory, { recursive: true, force: true });
  await rename(temporary, directory);
  await writeFileAtomically(
    path.join(root, 'latest.json'),
    `${JSON.stringify({ step: checkpoint.step, directory: name })}\n`,
  );
  const old = (await readdir(root)).filter((entry) => /^step-\d+$/.test(entry) && entry !== name).sort();
  for (const entry of old.slice(0, Math.max(old.length - (keep - 1), 0)))
    await rm(path.join(root, entry), { recursive: true, force: true });
  return directory;
}

/**
 * Restores the newest checkpoint of a root into existing models and optimisers (same architecture).
 *
 * @param root - Checkpoint root.
 * @param models - Models by name, whose weights are replaced.
 * @param optimizers - Optimisers by name, whose state is replaced.
 * @returns Step and metadata, or `null` when the root has no `latest.json`.
 * @throws Error if the checkpoint is of another format or misses a model or optimiser.
 */
export async function restoreSynthesisCheckpoint(
  root: string,
  models: Readonly<Record<string, tfl.LayersModel>>,
  optimizers: Readonly<Record<string, tf.Optimizer>>,
): Promise<{ step: number; metadata: Record<string, unknown> } | null> {
  let latest: { directory: string };
  try {
    latest = JSON.parse(await readFile(path.join(root, 'latest.json'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const directory = path.join(root, path.basename(latest.directory));
  const description = JSON.parse(await readFile(path.join(directory, 'checkpoint.json'), 'utf8'));
  if (description.format !== SYNTHESIS_CHECKPOINT_FORMAT)
    throw new Error(
      `restoreSynthesisCheckpoint: ${directory} has format ${description.format}, expected ${SYNTHESIS_CHECKPOINT_FORMAT}`,
    );
  for (const [name, model] of Object.entries(models)) {
    const saved = await readModelFiles(directory, name);
    model.setWeights(saved.getWeights());
    saved.dispose();
  }
  for (const [name, optimizer] of Object.entries(optimizers)) {
    const specs = description.optimizers[name];
    if (specs === undefined)
      throw new Error(`restoreSynthesisCheckpoint: ${directory} has no optimizer '${name}'`);
    const bytes = await readFile(path.join(directory, `${name}.optimizer.bin`));
    const decoded = tf.io.decodeWeights(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      specs,
    );
    await optimizer.setWeights(
      specs.map((spec: tf.io.WeightsManifestEntry) => ({ name: spec.name, tensor: decoded[spec.name] })),
    );
  }
  return { step: description.step, metadata: description.metadata };
}
