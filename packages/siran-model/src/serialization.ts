import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { resolveSiranConfig, type SiranConfig } from './config.js';
import { fileInside, writeDirectoryAtomically, writeFileAtomically } from './internal/atomic-files.js';
import { createSiranModel, type SiranModel } from './model.js';
import type { InputNormalization } from './normalization.js';

/** Format tag of saved models; a directory of another format or version is refused. */
export const MODEL_FORMAT = { name: 'siran-model', version: 1 } as const;

const NETWORKS = ['generator', 'discriminator', 'attentionHead'] as const;
type NetworkName = (typeof NETWORKS)[number];

interface StoredModel {
  readonly format: string;
  readonly version: number;
  readonly config: SiranConfig;
  readonly normalization: InputNormalization;
  readonly networks: Record<
    NetworkName,
    { readonly weights: string; readonly sha256: string; readonly specs: tf.io.WeightsManifestEntry[] }
  >;
  readonly metadata: Record<string, unknown>;
}

/**
 * The artifacts (topology and weights) of each network of a model.
 *
 * @param model - The model.
 * @returns `{ generator, discriminator, attentionHead }` as produced by `LayersModel.save`.
 */
export async function saveModelArtifacts(
  model: SiranModel,
): Promise<Record<NetworkName, tf.io.ModelArtifacts>> {
  const entries = await Promise.all(
    NETWORKS.map(async (name) => [name, await artifactsOf(model[name])] as const),
  );
  return Object.fromEntries(entries) as Record<NetworkName, tf.io.ModelArtifacts>;
}

/**
 * Copies saved weights into a model built from the same configuration, network by network, in weight order.
 *
 * @param model - A model built with the same configuration.
 * @param artifacts - Artifacts by network name.
 * @throws Error if a network is missing or its weight count or shapes differ.
 */
export function restoreModelWeights(
  model: SiranModel,
  artifacts: Readonly<Record<string, tf.io.ModelArtifacts>>,
): void {
  for (const name of NETWORKS) {
    const saved = artifacts[name];
    if (!saved?.weightSpecs || !saved.weightData)
      throw new Error(`restoreModelWeights: no weights for the ${name}`);
    const data = tf.io.concatenateArrayBuffers(saved.weightData as ArrayBuffer | ArrayBuffer[]);
    setWeightsInOrder(model[name], saved.weightSpecs, data, name);
  }
}

/**
 * Saves a model for prediction and further training: `model.json` (format, configuration, normalisation,
 * SHA-256 of each weight file) and one weight file per network, written atomically as a directory.
 *
 * @param directory - Destination directory (replaced if it exists).
 * @param model - The model.
 * @param metadata - Free JSON recorded with it (e.g. the command and data that trained it).
 */
export async function saveSiranModel(
  directory: string,
  model: SiranModel,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  const artifacts = await saveModelArtifacts(model);
  await writeDirectoryAtomically(directory, async (temporary) => {
    const networks = {} as StoredModel['networks'];
    for (const name of NETWORKS) {
      const bytes = new Uint8Array(
        tf.io.concatenateArrayBuffers(artifacts[name].weightData as ArrayBuffer | ArrayBuffer[]),
      );
      const weights = `${name}.weights.bin`;
      await writeFileAtomically(path.join(temporary, weights), bytes);
      networks[name] = { weights, sha256: sha256(bytes), specs: artifacts[name].weightSpecs ?? [] };
    }
    const stored: StoredModel = {
      format: MODEL_FORMAT.name,
      version: MODEL_FORMAT.version,
      config: model.config,
      normalization: model.normalization,
      networks,
      metadata,
    };
    await writeFileAtomically(path.join(temporary, 'model.json'), `${JSON.stringify(stored, null, 2)}\n`);
  });
}

/**
 * Loads a model saved by {@link saveSiranModel}.
 *
 * @param directory - The model directory.
 * @returns The model (networks rebuilt from the saved configuration, weights restored) and its metadata.
 * @throws Error naming the directory if `model.json` is missing, of another format or version, refers to a file
 *   outside the directory, or a weight file does not match its recorded SHA-256.
 */
export async function loadSiranModel(
  directory: string,
): Promise<{ model: SiranModel; metadata: Record<string, unknown> }> {
  const text = await readFile(path.join(directory, 'model.json'), 'utf8').catch(() => {
    throw new Error(
      `loadSiranModel: ${directory} has no model.json; expected a directory written by saveSiranModel or "siran train"`,
    );
  });
  const stored = JSON.parse(text) as StoredModel;
  if (stored.format !== MODEL_FORMAT.name || stored.version !== MODEL_FORMAT.version) {
    throw new Error(
      `loadSiranModel: ${directory} holds format "${stored.format}" version ${stored.version}; this version of @siran/siran-model reads "${MODEL_FORMAT.name}" version ${MODEL_FORMAT.version}`,
    );
  }
  const model = createSiranModel(resolveSiranConfig(stored.config), stored.normalization);
  for (const name of NETWORKS) {
    const entry = stored.networks?.[name];
    if (!entry) throw new Error(`loadSiranModel: ${directory}/model.json lists no ${name}`);
    const bytes = await readFile(fileInside(directory, entry.weights, `loadSiranModel: ${name} weight file`));
    if (sha256(bytes) !== entry.sha256) {
      throw new Error(
        `loadSiranModel: ${path.join(directory, entry.weights)} does not match the SHA-256 recorded in model.json; the file is damaged or was replaced`,
      );
    }
    setWeightsInOrder(
      model[name],
      entry.specs,
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      name,
    );
  }
  return { model, metadata: stored.metadata ?? {} };
}

function setWeightsInOrder(
  network: tfl.LayersModel,
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  name: string,
): void {
  const weights = network.weights;
  if (specs.length !== weights.length) {
    throw new Error(
      `restoreModelWeights: the saved ${name} has ${specs.length} weights, the model ${weights.length}; the configurations differ`,
    );
  }
  const decoded = tf.io.decodeWeights(data, specs as tf.io.WeightsManifestEntry[]);
  const values = specs.map((spec, index) => {
    const tensor = decoded[spec.name];
    if (!tf.util.arraysEqual(tensor.shape, weights[index].shape as number[])) {
      throw new Error(
        `restoreModelWeights: ${name} weight ${index} (${spec.name}) has shape [${tensor.shape}], the model expects [${weights[index].shape}]`,
      );
    }
    return tensor;
  });
  network.setWeights(values);
  tf.dispose(values);
}

async function artifactsOf(network: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return captured!;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
